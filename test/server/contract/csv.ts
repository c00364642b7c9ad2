import t from 'tap'
import { csvLine, REQUEST_COLUMNS } from '../../../server/contract/csv.js'

t.test('csvLine: quoted only where RFC 4180 needs it, numbers to the microsecond', async t => {
  t.equal(csvLine(['a', 1, null, 2.5]), 'a,1,,2.5\n', 'plain cells as they are; null is empty')
  // 1/3 ms to three decimals is 0.333; 12.0004 rounds to 12.
  t.equal(csvLine([1 / 3, 12.0004]), '0.333,12\n')
  t.equal(csvLine(['a,b', 'say "hi"', 'two\nlines']), '"a,b","say ""hi""","two\nlines"\n', 'a comma, a quote, a line break: quoted, quotes doubled')
  t.same(REQUEST_COLUMNS, ['run', 'index', 'path', 'status', 'fault', 'delay_ms', 'start_ms', 'end_ms', 'bytes'])
})
