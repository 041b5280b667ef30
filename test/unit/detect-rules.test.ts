/**
 * The risky-syscall rule (src/detect/rules.ts): a window whose only change is an escape-relevant
 * syscall never seen in the baseline (ptrace ×12) scores below the forest's threshold, and is flagged
 * by the rule alone, reported as a rule; switched off, nothing is flagged.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { detect, trainModel } from '../../src/detect/detect.js';
import { DEFAULT_OPTIONS, type Series } from '../../src/detect/model.js';
import { cli, tempDir } from '../helpers/captures.js';
import { writeWorkload } from '../helpers/detect-workload.js';
import { loadCaptureSeries } from '../helpers/detect-data.js';

const T = 1_764_400_000_000_000_000n;
const HOUR = 3_600_000_000_000n;
const { dir, cleanup } = tempDir('contxray-detect-rules-');
const f = (name: string) => join(dir, name);

const load = loadCaptureSeries;

before(async () => {
  await writeWorkload(f('base.arrow'), { startNs: T, seconds: 300, seed: 1 });
  await writeWorkload(f('ptrace.arrow'), { startNs: T + HOUR, seconds: 200, seed: 5, attackWindow: 7, attack: ['new-syscall'] });
});
after(cleanup);

test('ptrace never seen in the baseline flags its window by the rule, reported as a rule; exit 1', () => {
  const r = cli(['detect', f('ptrace.arrow'), '--baseline', f('base.arrow'), '-f', 'json']);
  assert.equal(r.status, 1, r.stderr);
  const rows = JSON.parse(r.stdout) as Array<{ container: string; window_start: string; score: number; threshold: number; anomalous: boolean; rules: string[]; reasons: Array<{ feature: string; text: string }> }>;
  const flagged = rows.filter((x) => x.anomalous);
  assert.deepEqual(flagged.map((x) => [x.container, x.rules]), [['web', ['rule:new_risky_syscall']]]);
  const w = flagged[0]!;
  assert.ok(w.score <= w.threshold, `the forest alone does not flag it (${w.score} vs ${w.threshold}): the rule does`);
  assert.equal(w.reasons[0]!.feature, 'rule:new_risky_syscall');
  assert.match(w.reasons[0]!.text, /^rule: risky syscall never seen in baseline: ptrace called 12 times: inspects and rewrites other processes/);
  for (const x of rows.filter((y) => !y.anomalous)) assert.deepEqual(x.rules, []);
});

test('riskyRule off: the same window is not flagged (the forest alone misses it)', async () => {
  const options = { ...DEFAULT_OPTIONS, riskyRule: false };
  const model = trainModel(await load(f('base.arrow')), 10_000, 'name', options);
  const rows = detect(model, await load(f('ptrace.arrow')), { windowMs: 10_000, options }).rows;
  assert.equal(rows.filter((x) => x.anomalous).length, 0);
  assert.ok(rows.every((x) => x.rules.length === 0));
});
