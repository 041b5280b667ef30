/**
 * The report's anomaly section (`contxray report … --baseline/--model`): per container, the
 * detector's score timeline (chart) with its threshold, and each flagged window with its reasons.
 * The rows come from src/detect (the same as `contxray detect -f json`); every string in them is
 * captured data and reaches the page only through escaping templates ({{…}}).
 */
import type { DetectRow } from '../detect/detect.js';
import { scoreTimelineSpec } from './anomaly-chart.js';
import type { Chart } from './types.js';
import { clean } from './values.js';

export interface AnomalyInput {
  rows: DetectRow[];
  windowMs: number;
  /** How the detector was given its baseline, for the reader: "baseline normal1.arrow" or "model web.json". */
  source: string;
  /** Containers with no baseline (not scored). */
  unmatched: string[];
}

export interface AnomalyWindow {
  start: string;
  end: string;
  score: string;
  threshold: string;
  rule: boolean;
  reasons: { text: string; feature: string; contribution: string }[];
}

export interface AnomalyContainer {
  name: string;
  host: string;
  id: string;
  windows: number;
  flaggedCount: number;
  threshold: string;
  chart: Chart;
  flagged: AnomalyWindow[];
}

export interface AnomalyModel {
  source: string;
  windowSec: number;
  flaggedTotal: number;
  containers: AnomalyContainer[];
  unmatched: string[];
}

/** Flagged windows listed per container at most (the chart still shows all). */
const MAX_FLAGGED = 50;

type ChartFn = (title: string, spec: object, empty: boolean) => Promise<Chart>;

export async function anomalyModel(input: AnomalyInput, chart: ChartFn): Promise<AnomalyModel> {
  const groups = new Map<string, DetectRow[]>();
  for (const r of input.rows) {
    const k = `${r.host}\0${r.container_id}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const containers: AnomalyContainer[] = [];
  for (const rows of groups.values()) {
    rows.sort((a, b) => (a.window_start < b.window_start ? -1 : 1));
    const first = rows[0]!;
    const flagged = rows.filter((r) => r.anomalous);
    const points = rows.map((r) => ({ t: Date.parse(r.window_start), score: r.score, flagged: r.anomalous, reason: r.reasons[0]?.text ?? '' }));
    // the steady-state threshold (a start/exit window's own is higher: each flagged window lists its own)
    const threshold = Math.min(...rows.map((r) => r.threshold));
    const name = clean(first.container, 80);
    containers.push({
      name,
      host: clean(first.host, 80),
      id: first.container_id.slice(0, 12),
      windows: rows.length,
      flaggedCount: flagged.length,
      threshold: threshold.toFixed(3),
      chart: await chart(`Anomaly score of ${name}`, scoreTimelineSpec(points, threshold, input.windowMs / 1000), rows.length === 0),
      flagged: flagged.slice(0, MAX_FLAGGED).map((r) => ({
        start: r.window_start.slice(0, 19).replace('T', ' '),
        end: r.window_end.slice(11, 19),
        score: r.score.toFixed(3),
        threshold: r.threshold.toFixed(3),
        rule: r.rules.length > 0,
        reasons: r.reasons.map((x) => ({ text: x.text, feature: x.feature, contribution: x.contribution.toFixed(2) })),
      })),
    });
  }
  // containers with flagged windows first
  containers.sort((a, b) => b.flaggedCount - a.flaggedCount || (a.name < b.name ? -1 : 1));
  return {
    source: clean(input.source, 300),
    windowSec: input.windowMs / 1000,
    flaggedTotal: containers.reduce((s, c) => s + c.flaggedCount, 0),
    containers,
    unmatched: input.unmatched.map((n) => clean(n, 80)),
  };
}
