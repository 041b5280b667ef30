/** `contxray report`: captures → one self-contained HTML file. See docs/report.md. */
import { buildModel } from './build.js';
import { runFindings } from './findings.js';
import { gather } from './gather.js';
import { renderPage } from './render.js';
import type { ReportOptions, ReportSource } from './types.js';

export type { ReportOptions, ReportSource } from './types.js';

export const DEFAULT_MAX_ROWS = 50;

export interface ReportResult {
  html: string;
  containers: number;
  findings: number;
  charts: number;
}

export async function generateReport(src: ReportSource, opts: ReportOptions): Promise<ReportResult> {
  const maxRows = Math.max(1, Math.floor(opts.maxRows ?? DEFAULT_MAX_ROWS));
  const wanted = opts.containers ?? [];
  const g = await gather(src, wanted, maxRows);
  const selected = new Set(g.selected.map((c) => c.key));
  const multiHost = new Set(g.allContainers.map((c) => c.host)).size > 1;
  const findings = await runFindings(src, selected, multiHost, maxRows);
  const model = await buildModel(g, findings, {
    title: opts.title ?? `contxray report: ${opts.captures.join(', ')}`,
    captures: opts.captures,
    interactive: opts.interactive ?? false,
    maxRows,
    now: opts.now ?? new Date(),
    filtered: wanted.length > 0,
  });
  const charts = model.sections.reduce((n, s) => n + s.charts.filter((c) => !c.empty).length, model.activity ? 1 : 0);
  return { html: renderPage(model), containers: g.selected.length, findings: model.findingsFound, charts };
}
