// `npm run server | head -3`: the reader leaves after three lines. The server's next write to
// stdout (a log line, "closing" on Ctrl-C) then meets a closed pipe: it must go on and end as it
// would have, not die with a stack trace. Without ignoreClosedPipes this exits 1 with
// "Error: write EPIPE" on stderr.

import t from 'tap'
import { spawnCompiled } from '../../fixtures/run.js'

t.test('a reader that goes away: no EPIPE stack trace, the usual exit', async t => {
  const running = spawnCompiled('server/main.js', ['--port', '0', '--log', 'json'])
  await running.printed('stdout', /Ctrl-C stops it\.\n/)
  running.child.stdout.destroy()
  running.child.kill('SIGTERM')
  const run = await running.finished
  t.equal(run.code, 0, 'closed on SIGTERM: exit 0')
  t.notMatch(run.stderr, /EPIPE|^\s+at /m, `no stack trace: ${JSON.stringify(run.stderr)}`)
})
