import fc from 'fast-check'
import t from 'tap'
import { idealMakespan, type IdealRequest, type Slots } from '../../../harness/core/ideal.js'

const waits = (...ms: number[]): IdealRequest[] => ms.map(waitMs => ({ waitMs, workMs: 0 }))
const same = (n: number, waitMs: number, workMs: number): IdealRequest[] => Array.from({ length: n }, () => ({ waitMs, workMs }))

t.test('waits alone: list scheduling in dispatch order', async t => {
  t.equal(idealMakespan(waits(200, 200, 200), { io: 1, cpu: 1 }), 600, 'one slot: the sum')
  t.equal(idealMakespan(same(20, 200, 0), { io: 20, cpu: 1 }), 200, 'as many slots as requests: the longest')
  t.equal(idealMakespan(same(20, 200, 0), { io: 5, cpu: 1 }), 800, '20 equal delays over 5 slots: 4 rounds')
  t.equal(idealMakespan(waits(500, 100, 100, 100, 100, 100), { io: 2, cpu: 1 }), 500, 'short ones fill the other slot while the long one runs')
  t.equal(idealMakespan(waits(100, 100, 500), { io: 2, cpu: 1 }), 600, 'dispatch order matters: the long one starts last')
  t.equal(idealMakespan([], { io: 4, cpu: 1 }), 0, 'nothing to do')
  t.equal(idealMakespan(waits(300, 100), { io: 50, cpu: 1 }), 300, 'more slots than requests')
})

t.test('CPU work starts only once its response has arrived, on a free CPU slot', async t => {
  // N = 20 requests, each a wait of L = 200 ms then c = 20 ms of work, worked out by hand:
  // sequential, one after another: N × (L + c) = 20 × 220 = 4400 ms.
  t.equal(idealMakespan(same(20, 200, 20), { io: 1, cpu: 1 }), 4400)
  // async, all in flight, one event loop: every response at L, then N × c on the loop:
  // L + N × c = 200 + 400 = 600 ms (max(io, cpu) bounds said 400).
  t.equal(idealMakespan(same(20, 200, 20), { io: 20, cpu: 1 }), 600)
  // pooled, 20 workers on k = 2 cores: L + ⌈N / k⌉ × c = 200 + 10 × 20 = 400 ms.
  t.equal(idealMakespan(same(20, 200, 20), { io: 20, cpu: 2 }), 400)
  // pooled, 5 requests on 2 cores: 200 + ⌈5 / 2⌉ × 20 = 260 ms.
  t.equal(idealMakespan(same(5, 200, 20), { io: 5, cpu: 2 }), 260)
  // A mixed case, async with C = 2 and one loop: A (wait 100, work 20), B (30, 20), C (50, 20).
  // t=0 A and B go out; B arrives at 30 and works 30-50, which frees its slot: C goes out at
  // 50 and arrives at 100, with A; A came first in dispatch order and works 100-120, C 120-140.
  t.equal(idealMakespan([{ waitMs: 100, workMs: 20 }, { waitMs: 30, workMs: 20 }, { waitMs: 50, workMs: 20 }], { io: 2, cpu: 1 }), 140)
  // A failed download does no work: it frees its slot as soon as it ends.
  t.equal(idealMakespan([{ waitMs: 100, workMs: 0 }, { waitMs: 100, workMs: 20 }], { io: 2, cpu: 1 }), 120)
})

t.test('speedup grows with concurrency until the number of requests caps it (Little\'s law)', async t => {
  const speedups = [1, 2, 5, 10, 20, 50].map(c => 2000 / idealMakespan(same(20, 100, 0), { io: c, cpu: 1 }))
  t.same(speedups, [1, 2, 5, 10, 20, 20])
})

/**
 * One feasible schedule, drawn at random: time runs in whole steps; at each step a request may
 * go out (in dispatch order, when a slot is free) and a ready one may start its work (any of
 * them, when a CPU slot is free), or not, at random: any order, any idle time. Returns its
 * makespan. The work is 0 or the same c for every request, as in the harness: --cpu-work is
 * one amount, and a failed download does none.
 */
function randomSchedule (requests: readonly IdealRequest[], slots: Slots, random: () => number): number {
  const arrives = new Map<number, number[]>()
  const worked = new Map<number, number>()
  const ready: number[] = []
  let next = 0
  let inFlight = 0
  let working = 0
  let done = 0
  let end = 0
  for (let now = 0; done < requests.length; now++) {
    const finished = worked.get(now) ?? 0
    working -= finished
    inFlight -= finished
    done += finished
    if (finished > 0) end = now
    for (const i of arrives.get(now) ?? []) {
      if ((requests[i]?.workMs ?? 0) === 0) {
        inFlight--
        done++
        end = now
      } else {
        ready.push(i)
      }
    }
    while (inFlight < slots.io && next < requests.length && random() < 0.7) {
      const at = now + (requests[next]?.waitMs ?? 0)
      arrives.set(at, [...(arrives.get(at) ?? []), next++])
      inFlight++
    }
    while (working < slots.cpu && ready.length > 0 && random() < 0.7) {
      const [i] = ready.splice(Math.floor(random() * ready.length), 1)
      const at = now + (requests[i as number]?.workMs ?? 0)
      worked.set(at, (worked.get(at) ?? 0) + 1)
      working++
    }
  }
  return end
}

t.test('no feasible schedule is shorter than the ideal (fast-check)', async t => {
  const instance = fc.record({
    waits: fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 7 }),
    work: fc.integer({ min: 1, max: 30 }),
    fails: fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
    io: fc.integer({ min: 1, max: 4 }),
    cpu: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer()
  })
  fc.assert(fc.property(instance, ({ waits, work, fails, io, cpu, seed }) => {
    const requests = waits.map((waitMs, i) => ({ waitMs, workMs: fails[i] === true ? 0 : work }))
    const ideal = idealMakespan(requests, { io, cpu })
    let state = seed | 0
    const random = (): number => {
      state = (Math.imul(state, 1664525) + 1013904223) | 0
      return (state >>> 0) / 0x1_0000_0000
    }
    for (let k = 0; k < 20; k++) {
      const made = randomSchedule(requests, { io, cpu }, random)
      if (made < ideal) throw new Error(`a schedule of ${made} beats the ideal ${ideal}: ${JSON.stringify({ requests, io, cpu })}`)
    }
  }), { seed: 20261127, numRuns: 300 })
  t.pass('300 instances, 20 random schedules each')
})
