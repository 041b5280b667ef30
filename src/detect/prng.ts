/**
 * A seeded PRNG (mulberry32: 32-bit state, passes PractRand to 2^32 outputs, fast in JS) so that a
 * forest trained twice on the same data with the same seed is the same forest, byte for byte.
 */
export type Random = () => number;

/** A Random that can also jump ahead: skip(k) leaves it where k calls would (O(1), no outputs). */
export interface Mulberry32 extends Random {
  skip(k: number): void;
}

const STEP = 0x6d2b79f5;

export function mulberry32(seed: number): Mulberry32 {
  let a = seed >>> 0;
  const next = () => {
    a = (a + STEP) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  // the state only ever moves by STEP per call: k calls move it by k·STEP (mod 2^32)
  return Object.assign(next, { skip: (k: number) => void (a = (a + Math.imul(k, STEP)) >>> 0) });
}

/** An integer in [0, n). */
export function randInt(random: Random, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}
