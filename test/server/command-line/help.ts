import t from 'tap'
import { helpText, helpWidth } from '../../../server/command-line/help.js'
import { wrap } from '../../../server/contract/text.js'
import { HELP_OPTION, type CommandLine } from '../../../server/command-line/options.js'

t.test('wrap: at spaces, within the width, the hang on the lines after the first', async t => {
  t.same(wrap('one two three four', 9), ['one two', 'three', 'four'])
  t.same(wrap('  term  a b c d', 10, '        '), ['  term  a', '        b', '        c', '        d'], 'runs of spaces inside stay')
  t.same(wrap('abcdefghijkl xy', 5), ['abcdefghijkl', 'xy'], 'a word longer than the line stays whole')
})

t.test('helpWidth: 80, or a wider terminal\'s width', async t => {
  t.equal(helpWidth({ isTTY: true, columns: 120 }), 120)
  t.equal(helpWidth({ isTTY: true, columns: 60 }), 80, 'a narrower terminal still gets 80: the help is written for it')
  t.equal(helpWidth({ isTTY: false, columns: 200 }), 80, 'a pipe: 80')
  t.equal(helpWidth({}), 80)
})

t.test('helpText: usage, about, each group under its heading, the closing', async t => {
  const command: CommandLine = {
    program: 'demo',
    usage: 'demo [options]',
    about: 'Does a thing.\n  one   the first\n  two   the second',
    groups: [
      {
        heading: 'Options',
        rows: [
          { name: 'grace', type: 'string', metavar: 'DURATION', help: 'how long in-flight requests get', default: '5s', env: 'DEMO_GRACE' },
          { name: 'verbose', short: 'v', type: 'boolean', help: 'say more' },
          HELP_OPTION
        ],
        note: 'A note.'
      },
      { heading: 'Injection', rows: [{ name: 'latency', type: 'string', metavar: 'SPEC', help: 'x' }, { name: 'jitter', type: 'string', help: 'y' }], together: 'as the server takes them' }
    ],
    closing: 'Exit: 0 done.'
  }
  // The widest label is "--grace DURATION" (16): help lines start at 2 + 16 + 2 = column 20.
  // At 40 columns the grace row's help and suffix (58 characters) break after "in-flight",
  // "get" and "default": the next word would end past column 40.
  t.equal(helpText(command, 40), [
    'Usage: demo [options]',
    '',
    'Does a thing.',
    '  one   the first',
    '  two   the second',
    '',
    'Options:',
    '  --grace DURATION  how long in-flight',
    '                    requests get',
    '                    (DEMO_GRACE; default',
    '                    5s)',
    '  -v, --verbose     say more',
    '  -h, --help        print this help and',
    '                    exit',
    '  A note.',
    '',
    'Injection:',
    '  --latency SPEC, --jitter',
    '                    as the server takes',
    '                    them',
    '',
    'Exit: 0 done.',
    ''
  ].join('\n'))
})
