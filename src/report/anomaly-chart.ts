/**
 * The anomaly score timeline of one container: the score of each window as a line, the threshold
 * as a dashed rule, flagged windows as large dark-red points (shape as well as colour, for
 * greyscale). Data inlined, strings cleaned, like the other charts (charts.ts).
 */
import { clean } from './values.js';

export interface ScorePoint {
  t: number; // window start, ms since epoch
  score: number;
  flagged: boolean;
  /** The top reason, for the tooltip. */
  reason: string;
}

const CONFIG = {
  aria: false,
  font: 'system-ui, -apple-system, "Segoe UI", sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 11, grid: true, gridColor: '#e6e6e6' },
  background: 'white',
};

export function scoreTimelineSpec(points: ScorePoint[], threshold: number, windowSec: number): Record<string, unknown> {
  const data = points.map((p) => ({ t: p.t, score: p.score, flagged: p.flagged ? 'anomalous' : 'normal', reason: clean(p.reason, 120) }));
  const x = { field: 't', type: 'temporal', title: 'window start (UTC)', scale: { type: 'utc' }, axis: { format: '%H:%M:%S', labelOverlap: true } };
  const y = { field: 'score', type: 'quantitative', title: 'anomaly score', scale: { domain: [0, 1] } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `Anomaly score per ${windowSec} s window; dashed line: threshold ${threshold.toFixed(3)}; flagged windows as red squares`,
    width: 620,
    height: 160,
    config: CONFIG,
    layer: [
      { data: { values: data }, mark: { type: 'line', color: '#3b6a98', point: false }, encoding: { x, y } },
      {
        data: { values: data },
        mark: { type: 'point', filled: true },
        encoding: {
          x,
          y,
          shape: { field: 'flagged', type: 'nominal', title: null, scale: { domain: ['normal', 'anomalous'], range: ['circle', 'square'] } },
          color: { field: 'flagged', type: 'nominal', title: null, scale: { domain: ['normal', 'anomalous'], range: ['#3b6a98', '#b0413e'] } },
          size: { condition: { test: "datum.flagged == 'anomalous'", value: 90 }, value: 18 },
          tooltip: [{ field: 't', type: 'temporal', title: 'from', format: '%H:%M:%S', scale: { type: 'utc' } }, { field: 'score', format: '.3f' }, { field: 'reason', title: 'top reason' }],
        },
      },
      { data: { values: [{ threshold }] }, mark: { type: 'rule', color: '#b0413e', strokeDash: [6, 4] }, encoding: { y: { field: 'threshold', type: 'quantitative' } } },
    ],
  };
}
