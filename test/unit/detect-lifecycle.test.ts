/**
 * Lifecycle windows (a container's start or exit inside the recording: src/detect/facts.ts) are
 * scored against the baseline's own lifecycle windows (src/detect/thresholds.ts): which windows
 * count, the two thresholds, the real capture path (DuckDB) marking them, each row compared with its
 * own threshold, and the model file keeping both.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeCaptureFromRows } from '../support/fixture.js';
import { tempDir } from '../helpers/captures.js';
import { workloadRows } from '../helpers/detect-workload.js';
import { loadCaptureSeries } from '../helpers/detect-data.js';
import { EXIT_SLACK_NS, START_SLACK_NS, lifecycleWindows } from '../../src/detect/facts.js';
import { thresholds } from '../../src/detect/thresholds.js';
import { detect, trainModel } from '../../src/detect/detect.js';
import { DEFAULT_OPTIONS, type Series } from '../../src/detect/model.js';
import { modelJson, parseModel } from '../../src/detect/model-file.js';

const SEC = 1_000_000_000n;
const W = 10n * SEC;
const T = 1_764_400_000_000_000_000n; // a multiple of 10 s
const HOUR = 3_600n * SEC;
const { dir, cleanup } = tempDir('contxray-detect-lifecycle-');
const f = (name: string) => join(dir, name);

test('lifecycle windows: from first seen to the warm-up after started_at, and the exit: the init\'s, else the last sighting', () => {
  const t = { captureStartNs: T, captureEndNs: T + 100n * SEC, firstSeenNs: T + 12n * SEC, startedAtNs: T + 14n * SEC, lastSeenNs: T + 71n * SEC, initExitNs: null };
  const ws = (s: Set<bigint>) => [...s].map((w) => Number(w - T / W)).sort((a, b) => a - b);
  // start 12 s → warm-up ends 14 + 5 = 19 s: windows 1; exit at 71 s: windows 7 to the end (teardown)
  assert.equal(START_SLACK_NS, 5n * SEC);
  assert.deepEqual(ws(lifecycleWindows(t, W)), [1, 7, 8, 9, 10]);
  // a warm-up reaching into the next window takes it too
  assert.deepEqual(ws(lifecycleWindows({ ...t, startedAtNs: T + 17n * SEC }, W)), [1, 2, 7, 8, 9, 10]);
  // running when the recording began: no start; still active at its end: no exit
  assert.deepEqual(ws(lifecycleWindows({ ...t, firstSeenNs: T - SEC, lastSeenNs: T + 100n * SEC - EXIT_SLACK_NS + 1n }, W)), []);
  // no started_at (another runtime): the first sighting's warm-up only
  assert.deepEqual(ws(lifecycleWindows({ ...t, startedAtNs: null, lastSeenNs: null }, W)), [1]);
  // the init exited in the recording's last second (`record -- docker run`): still its exit window
  assert.deepEqual(ws(lifecycleWindows({ ...t, lastSeenNs: T + 99n * SEC + SEC / 2n, initExitNs: T + 99n * SEC + SEC / 2n }, W)), [1, 9, 10]);
  // the init's exit, not the last sighting, marks the exit when both are known
  assert.deepEqual(ws(lifecycleWindows({ ...t, initExitNs: T + 89n * SEC, lastSeenNs: T + 99n * SEC + SEC / 2n }, W)), [1, 8, 9, 10]);
  // an init exit is trusted only when the start was recorded (else the first exec is any program)
  assert.deepEqual(ws(lifecycleWindows({ ...t, firstSeenNs: T - SEC, lastSeenNs: T + 99n * SEC + SEC / 2n, initExitNs: T + 30n * SEC }, W)), []);
});

test('thresholds: steady windows against the steady maximum, lifecycle windows against their own (never lower)', () => {
  const scores = [0.40, 0.45, 0.50, 0.72, 0.70];
  const life = [false, false, false, true, true];
  const t = thresholds(scores, life, 0.02, 0, 'separate');
  assert.ok(Math.abs(t.threshold - 0.52) < 1e-9 && Math.abs(t.lifecycleThreshold - 0.74) < 1e-9, JSON.stringify(t));
  // a steady window at 0.6 is flagged with separate thresholds, not with one over everything
  assert.ok(0.6 > t.threshold);
  const one = thresholds(scores, life, 0.02, 0, 'one');
  assert.ok(Math.abs(one.threshold - 0.74) < 1e-9 && one.lifecycleThreshold === one.threshold);
  // lifecycle windows that score low never get a threshold below the steady one
  assert.equal(thresholds([0.5, 0.3], [false, true], 0.02, 0, 'separate').lifecycleThreshold, 0.52);
  // no lifecycle validation window: a lifecycle window gets the threshold over everything
  assert.equal(thresholds([0.5, 0.4], [false, false], 0.02, 0, 'separate').lifecycleThreshold, 0.52);
});

// Was a flake of test/system/detect.test.ts: with one baseline recording a new start window scored up
// to 0.055 above the single threshold (docs/detect.md); lifecycle windows now get that threshold
// widened by the baseline start's own departure from the median.
test('thresholds, one recording: steady windows keep the single threshold, lifecycle windows get it widened by their departure', () => {
  const scores = [0.40, 0.42, 0.45, 0.50, 0.70];
  const life = [false, false, false, false, true];
  const w = thresholds(scores, life, 0.02, 0.5, 'widened');
  const one = thresholds(scores, life, 0.02, 0.5, 'one');
  // single: 0.70 + 0.02 + 0.5 · (0.70 − 0.45) = 0.845; lifecycle: + 0.5 · (0.70 − 0.45) = 0.97
  assert.ok(Math.abs(w.threshold - 0.845) < 1e-9 && Math.abs(one.threshold - 0.845) < 1e-9, JSON.stringify(w));
  assert.ok(Math.abs(w.lifecycleThreshold - 0.97) < 1e-9, JSON.stringify(w));
  // a start that scores below the median widens nothing; at most 1; no lifecycle window: the single one
  assert.equal(thresholds([0.40, 0.45, 0.50, 0.30], [false, false, false, true], 0.02, 1, 'widened').lifecycleThreshold, thresholds([0.40, 0.45, 0.50, 0.30], [false, false, false, true], 0.02, 1, 'one').threshold);
  assert.equal(thresholds([0.40, 0.45, 0.95], [false, false, true], 0.02, 1, 'widened').lifecycleThreshold, 1);
  assert.equal(thresholds([0.40, 0.45], [false, false], 0.02, 1, 'widened').lifecycleThreshold, thresholds([0.40, 0.45], [false, false], 0.02, 1, 'one').threshold);
});

/**
 * The synthetic workload, its containers started 12 s into the recording (the init's exec: web's
 * httpd, pid 100; worker's, pid 200) and gone 20 s before its end (the init's exit); web's cgroup is
 * sampled every second to the end, as the resource sampler does until the runtime removes it.
 */
async function writeLifecycle(path: string, startNs: bigint, seed: number): Promise<void> {
  const seconds = 120;
  const first = startNs + 12n * SEC;
  const last = startNs + BigInt(seconds - 20) * SEC;
  const rows = workloadRows({ startNs, seconds, seed })
    .filter((r) => r.kind === 'container' || r.kind === 'stats' || ((r.ts as bigint) > first + SEC && (r.ts as bigint) < last))
    .map((r) => (r.kind === 'container' ? { ...r, first_seen: first, started_at: first + SEC, last_seen: last } : r));
  for (const [cg, pid, comm] of [[8101n, 100, 'httpd'], [8102n, 200, 'worker']] as const) {
    rows.push({ kind: 'exec', ts: first + SEC, cgroup_id: cg, pid, tid: pid, comm, ppid: 1, uid: 0, filename: `/usr/bin/${comm}`, argv: [comm], truncated: false });
    rows.push({ kind: 'exit', ts: last, cgroup_id: cg, pid, tid: pid, comm, exit_code: 0 });
  }
  for (let t = 13n; t < BigInt(seconds); t++) {
    rows.push({ kind: 'resource', ts: startNs + t * SEC, cgroup_id: 8101n, cpu_usage_usec: 10_000n * (t < 100n ? t : 100n), memory_current: 5_000_000n, pids_current: t < 100n ? 2n : 0n });
  }
  await writeCaptureFromRows(path, { host: { hostname: 'detect-host' }, startedAtNs: startNs, rows });
}

let base: Series[] = [];
let scored: Series[] = [];
before(async () => {
  await writeLifecycle(f('a.arrow'), T, 1);
  await writeLifecycle(f('b.arrow'), T + HOUR, 2);
  await writeLifecycle(f('c.arrow'), T + 2n * HOUR, 3);
  base = [...(await loadCaptureSeries(f('a.arrow'))), ...(await loadCaptureSeries(f('b.arrow')))];
  scored = await loadCaptureSeries(f('c.arrow'));
});
after(cleanup);

test('a real capture marks its containers\' start and exit windows, and each row uses its own threshold', () => {
  const web = scored.find((s) => s.ref.name === 'web')!;
  const index = (w: { w: bigint }) => Number(w.w - T / W - 2n * HOUR / W);
  // windows of 10 s: the start at 12 s (warm-up to 18 s) is window 1, the exit at 100 s window 10
  assert.deepEqual(web.windows.filter((w) => w.lifecycle).map(index), [1, 10]);
  // window 11 after the exit holds only samples of the emptied cgroup: not scored
  assert.equal(index(web.windows.at(-1)!), 10);
  assert.ok(web.windows.some((w) => w.resources !== null && w.resources.samples > 0), 'the samples are loaded');
  const model = trainModel(base, 10_000, 'name', DEFAULT_OPTIONS);
  const g = model.groups.find((x) => x.name === 'web')!;
  assert.ok(g.lifecycleThreshold >= g.threshold);
  const rows = detect(model, scored, { windowMs: 10_000, options: DEFAULT_OPTIONS }).rows.filter((r) => r.container === 'web');
  for (const r of rows) assert.equal(r.threshold, Math.round((r.lifecycle ? g.lifecycleThreshold : g.threshold) * 10000) / 10000);
  assert.deepEqual(rows.filter((r) => r.lifecycle).length, 2);
  // switched off: one threshold for every window
  const off = trainModel(base, 10_000, 'name', { ...DEFAULT_OPTIONS, lifecycle: false });
  const h = off.groups.find((x) => x.name === 'web')!;
  assert.equal(h.lifecycleThreshold, h.threshold);
  // one baseline recording (time-block validation): one start and one exit are no reference of their
  // own; they widen the single threshold (thresholds.ts), which steady windows keep
  const one = trainModel(base.filter((x) => x.ref.capture === 'a.arrow'), 10_000, 'name', DEFAULT_OPTIONS);
  const o = one.groups.find((x) => x.name === 'web')!;
  const oneOff = trainModel(base.filter((x) => x.ref.capture === 'a.arrow'), 10_000, 'name', { ...DEFAULT_OPTIONS, lifecycle: false }).groups.find((x) => x.name === 'web')!;
  assert.equal(o.threshold, oneOff.threshold);
  assert.ok(o.lifecycleThreshold > o.threshold, JSON.stringify(o));
  // several recordings cut into time blocks (the bench's "time-block folds" row): one threshold, as before
  const time = trainModel(base, 10_000, 'name', { ...DEFAULT_OPTIONS, validation: 'time' }).groups.find((x) => x.name === 'web')!;
  assert.equal(time.lifecycleThreshold, time.threshold);
});

test('the model file keeps the lifecycle threshold; a model saved without one uses its threshold', () => {
  const model = trainModel(base, 10_000, 'name', DEFAULT_OPTIONS);
  const text = modelJson(model, 'test');
  const back = parseModel(text);
  assert.deepEqual(back.groups.map((g) => g.lifecycleThreshold), model.groups.map((g) => g.lifecycleThreshold));
  const j = JSON.parse(text) as { groups: Array<Record<string, unknown>> };
  for (const g of j.groups) delete g.lifecycleThreshold;
  assert.deepEqual(parseModel(JSON.stringify(j)).groups.map((g) => g.lifecycleThreshold), model.groups.map((g) => g.threshold));
  j.groups[0]!.lifecycleThreshold = 2;
  assert.throws(() => parseModel(JSON.stringify(j)), /lifecycleThreshold must be in \[0, 1\]/);
});
