// The book's numbers (example-code-2e, 19-concurrency/primes/primes.py): PRIME_FIXTURE, and
// NUMBERS in the same order. Most are near 10^16, past JavaScript's safe integers: bigints.

export const PRIME_FIXTURE: ReadonlyArray<readonly [bigint, boolean]> = [
  [2n, true],
  [142702110479723n, true],
  [299593572317531n, true],
  [3333333333333301n, true],
  [3333333333333333n, false],
  [3333335652092209n, false],
  [4444444444444423n, true],
  [4444444444444444n, false],
  [4444444488888889n, false],
  [5555553133149889n, false],
  [5555555555555503n, true],
  [5555555555555555n, false],
  [6666666666666666n, false],
  [6666666666666719n, true],
  [6666667141414921n, false],
  [7777777536340681n, false],
  [7777777777777753n, true],
  [7777777777777777n, false],
  [9999999999999917n, true],
  [9999999999999999n, false]
]

export const NUMBERS: readonly bigint[] = PRIME_FIXTURE.map(([n]) => n)

/** The book's answer for n, or undefined for a number not in its fixture. */
export function bookAnswer (n: bigint): boolean | undefined {
  return PRIME_FIXTURE.find(([m]) => m === n)?.[1]
}
