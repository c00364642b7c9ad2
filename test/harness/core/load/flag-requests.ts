import t from 'tap'
import { flagRequests, requestsFor } from '../../../../harness/core/load/flag-requests.js'

t.test('requestsFor: every flag path round-robin, in windows past 50,000 requests built', async t => {
  const paths = flagRequests(['BR', 'CN', 'US'])
  t.same(paths.map(p => p.path), ['/flags/br/br.gif', '/flags/cn/cn.gif', '/flags/us/us.gif'])
  t.equal(flagRequests(['BR'], '/mirror/flags')[0]?.path, '/mirror/flags/br/br.gif')
  t.same(requestsFor(paths, 10), { requests: paths }, 'few connections: the whole list each')
  const many = flagRequests(Array.from({ length: 194 }, (_, i) => `${String.fromCharCode(65 + Math.floor(i / 26))}${String.fromCharCode(65 + i % 26)}`))
  const windowed = requestsFor(many, 5000)
  t.equal(windowed.requests?.length, 1)
  const seen = new Map<string, number>()
  for (let c = 0; c < 194; c++) {
    windowed.setupClient?.({ setRequests: (requests: Array<{ path: string }>) => { for (const r of requests) seen.set(r.path, (seen.get(r.path) ?? 0) + 1) } } as never)
  }
  t.equal(seen.size, 194, 'the windows together cover every path')
  t.equal(new Set(seen.values()).size, 1, 'and each the same number of times')
})
