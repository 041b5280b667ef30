/**
 * `contxray detect` for real: real BPF, real Docker, the real CLI. Records the detect scenario
 * (scripts/detect-scenario.sh: busybox httpd + a fetching client) three times — a baseline, a
 * second normal run, and a run where the client port-scans 50 ports of the server halfway — and
 * checks that the scan's window is flagged with a reason naming the ports, and that the second
 * normal run flags nothing (exit 0). 5 s windows keep the runs short. CXD_PREFIX / CXD_SUBNET
 * (scripts/detect-scenario.sh) let concurrent runs on one host not clash.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireOrSkip } from '../helpers/env.js';
import { BIN, cli, tempDir } from '../helpers/captures.js';
import { ensureTestImage, TEST_IMAGE, TEST_LABEL, docker, removeContainers } from '../helpers/docker.js';
import { whyNoRecording } from '../helpers/recorder.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCENARIO = join(ROOT, 'scripts', 'detect-scenario.sh');
const work = tempDir('contxray-detect-sys-');
const f = (name: string) => join(work.dir, name);
const P = process.env.CXD_PREFIX ?? 'cxd';
let ready = false;
let why = '';

function record(name: string, seconds: number, attack?: string): void {
  const r = spawnSync(process.execPath, [BIN, 'record', '-o', f(`${name}.arrow`), '-c', `${P}-web`, '-c', `${P}-client`, '--', 'bash', SCENARIO, f(name), String(seconds), ...(attack ? [attack] : [])], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, CONTXRAY_IMAGE: TEST_IMAGE, CONTXRAY_LABEL: TEST_LABEL },
  });
  assert.equal(r.status, 0, `record ${name} failed: ${r.stderr}`);
}

before(async () => {
  why = await whyNoRecording();
  if (!why) {
    await ensureTestImage();
    record('base', 30);
    record('normal', 20);
    record('attack', 20, 'portscan');
    ready = true;
  }
});

after(async () => {
  await removeContainers(`${P}-web`, `${P}-client`).catch(() => undefined);
  await docker('network', 'rm', `${P}-net`).catch(() => undefined);
  work.cleanup();
});

interface Row {
  container: string;
  window_start: string;
  anomalous: boolean;
  score: number;
  threshold: number;
  rules: string[];
  reasons: Array<{ feature: string; text: string }>;
}

// Was a todo: the scan's window carried the right reasons but its forest score (0.54) stayed below
// the threshold (0.88) a 30 s baseline gives. The destination-burst rule (src/detect/rules.ts) now
// flags it: 10+ destinations never seen in the baseline within one window length. The scan takes
// 0.3–2 s (more under load) and the 5 s windows are cut at fixed epoch multiples, so it may fall
// into two windows (once seen: 7 ports before the boundary): each window holding part of it is
// flagged by the rule, naming the whole burst, and no other window is flagged.
test('real Docker: the port-scan window of the client is flagged, a reason names the ports; exit 1', (t) => {
  if (!requireOrSkip(t, ready, why)) return;
  const r = cli(['detect', f('attack.arrow'), '--baseline', f('base.arrow'), '--window', '5s', '-f', 'json'], { timeoutMs: 120_000 });
  assert.equal(r.status, 1, r.stderr);
  const rows = JSON.parse(r.stdout) as Row[];
  const flagged = rows.filter((x) => x.anomalous);
  const show = JSON.stringify(flagged, null, 1);
  assert.ok(flagged.length >= 1, show);
  assert.ok(flagged.every((x) => x.container === `${P}-client`), JSON.stringify(flagged.map((x) => x.container)));
  // every flagged window holds part of the scan (the rule fired there): nothing else is flagged
  assert.ok(flagged.every((x) => x.rules.includes('rule:new_destination_burst')), show);
  // one scan: consecutive windows
  const starts = flagged.map((x) => Date.parse(x.window_start)).sort((a, b) => a - b);
  assert.ok(starts.every((s, i) => i === 0 || s - starts[i - 1]! === 5000), show);
  const texts = flagged.flatMap((x) => x.reasons.slice(0, 3).map((y) => y.text)).join('\n');
  // the scan runs nc (new program) against 50 refused ports: the top-3 reasons name the ports
  assert.match(texts, /destinations never seen in baseline \(1 host(; \d+ of them in this window, all within 5 s)?\) — [0-9.:a-f]+: [1-5]?\d ports \(8000, 8001/, texts);
});

// Flaked about 1 run in 10 (and the scan test with it): a new start window scored above the single
// threshold of the one-recording baseline. Lifecycle windows now get it widened (src/detect/thresholds.ts,
// docs/detect.md "One baseline recording"); steady windows are held to the same threshold as before.
test('real Docker: a second normal run of the same workload flags nothing; exit 0', (t) => {
  if (!requireOrSkip(t, ready, why)) return;
  const r = cli(['detect', f('normal.arrow'), '--baseline', f('base.arrow'), '--window', '5s', '-f', 'json'], { timeoutMs: 120_000 });
  const rows = JSON.parse(r.stdout || '[]') as Row[];
  assert.equal(r.status, 0, `${r.stderr}\n${JSON.stringify(rows.filter((x) => x.anomalous), null, 1)}`);
  assert.ok(rows.length >= 6, `both containers scored over several windows (${rows.length})`);
});
