/**
 * A seeded PRNG (mulberry32: 32-bit state, passes PractRand to 2^32 outputs, fast in JS) so that a
 * forest trained twice on the same data with the same seed is the same forest, byte for byte.
 */
export type Random = () => number;

export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
export function randInt(random: Random, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}
