/**
 * The detector's options and their defaults, apart from the model code: `contxray detect --help`
 * shows the default seed without loading the forest (src/cli/commands/detect.ts).
 */
import type { Extension } from './forest.js';

export interface DetectOptions {
  trees: number;
  sampleSize: number;
  seed: number;
  /** EWMA factor for the count and mix features along a container's windows; 1 = off. */
  smoothing: number;
  weighting: boolean;
  extension: Extension;
  /** Range extension ignores departures within this fraction of a tree sample's range. */
  tolerance: number;
  /**
   * Threshold = highest validation score + margin, + spread · (highest − median validation score)
   * when validation windows are time blocks of the baseline rather than whole held-out recordings.
   */
  margin: number;
  spread: number;
  /** Feature groups (counts, resources, novelty, mix) get equal selection shares (weights.ts). */
  groupShares: boolean;
  /** A risky syscall (src/seccomp/risky.ts) never seen in the baseline flags a window by itself (rules.ts). */
  riskyRule: boolean;
  /** A burst of destinations (peer:port) never seen in the baseline flags a window by itself (rules.ts). */
  burstRule: boolean;
  /** How many new destinations in one window make a burst. */
  burstMin: number;
  /** A program the baseline never executed flags a window by itself (container drift, rules.ts). */
  driftRule: boolean;
  /** CPU or pids at `surgeFactor` × the baseline's max (and a minimum step) flags a window (rules.ts). */
  surgeRule: boolean;
  surgeFactor: number;
  /** Use the resource samples (CPU, memory, pids, I/O, network) where the baseline has them. */
  resources: boolean;
  /**
   * Validation windows for the threshold: 'recordings' holds out whole baseline recordings (when a
   * group has at least two), 'time' always cuts each series into time blocks.
   */
  validation: 'recordings' | 'time';
  /** Windows holding a container's start or exit get their own threshold (thresholds.ts). */
  lifecycle: boolean;
}

export const DEFAULT_OPTIONS: DetectOptions = {
  trees: 100,
  sampleSize: 256,
  seed: 1,
  smoothing: 1,
  weighting: true,
  extension: 'upper',
  tolerance: 0.1,
  margin: 0.02,
  spread: 1,
  riskyRule: true,
  groupShares: true,
  burstRule: true,
  burstMin: 10,
  driftRule: true,
  surgeRule: true,
  surgeFactor: 3,
  resources: true,
  validation: 'recordings',
  lifecycle: true,
};
