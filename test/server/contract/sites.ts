import t from 'tap'
import { describeInjection } from '../../../server/contract/injection.js'
import { BOOK_SITES, bookSiteByLabel } from '../../../server/contract/sites.js'

t.test('the book profiles', async t => {
  t.equal(describeInjection(BOOK_SITES.local.injection), 'latency 0ms')
  t.equal(describeInjection(BOOK_SITES.delay.injection), 'latency 500ms..5s')
  t.equal(describeInjection(BOOK_SITES.error.injection), 'latency 500ms..5s, error-rate 418:0.25')
  t.same([BOOK_SITES.local.port, BOOK_SITES.delay.port, BOOK_SITES.error.port], [8000, 8001, 8002], 'the book ports')
  // flags2_common.py's SERVERS table, written out here rather than derived.
  t.same(Object.values(BOOK_SITES).map(site => site.url), ['http://localhost:8000/flags', 'http://localhost:8001/flags', 'http://localhost:8002/flags'])
})

t.test('a site by the book\'s label, in any case', async t => {
  t.equal(bookSiteByLabel('DELAY')?.port, 8001)
  t.equal(bookSiteByLabel('error')?.name, 'error')
  t.equal(bookSiteByLabel('REMOTE'), undefined, 'the book\'s REMOTE is not ours')
})
