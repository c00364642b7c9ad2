import t from 'tap'
import { Queue } from '../../../../harness/core/load/queue.js'

t.test('first in, first out, through the compactions', async t => {
  // 5,000 in, then out two for every one in: the queue compacts once more than 1,024 are taken
  // and they are the larger half, several times over, and must still give 0, 1, 2, ... in order.
  const queue = new Queue<number>()
  let next = 0
  let expected = 0
  for (; next < 5000; next++) queue.push(next)
  t.equal(queue.length, 5000)
  const out: number[] = []
  while (queue.length > 0) {
    out.push(queue.shift() as number, queue.shift() as number)
    if (next < 8000) queue.push(next++)
  }
  const inOrder = out.filter(n => n !== undefined).every(n => n === expected++)
  t.ok(inOrder, 'every item once, in the order pushed')
  t.equal(expected, 8000, 'all 8,000 out')
  t.equal(queue.shift(), undefined, 'empty: undefined')
})

t.test('at(i) from the front, and drain() takes all in order', async t => {
  const queue = new Queue<string>()
  for (const item of ['a', 'b', 'c']) queue.push(item)
  queue.shift()
  t.equal(queue.at(0), 'b')
  t.equal(queue.at(1), 'c')
  t.equal(queue.at(2), undefined)
  t.same(queue.drain(), ['b', 'c'])
  t.equal(queue.length, 0)
  queue.push('d')
  t.equal(queue.shift(), 'd', 'usable after a drain')
})
