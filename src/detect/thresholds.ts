/**
 * A group's thresholds from its validation scores (LID-DS: the highest score on normal windows the
 * model never trained on, plus a margin). Lifecycle windows (a container's start or exit inside
 * the recording: facts.ts) get their own reference. Measured on the real-Docker scenarios, a held-out
 * recording's start-up and shutdown windows (runtime set-up, the entrypoint's first syscalls, the
 * processes' exits) scored ~0.7 while its steady windows stayed near 0.5: one threshold over both
 * sat above every steady-state attack. So steady windows are compared with the highest steady
 * validation score and lifecycle windows with the highest lifecycle one (never lower than the
 * steady threshold). Without lifecycle validation windows, a lifecycle window uses the threshold
 * over all validation windows (what a single threshold did). DetectOptions.lifecycle = false keeps
 * one threshold over everything (the ablation's "before"), and so does a baseline of one recording
 * (time-block validation: one start and one exit are no reference; measured in the system test, a
 * held-out start scored 0.78 against the 0.72 one start gave, and the steady threshold of time
 * blocks left the scanned server's extra network bytes above it).
 */
export interface Thresholds {
  threshold: number;
  lifecycleThreshold: number;
}

/** Highest score + margin (+ spread · (highest − median) when `spread` > 0), at most 1. */
export function thresholdOf(scores: readonly number[], margin: number, spread: number): number {
  const sorted = [...scores].sort((a, b) => a - b);
  const max = sorted[sorted.length - 1]!;
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return Math.min(1, max + margin + spread * (max - median));
}

/** `scores[i]` is a validation (or, lacking any, training) window; `lifecycle[i]` says whether it holds a start or an exit. */
export function thresholds(scores: readonly number[], lifecycle: readonly boolean[], margin: number, spread: number, separate: boolean): Thresholds {
  if (scores.length === 0) throw new Error('thresholds: no scores');
  const all = thresholdOf(scores, margin, spread);
  const steady = scores.filter((_, i) => !lifecycle[i]);
  const life = scores.filter((_, i) => lifecycle[i]);
  if (!separate || steady.length === 0) return { threshold: all, lifecycleThreshold: all };
  const threshold = thresholdOf(steady, margin, spread);
  return { threshold, lifecycleThreshold: life.length > 0 ? Math.max(threshold, thresholdOf(life, margin, spread)) : all };
}
