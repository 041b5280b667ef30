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
  /** Threshold = highest validation score + margin + spread · (highest − median validation score). */
  margin: number;
  spread: number;
  /** A risky syscall (src/seccomp/risky.ts) never seen in the baseline flags a window by itself (rules.ts). */
  riskyRule: boolean;
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
};
