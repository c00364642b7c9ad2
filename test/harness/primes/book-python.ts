// Finding the book's programs, reading their output, and running one: a tiny Python program in
// the book's place (fixtures/tiny-book.ts), by the real python3, when there is one.

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { findBookPrograms, readBookOutput, runBookProgram } from '../../../harness/primes/book-python.js'
import { noPython, writeTinyBook } from './fixtures/tiny-book.js'

t.test('readBookOutput: the book\'s lines and closing line, read back', async t => {
  // sequential.py's shape: f'{n:16}  {label} {elapsed:9.6f}s', then Total time to 10 ms.
  t.same(readBookOutput([
    'Checking 2 numbers sequentially:',
    '               2  P  0.000001s',
    '9999999999999999    12.345678s',
    'Total time: 12.35s'
  ]), { totalMs: 12_350, checks: [{ n: '2', prime: true, ms: 0.001 }, { n: '9999999999999999', prime: false, ms: 12_345.678 }] })
  t.same(readBookOutput(['Checking 0 numbers with 2 processes:', '0 checks in 0.07s']), { totalMs: 70, checks: [] }, 'procs.py\'s closing line')
  t.equal(readBookOutput(['Traceback (most recent call last):']), null, 'no closing line')
})

t.test('findBookPrograms: the programs for the modes, a reason to skip, or bad input', async t => {
  const book = writeTinyBook(t.testdir())
  t.equal(findBookPrograms(join(book, 'nowhere'), ['sequential']), `${join(book, 'nowhere')} does not exist`)
  t.throws(() => findBookPrograms(join(book, '19-concurrency/primes/primes.py'), ['sequential']),
    { name: 'FlagsError', message: /^--with-python: invalid value ".*primes\.py"; accepted: the book's example-code-2e folder, with 19-concurrency\/primes\/ and 20-executors\/primes\/$/ }, 'a file')
  t.throws(() => findBookPrograms(join(book, '19-concurrency'), ['sequential']), { name: 'FlagsError' }, 'a folder inside the book: its programs are not where the book has them')
  t.equal(findBookPrograms(book, ['event-loop']), 'no mode asked for has a twin among the book\'s programs (event-loop)')
  const partial = writeTinyBook(join(t.testdir(), 'partial'), ['20-executors/primes/proc_pool.py'])
  t.throws(() => findBookPrograms(partial, ['sequential', 'proc-pool']), { name: 'FlagsError' }, 'proc_pool.py missing, and asked for')
  const reason = noPython()
  if (reason !== null) return
  t.match(findBookPrograms(partial, ['sequential', 'event-loop', 'threads']), {
    version: /^Python 3\./,
    programs: [{ mode: 'sequential', program: '19-concurrency/primes/sequential.py' }, { mode: 'threads', program: '19-concurrency/primes/threads.py' }]
  }, 'what proc-pool would need is not asked for')
})

t.test('runBookProgram: a tiny program in the book\'s place gets our numbers, its output read', { skip: noPython() ?? false }, async t => {
  const book = findBookPrograms(writeTinyBook(t.testdir()), ['sequential', 'proc-pool'])
  if (typeof book === 'string') throw new Error(book)
  const [sequential, pool] = book.programs
  if (sequential === undefined || pool === undefined) throw new Error('two programs expected')
  // NUMBERS is [1] in the tiny primes.py: ours replace it. Four at 0.25 s each: 1.00 s.
  const run = await runBookProgram(book, sequential, ['9', '2', '97', '3333333333333301'], 2)
  t.same(run.lines, [
    'Checking 4 numbers sequentially:',
    '               9     0.250000s',
    '               2  P  0.250000s',
    '              97  P  0.250000s',
    '3333333333333301  P  0.250000s',
    'Total time: 1.00s'
  ])
  t.match(run, { mode: 'sequential', totalMs: 1000, checks: [{ n: '9', prime: false, ms: 250 }, { n: '2' }, { n: '97' }, { n: '3333333333333301', prime: true }] })
  const mapped = await runBookProgram(book, pool, ['9', '2', '97'], 3)
  t.equal(mapped.lines[0], 'Checking 3 numbers with 3 processes:', 'the worker count as its argument')
  t.same(mapped.checks.map(check => check.n), ['97', '9', '2'], 'sorted big first by the program itself')
  t.equal(mapped.totalMs, 400)

  writeFileSync(join(book.dir, '19-concurrency/primes/sequential.py'), 'import sys\nsys.exit("no luck")\n')
  await t.rejects(runBookProgram(book, sequential, ['2'], 1), { message: 'python3 19-concurrency/primes/sequential.py exited with 1: no luck' })
})
