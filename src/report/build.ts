/**
 * Builds the page model from the gathered rows: overview, ranked findings, one section per
 * container, and the charts (as SVG, or as specs for --interactive).
 */
import { containersActivitySpec, execTimelineSpec, networkMapSpec, resourcesSpec, syscallsOverTimeSpec, topSyscallsSpec } from './charts.js';
import { anomalyModel, type AnomalyInput, type AnomalyModel } from './anomaly.js';
import { containerSection, type ContainerSection } from './container.js';
import type { Gathered } from './gather.js';
import { capturesTable, containersTable, countsTable, statsTable, warnings, zeroCounters, type Warning } from './overview.js';
import { toSvg } from './svg.js';
import type { Chart, Finding, Table } from './types.js';
import { clean, fmtDuration, fmtInt, fmtTime, num } from './values.js';

export interface PageModel {
  title: string;
  generated: string;
  hosts: string;
  span: string;
  selection: string;
  warnings: Warning[];
  captures: Table;
  counts: Table;
  stats: Table;
  zeroCounters: number;
  containers: Table;
  activity: Chart | null;
  findings: Finding[];
  findingsFound: number;
  quiet: Finding[]; // checked, nothing found
  sections: (ContainerSection & { charts: Chart[] })[];
  anomaly: AnomalyModel | null;
  interactive: boolean;
}

export interface BuildOptions {
  title: string;
  captures: string[];
  interactive: boolean;
  maxRows: number;
  maxContainers: number;
  now: Date;
  filtered: boolean;
  anomalies?: AnomalyInput;
}

/** Cells with long text may break anywhere; short ones keep their words whole (see report.css). */
function markLong<T>(value: T): T {
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.text === 'string' && o.text.length > 32) o.long = true;
      else Object.values(o).forEach(walk);
    }
  };
  walk(value);
  return value;
}

/** Which containers the page details, and why: the reader must know what was left out. */
function selectionText(g: Gathered, o: BuildOptions): string {
  const scope = o.filtered ? `${fmtInt(g.inScope)} containers matched by --container` : `${fmtInt(g.inScope)} containers`;
  if (g.selected.length >= g.inScope) return scope;
  return `${scope}; ${fmtInt(g.selected.length)} shown in detail (those with findings first, then the busiest; --max-containers ${o.maxContainers}), the others in the containers table`;
}

export async function buildModel(g: Gathered, findings: Finding[], o: BuildOptions): Promise<PageModel> {
  let chartNo = 0;
  const chart = async (title: string, spec: object, empty: boolean): Promise<Chart> => {
    const id = `chart-${++chartNo}`;
    const description = String((spec as { description?: string }).description ?? title);
    if (empty) return { id, title, description, empty };
    return o.interactive ? { id, title, description, spec, empty } : { id, title, description, svg: await toSvg(spec, id), empty };
  };
  const anchors = new Map(g.selected.map((c, i) => [c.key, `c-${i + 1}`]));
  const sections: PageModel['sections'] = [];
  for (const c of g.selected) {
    const pc = g.perContainer.get(c.key)!;
    const edges = g.network.filter((e) => e.client_id === c.id || e.server_id === c.id);
    const section = containerSection(g, c, anchors.get(c.key)!, edges, o.captures, o.maxRows);
    const charts = [
      await chart('Top syscalls', topSyscallsSpec(pc.topSyscalls), pc.topSyscalls.length === 0),
      await chart('Syscalls over time', syscallsOverTimeSpec(pc.syscallsTime, g.bucketMs), pc.syscallsTime.length === 0),
      await chart('Exec timeline', execTimelineSpec(pc.execTimeline, g.execBucketMs), pc.execTimeline.length === 0),
      await chart('Connection map', networkMapSpec(edges, clean(c.name, 60)), edges.length === 0),
      await chart('Resources', resourcesSpec(pc.resourcesTime, g.bucketMs), pc.resourcesTime.length === 0),
    ];
    sections.push({ ...section, charts });
  }
  const activityRows = g.selected.map((c) => ({ name: c.name, calls: num(c.activity.calls) }));
  const hosts = [...new Set(g.captures.map((c) => clean(c.host, 80)))];
  return markLong({
    title: clean(o.title, 200),
    generated: fmtTime(o.now.getTime()),
    hosts: hosts.join(', ') || 'unknown',
    span: g.spanMs ? `${fmtTime(g.spanMs[0])} – ${fmtTime(g.spanMs[1])} (${fmtDuration(g.spanMs[1] - g.spanMs[0])})` : 'unknown',
    selection: selectionText(g, o),
    warnings: warnings(g),
    captures: capturesTable(g),
    counts: countsTable(g),
    stats: statsTable(g, o.maxRows),
    zeroCounters: zeroCounters(g),
    containers: containersTable(g, anchors, o.maxRows),
    activity: activityRows.length > 1 ? await chart('Activity per container', containersActivitySpec(activityRows), false) : null,
    findings: findings.filter((f) => f.hits > 0),
    findingsFound: findings.filter((f) => f.hits > 0).length,
    quiet: findings.filter((f) => f.hits === 0),
    sections,
    anomaly: o.anomalies ? await anomalyModel(o.anomalies, chart) : null,
    interactive: o.interactive,
  });
}
