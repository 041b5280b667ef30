/**
 * The detector end to end, independent of the CLI: group baseline series into models, find each
 * scored container's model (by name, falling back to image), score, explain.
 */
import { isoNs } from '../analyze/values.js';
import { CaptureError } from '../util/errors.js';
import type { ContainerRef } from './facts.js';
import { explain, type Reason } from './explain.js';
import { burstRuleReasons, driftRuleReason, joinReasons, riskyRuleReason, surgeRuleReason } from './rules.js';
import { scoreSeries, selfScore, trainGroup, type DetectOptions, type GroupModel, type ScoredWindow, type Series } from './model.js';
import type { ModelFile } from './model-file.js';

export type By = 'name' | 'image';

export interface DetectRow {
  host: string;
  container: string;
  container_id: string;
  image: string;
  capture: string;
  window_start: string;
  window_end: string;
  score: number;
  threshold: number;
  anomalous: boolean;
  /** The window holds the container's start or exit: its threshold is the lifecycle one (thresholds.ts). */
  lifecycle: boolean;
  /** Rules (beside the forest's score) that flagged the window by themselves: src/detect/rules.ts. */
  rules: string[];
  reasons: Reason[];
}

const groupKey = (ref: ContainerRef, by: By) => (by === 'name' ? ref.name : ref.image || ref.name);

export function trainModel(series: Series[], windowMs: number, by: By, options: DetectOptions): ModelFile {
  const active = series.filter((s) => s.windows.length > 0);
  if (active.length === 0) throw new CaptureError('no-activity', 'baseline: no container activity in the baseline captures (empty or host-only?)');
  const archs = [...new Set(active.map((s) => s.ref.arch))];
  if (archs.length > 1) throw new CaptureError('mixed-architectures', `baseline captures come from several architectures (${archs.join(', ')}): syscalls differ; train one model per architecture`);
  const groups = new Map<string, Series[]>();
  for (const s of active) {
    const k = groupKey(s.ref, by);
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  const models = [...groups.values()].map((g) => trainGroup(g, windowMs, options));
  return { arch: archs[0]!, windowMs, by, options, groups: models };
}

/** The model for a scored container: same name (or image with --by image); else same image. */
export function matchGroup(model: ModelFile, ref: ContainerRef): GroupModel | null {
  if (model.by === 'name') {
    const byName = model.groups.find((g) => g.name === ref.name);
    if (byName) return byName;
  }
  const byImage = model.groups.filter((g) => ref.image !== '' && g.image === ref.image);
  return byImage.sort((a, b) => b.trainWindows - a.trainWindows)[0] ?? null;
}

/** The baseline's highest CPU (cores) and pids, from the model's per-feature maxima. */
function resourceMax(model: GroupModel): { cpuCores: number; pids: number; forks: number } | null {
  if (model.thresholdSource === 'self') return null;
  const at = (name: string) => model.upper[model.features.indexOf(name)] ?? 0;
  // without resource samples in the baseline, CPU and pids are unknown: never a surge
  const none = model.resources ? 0 : Infinity;
  return { cpuCores: at('cpu_cores') + none, pids: Math.round(Math.expm1(at('pids'))) + none, forks: Math.round(Math.expm1(at('forks'))) };
}

/** The destination-burst rule's reasons by window index: it looks across window boundaries (rules.ts). */
function burstsOf(model: GroupModel, scored: readonly ScoredWindow[], options: DetectOptions, windowMs: number): Map<number, Reason> {
  if (!options.burstRule) return new Map();
  return burstRuleReasons(scored.map((x) => x.facts), new Set(model.seen.peer), new Set(model.seen.port), options.burstMin, BigInt(windowMs) * 1_000_000n);
}

function rowOf(model: GroupModel, x: ScoredWindow, threshold: number, options: DetectOptions, windowMs: number, burst: Reason | undefined): DetectRow {
  const ref = x.facts.ref;
  const fired = [
    options.riskyRule ? riskyRuleReason(x.facts, new Set(model.seen.syscall)) : null,
    burst ?? null,
    // without a baseline every capture's entrypoint would be "never run before"
    options.driftRule && model.thresholdSource !== 'self' ? driftRuleReason(x.facts, new Set(model.seen.program)) : null,
    options.surgeRule ? surgeRuleReason(x.facts, resourceMax(model), options.surgeFactor, windowMs / 1000) : null,
  ].filter((r): r is Reason => r !== null);
  const anomalous = x.score > threshold || fired.length > 0;
  return {
    host: ref.host,
    container: ref.name,
    container_id: ref.containerId,
    image: ref.image,
    capture: ref.capture,
    window_start: isoNs(x.facts.startNs),
    window_end: isoNs(x.facts.endNs),
    score: Math.round(x.score * 10000) / 10000,
    threshold: Math.round(threshold * 10000) / 10000,
    anomalous,
    lifecycle: x.facts.lifecycle,
    rules: fired.map((r) => r.feature),
    reasons: joinReasons(fired, explain(model, x)),
  };
}

export interface DetectResult {
  rows: DetectRow[];
  unmatched: ContainerRef[];
}

/** Scores series against a model, or (model null) each series against itself. */
export function detect(model: ModelFile | null, series: Series[], opts: { threshold?: number; windowMs: number; options: DetectOptions }): DetectResult {
  const rows: DetectRow[] = [];
  const unmatched: ContainerRef[] = [];
  for (const s of series) {
    if (s.windows.length === 0) continue;
    if (model === null) {
      const { model: m, scored } = selfScore(s, opts.windowMs, opts.options);
      const bursts = burstsOf(m, scored, opts.options, opts.windowMs);
      scored.forEach((x, i) => rows.push(rowOf(m, x, opts.threshold ?? m.threshold, opts.options, opts.windowMs, bursts.get(i))));
      continue;
    }
    if (s.ref.arch !== model.arch) {
      throw new CaptureError('architecture-mismatch', `${s.ref.capture} was recorded on ${s.ref.arch}, the baseline on ${model.arch}: syscalls differ; use a baseline recorded on ${s.ref.arch}`);
    }
    const g = matchGroup(model, s.ref);
    if (!g) {
      unmatched.push(s.ref);
      continue;
    }
    const scored = scoreSeries(g, s, model.windowMs, model.options);
    const bursts = burstsOf(g, scored, model.options, model.windowMs);
    scored.forEach((x, i) => rows.push(rowOf(g, x, opts.threshold ?? (x.facts.lifecycle ? g.lifecycleThreshold : g.threshold), model.options, model.windowMs, bursts.get(i))));
  }
  return { rows, unmatched };
}
