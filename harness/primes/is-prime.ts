// The book's is_prime (primes.py), the same trial division: below 2 is not prime, 2 is, other
// even numbers are not, and an odd n is prime when no odd d from 3 to isqrt(n) divides it.
//
// The book's numbers go past 2^53 (9,007,199,254,740,992), where a JavaScript number stops
// holding every whole number: Number(9999999999999917n) is 9999999999999916, even. So n comes
// as a bigint, and each n mod d is taken exactly with doubles: n = hi·2^24 + lo, and
// n ≡ (hi mod d)·2^24 + lo (mod d), which stays below d·2^24 < 2^51 for d < 2^27. Below 2^54,
// hi stays below 2^30, a small integer to V8, so hi % d is an integer division; past it V8
// turns to fmod, for that number and every later one on the thread (2.5 s for the book's
// numbers after one such check). Measured on the book's 20 numbers, one thread, Node 20, three
// runs each: 0.65 s this way, 1.2 s with a bigint loop (n % d === 0n), 4.0 s with r % d on the
// split (fmod again).

/** The largest n checked: 2^54 - 1, past the book's largest, 9999999999999999 (below 2^53.2). */
export const MAX_N = 2n ** 54n - 1n

const LOW_BITS = 24n
const LOW_MASK = (1n << LOW_BITS) - 1n
const LOW_SPAN = 2 ** 24

/** ⌊√n⌋ exactly, as math.isqrt: the double's square root is off by a little past 2^53, so bigint steps settle it. */
export function isqrt (n: bigint): bigint {
  if (n < 0n) throw new RangeError(`isqrt of a negative number: ${n}`)
  let root = BigInt(Math.floor(Math.sqrt(Number(n))))
  while (root * root > n) root--
  while ((root + 1n) * (root + 1n) <= n) root++
  return root
}

export function isPrime (n: bigint): boolean {
  if (n < 2n) return false
  if (n === 2n) return true
  if (n % 2n === 0n) return false
  if (n > MAX_N) throw new RangeError(`${n} is above ${MAX_N} (2^54 - 1), the largest number checked here`)
  return noOddDivisor(Number(n >> LOW_BITS), Number(n & LOW_MASK), Number(isqrt(n)))
}

/** True when no odd d from 3 to `root` divides hi·2^24 + lo: the book's loop, in exact doubles. */
function noOddDivisor (hi: number, lo: number, root: number): boolean {
  for (let d = 3; d <= root; d += 2) {
    const r = (hi % d) * LOW_SPAN + lo
    // r / d may round up to the next whole number; then r - q·d is below 0, never 0, so the
    // test still says exactly whether d divides r. A division is 6 times faster than r % d.
    if (r - Math.floor(r / d) * d === 0) return false
  }
  return true
}
