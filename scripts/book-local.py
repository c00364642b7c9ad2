"""Run one of the book's flag programs, unchanged, against the lab's server.

    python3 scripts/book-local.py PROGRAM.py [URL]

flags.py, flags_threadpool.py and flags_asyncio.py (Fluent Python, 2nd ed., 20-executors/getflags)
download from BASE_URL, hard-wired in flags.py to the book's web site; the other two take it
from flags.py. This sets flags.BASE_URL to URL (default: the lab's DELAY site,
http://localhost:8001/flags) before the program runs, as the one-line edit of flags.py would,
then runs the program as `python3 PROGRAM.py` does, from its own folder. The flags2_* programs
need none of this: they take -s LOCAL, DELAY or ERROR.
"""

import os
import runpy
import sys

DELAY = 'http://localhost:8001/flags'


def main() -> None:
    if len(sys.argv) not in (2, 3) or sys.argv[1] in ('-h', '--help'):
        print(__doc__.strip())
        sys.exit(0 if len(sys.argv) == 2 else 2)
    program = os.path.abspath(sys.argv[1])
    if not os.path.isfile(program):
        sys.exit(f'book-local: {sys.argv[1]}: no such file; accepted: a book program, e.g. flags_threadpool.py')
    folder = os.path.dirname(program)
    if not os.path.isfile(os.path.join(folder, 'flags.py')):
        sys.exit(f'book-local: {folder}: no flags.py beside the program; accepted: a program of the book\'s getflags folder')
    sys.path.insert(0, folder)
    os.chdir(folder)  # the book's programs save into ./downloaded, beside themselves
    import flags  # the book's flags.py: BASE_URL lives here
    flags.BASE_URL = sys.argv[2] if len(sys.argv) == 3 else DELAY
    sys.argv = [program]
    if os.path.basename(program) == 'flags.py':
        # Run as __main__, flags.py would assign its BASE_URL again: call what its last line calls.
        flags.main(flags.download_many)
    else:
        runpy.run_path(program, run_name='__main__')


if __name__ == '__main__':
    main()
