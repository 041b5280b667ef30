/** `contxray report`: captures → one self-contained HTML file. See docs/report.md. */
import { buildModel } from './build.js';
import { runFindings } from './findings.js';
import { gather, prepare } from './gather.js';
import { containerIdsParam, resolveContainers } from '../analyze/select.js';
import { renderPage } from './render.js';
import type { ReportOptions, ReportSource } from './types.js';
import { DEFAULT_MAX_CONTAINERS, DEFAULT_MAX_ROWS } from './limits.js';

export type { ReportOptions, ReportSource } from './types.js';

export { DEFAULT_MAX_CONTAINERS, DEFAULT_MAX_ROWS } from './limits.js';

export interface ReportResult {
  html: string;
  containers: number; // with a section of their own
  inScope: number; // all containers in scope (the capture's, or those --container matched)
  findings: number;
  charts: number;
}

export async function generateReport(src: ReportSource, opts: ReportOptions): Promise<ReportResult> {
  const maxRows = Math.max(1, Math.floor(opts.maxRows ?? DEFAULT_MAX_ROWS));
  const maxContainers = Math.max(1, Math.floor(opts.maxContainers ?? DEFAULT_MAX_CONTAINERS));
  const wanted = opts.containers ?? [];
  const pre = await prepare(src);
  // --container resolved once (src/analyze/select.ts); findings filter by its keys, queries get its ids
  const selection = await resolveContainers(src, wanted);
  const scope = selection?.keys ?? null;
  const multiHost = new Set(pre.captures.map((c) => String(c.host))).size > 1;
  const findings = await runFindings(src, scope, multiHost, maxRows, maxContainers);
  // containers with findings are shown first: the most severe finding's containers, then the next
  const flagged: string[] = [];
  for (const f of findings) {
    for (const id of f.containerIds) if (flagged.length < maxContainers && !flagged.includes(id)) flagged.push(id);
  }
  const g = await gather(src, pre, containerIdsParam(selection), flagged, maxContainers, maxRows);
  const model = await buildModel(g, findings, {
    title: opts.title ?? `contxray report: ${opts.captures.join(', ')}`,
    captures: opts.captures,
    interactive: opts.interactive ?? false,
    maxRows,
    maxContainers,
    now: opts.now ?? new Date(),
    filtered: wanted.length > 0,
    anomalies: opts.anomalies,
  });
  const anomalyCharts = model.anomaly?.containers.filter((c) => !c.chart.empty).length ?? 0;
  const charts = model.sections.reduce((n, s) => n + s.charts.filter((c) => !c.empty).length, (model.activity ? 1 : 0) + anomalyCharts);
  return { html: renderPage(model), containers: g.selected.length, inScope: g.inScope, findings: model.findingsFound, charts };
}
