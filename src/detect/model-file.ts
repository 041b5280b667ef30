/**
 * The model file: versioned JSON holding only what scoring needs — per group its feature names,
 * syscall vocabulary, novelty sets, thresholds and the forest's flat arrays (little-endian base64,
 * so a model moves between machines). Loading checks every array length and index before a tree is
 * walked: a model file is input, and a corrupt one must fail with one line, not loop or crash.
 */
import { IsolationForest, type ForestArrays } from './forest.js';
import { DEFAULT_OPTIONS, type DetectOptions, type GroupModel } from './model.js';
import { featureNames, type NoveltyKind } from './features.js';

export const MODEL_FORMAT = 'contxray-detect-model';
/** 2: resource features, the destination-burst rule, recording-wise validation (1 is refused: other features). */
export const MODEL_VERSION = 2;

export interface ModelFile {
  arch: string;
  windowMs: number;
  by: 'name' | 'image';
  options: DetectOptions;
  groups: GroupModel[];
}

type Typed = Int32Array | Float64Array;

function b64(a: Typed): string {
  const buf = Buffer.alloc(a.length * a.BYTES_PER_ELEMENT);
  a.forEach((v, i) => (a instanceof Int32Array ? buf.writeInt32LE(v, i * 4) : buf.writeDoubleLE(v, i * 8)));
  return buf.toString('base64');
}

function unb64<T extends Typed>(s: unknown, kind: 'i32' | 'f64', what: string): T {
  if (typeof s !== 'string') throw new Error(`${what} missing`);
  const buf = Buffer.from(s, 'base64');
  const size = kind === 'i32' ? 4 : 8;
  if (buf.length % size !== 0) throw new Error(`${what}: ${buf.length} bytes is not a whole number of values`);
  const n = buf.length / size;
  const out = kind === 'i32' ? new Int32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = kind === 'i32' ? buf.readInt32LE(i * 4) : buf.readDoubleLE(i * 8);
  return out as T;
}

const F_I32 = ['roots', 'feature', 'left', 'right', 'size'] as const;
const F_F64 = ['split', 'lo', 'hi', 'boxLo', 'boxHi', 'select'] as const;

export function modelJson(m: ModelFile, version: string): string {
  return `${JSON.stringify({
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    created_by: `contxray ${version}`,
    arch: m.arch,
    window_ms: m.windowMs,
    by: m.by,
    options: m.options,
    groups: m.groups.map((g) => {
      const a = g.forest.arrays();
      return {
        ...g,
        forest: { d: a.d, psi: a.psi, trees: a.trees, ...Object.fromEntries([...F_I32, ...F_F64].map((k) => [k, b64(a[k])])) },
      };
    }),
  })}\n`;
}

/** Parses and checks a model file; throws an Error with a one-line reason. */
export function parseModel(text: string): ModelFile {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error('not JSON');
  }
  if (j?.format !== MODEL_FORMAT) throw new Error('not a contxray detect model');
  if (j.version !== MODEL_VERSION) throw new Error(`model format version ${String(j.version)}, this contxray reads version ${MODEL_VERSION}: train it again with this version`);
  if (typeof j.arch !== 'string' || typeof j.window_ms !== 'number' || !(j.window_ms > 0)) throw new Error('arch or window_ms missing');
  if (j.by !== 'name' && j.by !== 'image') throw new Error("by must be 'name' or 'image'");
  if (!Array.isArray(j.groups) || j.groups.length === 0) throw new Error('no groups');
  const groups = j.groups.map((g: Record<string, unknown>, i: number) => parseGroup(g, `group ${i}`));
  return { arch: j.arch, windowMs: j.window_ms, by: j.by, options: parseOptions(j.options), groups };
}

function parseOptions(v: unknown): DetectOptions {
  const o = { ...DEFAULT_OPTIONS, ...(v && typeof v === 'object' ? v : {}) } as DetectOptions;
  if (!['none', 'upper', 'both'].includes(o.extension)) throw new Error(`options.extension '${String(o.extension)}' unknown`);
  if (!(o.tolerance >= 0 && o.tolerance < 10)) throw new Error('options.tolerance must be in [0, 10)');
  if (!(o.margin >= 0 && o.spread >= 0)) throw new Error('options.margin and options.spread must be ≥ 0');
  if (!(o.smoothing > 0 && o.smoothing <= 1)) throw new Error('options.smoothing must be in (0, 1]');
  if (typeof o.riskyRule !== 'boolean' || typeof o.groupShares !== 'boolean' || typeof o.driftRule !== 'boolean' || typeof o.surgeRule !== 'boolean' || typeof o.burstRule !== 'boolean' || typeof o.resources !== 'boolean') throw new Error('options.riskyRule, groupShares, driftRule, surgeRule, burstRule and resources must be true or false');
  if (!(o.surgeFactor >= 1)) throw new Error('options.surgeFactor must be ≥ 1');
  if (!(Number.isInteger(o.burstMin) && o.burstMin >= 1)) throw new Error('options.burstMin must be an integer ≥ 1');
  if (o.validation !== 'recordings' && o.validation !== 'time') throw new Error("options.validation must be 'recordings' or 'time'");
  if (typeof o.lifecycle !== 'boolean') throw new Error('options.lifecycle must be true or false');
  return o;
}

function strings(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`${what}: not a list of strings`);
  return v as string[];
}

function numbers(v: unknown, n: number, what: string): number[] {
  if (!Array.isArray(v) || v.length !== n || v.some((x) => typeof x !== 'number')) throw new Error(`${what}: not ${n} numbers`);
  return v as number[];
}

function parseGroup(g: Record<string, unknown>, what: string): GroupModel {
  const features = strings(g.features, `${what} features`);
  const vocab = strings(g.vocab, `${what} vocab`);
  if (featureNames(vocab).join('\n') !== features.join('\n')) throw new Error(`${what}: features differ from this version's (trained by another contxray version?)`);
  const f = g.forest as Record<string, unknown>;
  if (!f || typeof f !== 'object') throw new Error(`${what}: no forest`);
  const d = Number(f.d);
  const psi = Number(f.psi);
  const trees = Number(f.trees);
  if (d !== features.length || !(psi >= 1) || !(trees >= 1)) throw new Error(`${what}: forest shape does not match its ${features.length} features`);
  const a = { d, psi, trees } as ForestArrays;
  for (const k of F_I32) (a as unknown as Record<string, Typed>)[k] = unb64(f[k], 'i32', `${what} ${k}`);
  for (const k of F_F64) (a as unknown as Record<string, Typed>)[k] = unb64(f[k], 'f64', `${what} ${k}`);
  const nodes = a.feature.length;
  if (a.roots.length !== trees || [a.left, a.right, a.size, a.split, a.lo, a.hi].some((x) => x.length !== nodes)) throw new Error(`${what}: forest arrays of different lengths`);
  if (a.boxLo.length !== trees * d || a.boxHi.length !== trees * d || a.select.length !== d) throw new Error(`${what}: forest box or weights of the wrong size`);
  for (let t = 0; t < trees; t++) if (a.roots[t]! < 0 || a.roots[t]! >= nodes) throw new Error(`${what}: root out of range`);
  // Children always come after their parent: this bounds every walk.
  for (let i = 0; i < nodes; i++) {
    const ft = a.feature[i]!;
    if (ft < -1 || ft >= d) throw new Error(`${what}: node ${i} splits on feature ${ft}`);
    if (ft >= 0 && !(a.left[i]! > i && a.left[i]! < nodes && a.right[i]! > i && a.right[i]! < nodes)) throw new Error(`${what}: node ${i} has children out of order`);
  }
  const seenRaw = (g.seen ?? {}) as Record<string, unknown>;
  const seen = Object.fromEntries((['program', 'syscall', 'path', 'peer', 'port', 'listen'] as NoveltyKind[]).map((k) => [k, strings(seenRaw[k], `${what} seen.${k}`)])) as Record<NoveltyKind, string[]>;
  if (typeof g.threshold !== 'number' || !(g.threshold >= 0 && g.threshold <= 1)) throw new Error(`${what}: threshold must be in [0, 1]`);
  // a model saved before lifecycle thresholds scores every window against its one threshold
  const lifecycleThreshold = g.lifecycleThreshold ?? g.threshold;
  if (typeof lifecycleThreshold !== 'number' || !(lifecycleThreshold >= 0 && lifecycleThreshold <= 1)) throw new Error(`${what}: lifecycleThreshold must be in [0, 1]`);
  return {
    name: String(g.name ?? ''),
    image: String(g.image ?? ''),
    containers: strings(g.containers ?? [], `${what} containers`),
    vocab,
    features,
    seen,
    resources: g.resources === true,
    forest: IsolationForest.fromArrays(a),
    upper: numbers(g.upper, d, `${what} upper`),
    inlierAttribution: numbers(g.inlierAttribution, d, `${what} inlierAttribution`),
    threshold: g.threshold,
    lifecycleThreshold,
    thresholdSource: g.thresholdSource === 'training' ? 'training' : 'validation',
    trainWindows: Number(g.trainWindows ?? 0),
    validationWindows: Number(g.validationWindows ?? 0),
  };
}
