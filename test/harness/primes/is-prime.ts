// The checker against answers it does not compute: the book's fixture, written out again here,
// and a Miller-Rabin test of the test's own (another method, bigint throughout).

import fc from 'fast-check'
import t from 'tap'
import { isPrime, isqrt, MAX_N } from '../../../harness/primes/is-prime.js'
import { bookAnswer, NUMBERS, PRIME_FIXTURE } from '../../../harness/primes/numbers.js'

// example-code-2e, 19-concurrency/primes/primes.py, PRIME_FIXTURE.
const BOOK: Array<[bigint, boolean]> = [
  [2n, true], [142702110479723n, true], [299593572317531n, true], [3333333333333301n, true],
  [3333333333333333n, false], [3333335652092209n, false], [4444444444444423n, true], [4444444444444444n, false],
  [4444444488888889n, false], [5555553133149889n, false], [5555555555555503n, true], [5555555555555555n, false],
  [6666666666666666n, false], [6666666666666719n, true], [6666667141414921n, false], [7777777536340681n, false],
  [7777777777777753n, true], [7777777777777777n, false], [9999999999999917n, true], [9999999999999999n, false]
]

function powMod (base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n
  let b = base % modulus
  for (let e = exponent; e > 0n; e >>= 1n) {
    if ((e & 1n) === 1n) result = result * b % modulus
    b = b * b % modulus
  }
  return result
}

// With the first 13 primes as bases, Miller-Rabin is exact below 3.3 × 10^24 (Sorenson and
// Webster, 2015): far past every number here.
const BASES = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n]

function millerRabin (n: bigint): boolean {
  if (n < 2n) return false
  for (const p of BASES) if (n % p === 0n) return n === p
  let d = n - 1n
  let s = 0
  while (d % 2n === 0n) { d /= 2n; s++ }
  return BASES.every(a => {
    let x = powMod(a, d, n)
    if (x === 1n || x === n - 1n) return true
    for (let i = 1; i < s; i++) {
      x = x * x % n
      if (x === n - 1n) return true
    }
    return false
  })
}

const TWO_53 = 2n ** 53n

t.test('the oracle itself: Miller-Rabin against plain trial division up to 5,000', async t => {
  const slow = (n: number): boolean => { if (n < 2) return false; for (let d = 2; d * d <= n; d++) if (n % d === 0) return false; return true }
  for (let n = 0; n <= 5000; n++) if (millerRabin(BigInt(n)) !== slow(n)) t.fail(`Miller-Rabin is wrong on ${n}`)
  t.equal(millerRabin(3215031751n), false, 'a strong pseudoprime to bases 2, 3, 5 and 7 is caught')
})

t.test('the book\'s 20 numbers: the fixture, the book\'s answers and an independent test agree', async t => {
  t.same(PRIME_FIXTURE, BOOK, 'PRIME_FIXTURE is the book\'s, in its order')
  t.same(NUMBERS, BOOK.map(([n]) => n), 'NUMBERS are the fixture\'s numbers, in order')
  for (const [n, prime] of BOOK) {
    t.equal(millerRabin(n), prime, `${n}: the book's answer is right (Miller-Rabin)`)
    t.equal(isPrime(n), prime, `${n}: ${prime ? 'prime' : 'not prime'}`)
    t.equal(bookAnswer(n), prime)
  }
  t.equal(bookAnswer(7n), undefined, 'no book answer for a number of one\'s own')
})

t.test('small numbers, the edge cases of the book\'s function', async t => {
  for (let n = 0n; n <= 3000n; n++) if (isPrime(n) !== millerRabin(n)) t.fail(`isPrime is wrong on ${n}`)
  t.same([0n, 1n, 2n, 3n, 4n, 9n, 25n, 49n].map(isPrime), [false, false, true, true, false, false, false, false], 'squares of primes are caught: the loop reaches isqrt(n) itself')
})

t.test('exact near and past 2^53, where a double cannot tell odd from even', async t => {
  const cases: Array<[bigint, string]> = [
    [TWO_53 - 111n, 'the largest prime below 2^53'],
    [TWO_53 + 1n, '3 × 107 × 28059810762433'],
    [TWO_53 + 5n, 'the smallest prime above 2^53'],
    [94906249n * 94906249n, 'a prime squared, below 2^53'],
    [94906297n * 94906297n, 'a prime squared, above 2^53: the last divisor tried is isqrt(n)'],
    [94906249n * 94906297n, 'two primes near √(2^53), above it: no small factor'],
    [2n ** 54n - 33n, 'a prime just below 2^54'],
    [134217689n * 134217689n, 'the largest prime below 2^27, squared: the largest divisor ever tried'],
    [134217689n * 134217649n, 'two primes just below 2^27'],
    [MAX_N, '2^54 - 1, the largest accepted'],
    [MAX_N - 2n, '2^54 - 3']
  ]
  for (const [n, what] of cases) {
    t.equal(isPrime(n), millerRabin(n), `${n} (${what}): ${millerRabin(n) ? 'prime' : 'not prime'}`)
  }
  t.equal(Number(TWO_53 + 5n) % 2, 0, 'a double rounds the prime 2^53 + 5 to an even number: hence bigint and the split')
  t.throws(() => isPrime(MAX_N + 2n), { name: 'RangeError', message: /above 18014398509481983 \(2\^54 - 1\)/ })
  t.equal(isPrime(MAX_N + 1n), false, 'an even number needs no division, whatever its size')
})

t.test('isqrt is exact around squares past 2^53', async t => {
  for (const k of [1n, 2n, 94906265n, 94906266n, 100000000n, 2n ** 27n - 1n]) {
    t.equal(isqrt(k * k), k, `isqrt(${k}²)`)
    t.equal(isqrt(k * k - 1n), k - 1n, `isqrt(${k}² - 1)`)
    t.equal(isqrt(k * k + 2n * k), k, `isqrt((${k} + 1)² - 1)`)
  }
  t.equal(isqrt(0n), 0n)
  t.throws(() => isqrt(-1n), RangeError)
})

t.test('random numbers agree with Miller-Rabin', async t => {
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 40n }), n => isPrime(n) === millerRabin(n)), { numRuns: 300 })
  // Products of two odd numbers of 20 to 24 bits: no factor below 2^20, often past 2^40.
  const odd = fc.bigInt({ min: 2n ** 19n, max: 2n ** 23n }).map(k => 2n * k + 1n)
  fc.assert(fc.property(odd, odd, (p, q) => isPrime(p * q) === false && isPrime(p) === millerRabin(p)), { numRuns: 100 })
  t.pass('300 random numbers below 2^40 and 100 products of two odd numbers')
})
