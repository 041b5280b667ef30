/**
 * Skipping rules for tests that need root, BPF, Docker or Chromium: outside CI they skip with a
 * clear reason; under CI (CI=true) a missing requirement is a failure, never a silent skip.
 */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';

export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** Returns true when the test may go on; otherwise skips (or fails under CI) and returns false. */
export function requireOrSkip(t: TestContext, ok: boolean, reason: string): boolean {
  if (ok) return true;
  if (IN_CI) assert.fail(`required under CI but missing: ${reason}`);
  t.skip(reason);
  return false;
}

export const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
