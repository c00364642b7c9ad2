import t from 'tap'
import { HELP_OPTION, readCommandLine, type CommandLine } from '../../../server/command-line/options.js'

const COMMAND: CommandLine = {
  program: 'demo',
  usage: 'demo [options]',
  about: '',
  groups: [{
    heading: 'Options',
    rows: [
      { name: 'latency', type: 'string', help: 'a delay', env: 'DEMO_LATENCY' },
      { name: 'mode', short: 'm', type: 'string', help: 'a mode' },
      { name: 'expect', type: 'string', multiple: true, help: 'again for more' },
      { name: 'json', type: 'boolean', help: 'JSON' },
      HELP_OPTION
    ]
  }],
  closing: ''
}

t.test('values by name: text, several texts, a switch, the environment under the option', async t => {
  const given = readCommandLine(COMMAND, ['-m', 'fast', '--expect', 'a', '--expect', 'b', '--json'], { DEMO_LATENCY: '2s' })
  t.equal(given.text('mode'), 'fast')
  t.same(given.texts('expect'), ['a', 'b'])
  t.equal(given.on('json'), true)
  t.equal(given.on('help'), false)
  t.same(given.textOrEnv('latency'), ['2s', 'DEMO_LATENCY'], 'from the environment, spelt as it')
  t.same(readCommandLine(COMMAND, ['--latency', '1s'], { DEMO_LATENCY: '2s' }).textOrEnv('latency'), ['1s', '--latency'], 'the option wins')
  t.equal(readCommandLine(COMMAND, [], { DEMO_LATENCY: '' }).textOrEnv('latency'), undefined, 'an empty variable is unset')
  t.throws(() => given.text('nope'), /no option --nope is declared/, 'a name not declared is a bug, not undefined')
})

t.test('bad input: one line; a typo names the nearest option', async t => {
  const cases: Array<[string[], string]> = [
    // One letter left out (latncy), two swapped (latnecy): one edit each, within 6 / 3 = 2.
    [['--latncy', '1s'], '--latncy: unknown option; did you mean --latency?'],
    [['--latnecy', '1s'], '--latnecy: unknown option; did you mean --latency?'],
    [['--jsno'], '--jsno: unknown option; did you mean --json?'],
    // nope → mode is two edits, more than the one a 4-letter name allows: no guess, the list.
    [['--nope'], '--nope: unknown option; accepted: --latency, --mode, --expect, --json, --help'],
    [['-x'], '-x: unknown option; accepted: --latency, --mode, --expect, --json, --help'],
    [['--mode'], '--mode: needs a value'],
    [['--json=yes'], '--json: takes no value'],
    [['extra'], 'unexpected argument "extra"; options only (see --help)']
  ]
  for (const [argv, message] of cases) t.throws(() => readCommandLine(COMMAND, argv), { name: 'FlagsError', message }, argv.join(' '))
})

t.test('a command with an argument row takes arguments; noArguments words the refusal', async t => {
  const withArguments: CommandLine = { ...COMMAND, groups: [{ heading: 'Which', rows: [{ argument: 'CC ...', help: 'codes' }] }] }
  t.same(readCommandLine(withArguments, ['BR', 'IN']).positionals, ['BR', 'IN'])
  t.throws(() => readCommandLine({ ...COMMAND, noArguments: ': options only; a count is --workers N' }, ['4']), { message: 'unexpected argument "4": options only; a count is --workers N' })
})
