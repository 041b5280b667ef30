/**
 * The recorder for real: real BPF on this kernel, real Docker containers, the real CLI.
 * Runs the web + client scenario (scripts/scenario.sh) under `contxray record -- …` and checks what
 * the capture shows; then kills a recorder with SIGKILL mid-run and reads what it left.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Analysis } from '../../src/analyze/db.js';
import { requireOrSkip } from '../helpers/env.js';
import { BIN, tempDir } from '../helpers/captures.js';
import { ensureTestImage, TEST_IMAGE, TEST_LABEL, removeContainers, docker } from '../helpers/docker.js';
import { whyNoRecording } from '../helpers/recorder.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCENARIO = join(ROOT, 'scripts', 'scenario.sh');
/** Other tests (the report's browser test) render this capture when it exists. */
export const SCENARIO_ARTIFACT = join(ROOT, 'artifacts', 'scenario.arrow');

let ready = false;
let why = '';
const work = tempDir('contxray-record-');
const capture = join(work.dir, 'scenario.arrow');
let analysis: Analysis | null = null;

before(async () => {
  why = await whyNoRecording();
  if (!why) {
    await ensureTestImage();
    const r = spawnSync(process.execPath, [BIN, 'record', '-o', capture, '-c', 'cx-web', '-c', 'cx-client', '--', 'bash', SCENARIO, work.dir], {
      encoding: 'utf8',
      timeout: 180_000,
      env: { ...process.env, CONTXRAY_IMAGE: TEST_IMAGE, CONTXRAY_LABEL: TEST_LABEL },
    });
    assert.equal(r.status, 0, `record failed: ${r.stderr}`);
    assert.match(r.stderr, /recorded .* into .*2 containers/, r.stderr);
    mkdirSync(join(ROOT, 'artifacts'), { recursive: true });
    copyFileSync(capture, SCENARIO_ARTIFACT);
    analysis = await Analysis.open([capture]);
    ready = true;
  }
});

after(async () => {
  analysis?.close();
  if (ready) await docker('network', 'rm', 'cx-scenario').catch(() => undefined);
  work.cleanup();
});

const show = (x: unknown) => JSON.stringify(x, (_, v) => (typeof v === 'bigint' ? v.toString() : v));

function need(t: import('node:test').TestContext): Analysis | null {
  return requireOrSkip(t, ready, why) ? analysis : null;
}

test('the capture file is private (mode 0600)', (t) => {
  if (!need(t)) return;
  assert.equal(statSync(capture).mode & 0o777, 0o600);
});

test('both containers appear with their Docker names and images', async (t) => {
  const a = need(t);
  if (!a) return;
  const rows = await a.all('SELECT name, image, runtime, ips FROM containers ORDER BY name');
  assert.deepEqual(rows.map((r) => [r.name, r.image, r.runtime]), [['cx-client', TEST_IMAGE, 'docker'], ['cx-web', TEST_IMAGE, 'docker']]);
  const web = rows.find((r) => r.name === 'cx-web')!;
  assert.ok((web.ips as string[]).includes('172.30.99.10') && (web.ips as string[]).includes('fd00:c0:ff00::10'), `web IPs: ${web.ips}`);
});

test("the client's exec carries its full argv", async (t) => {
  const a = need(t);
  if (!a) return;
  // busybox sh runs ls/mkdir as applets without exec; the shell itself and wget are real execs.
  const rows = await a.all("SELECT argv FROM execs WHERE container = 'cx-client'");
  const argvs = rows.map((r) => r.argv as string[]);
  assert.ok(argvs.some((v) => v[0] === 'sh' && v[1] === '-c' && v[2]!.includes('ls -l /shared /etc/hostname')), show(argvs));
  assert.ok(argvs.some((v) => show(v) === show(['wget', '-q', '-O', '/dev/null', 'http://[fd00:c0:ff00::10]/index.html'])), show(argvs));
});

test('the bind-mounted file is opened with its host filesystem type; no overlay files of the workload', async (t) => {
  const a = need(t);
  if (!a) return;
  const rows = await a.all("SELECT fs_type, errno FROM opens WHERE container = 'cx-client' AND path = '/shared/hello.txt' AND comm = 'cat'");
  assert.equal(rows.length, 1, 'one open of the bind-mounted file by cat');
  assert.notEqual(rows[0]!.fs_type, 'overlay');
  assert.equal(rows[0]!.errno, null);
  // Nothing on the containers' own overlay roots: neither the workload's opens nor runc's before pivot_root.
  const overlay = await a.all("SELECT path, comm FROM opens WHERE fs_type = 'overlay'");
  assert.deepEqual(overlay, []);
});

test('client → web connections name both containers and ports, over IPv4 and IPv6', async (t) => {
  const a = need(t);
  if (!a) return;
  const rows = await a.all("SELECT client_container, server_container, server_addr, server_port, seen, duration_ns FROM connections WHERE server_port = 80");
  const v4 = rows.filter((r) => r.server_addr === '172.30.99.10');
  const v6 = rows.filter((r) => r.server_addr === 'fd00:c0:ff00::10');
  assert.equal(v4.length, 3, show(rows));
  assert.equal(v6.length, 3);
  for (const r of rows) {
    assert.equal(r.client_container, 'cx-client');
    assert.equal(r.server_container, 'cx-web');
    assert.equal(r.seen, 'both');
    assert.ok(typeof r.duration_ns === 'bigint' && r.duration_ns > 0n, 'closed with a duration');
  }
});

test('syscall counts for both containers include execve; the denied mkdir shows with EPERM', async (t) => {
  const a = need(t);
  if (!a) return;
  const rows = await a.all("SELECT container, sum(count) AS n FROM syscalls WHERE name = 'execve' GROUP BY container ORDER BY container");
  assert.deepEqual(rows.map((r) => r.container), ['cx-client', 'cx-web']);
  for (const r of rows) assert.ok((r.n as bigint) > 0n);
  const denied = await a.all("SELECT name, denied_errno, sum(denied) AS n FROM syscalls WHERE container = 'cx-client' AND denied > 0 GROUP BY ALL");
  assert.ok(denied.some((r) => (r.name === 'mkdir' || r.name === 'mkdirat') && r.denied_errno === 1), show(denied));
});

test('containers started mid-recording are seen from their first syscall (runc before its seccomp filter)', async (t) => {
  const a = need(t);
  if (!a) return;
  const rows = await a.all("SELECT container, bool_or(NOT filtered) AS pre, bool_or(filtered) AS post FROM syscalls WHERE container IS NOT NULL GROUP BY container");
  assert.equal(rows.length, 2);
  for (const r of rows) assert.ok(r.pre && r.post, `${r.container}: both runc's setup and the workload`);
  const drops = await a.all("SELECT name, value FROM stats WHERE name LIKE 'drops.%' AND value > 0");
  assert.deepEqual(drops, [], 'nothing dropped');
});

test('kill -9 of the recorder mid-run leaves a readable capture', async (t) => {
  if (!requireOrSkip(t, ready, why)) return;
  const file = join(work.dir, 'killed.arrow');
  const name = `cx-kill-${process.pid}`;
  const rec = spawn(process.execPath, [BIN, 'record', '-o', file, '--duration', '120s'], { stdio: 'ignore' });
  try {
    // Wait for the recorder itself (BPF load takes seconds on a busy host), not for a fixed time.
    await waitForFlushes(file, 1);
    await docker('run', '-d', '--name', name, '--label', TEST_LABEL, TEST_IMAGE, 'sh', '-c', 'while true; do cat /etc/hostname >/dev/null; sleep 0.1; done');
    await waitForFlushes(file, 3);
    rec.kill('SIGKILL');
    await new Promise((r) => rec.once('exit', r));
  } finally {
    await removeContainers(name);
  }
  assert.ok(existsSync(file));
  const warnings: string[] = [];
  const a = await Analysis.open([file], { onWarning: (w) => warnings.push(w) });
  try {
    assert.ok(warnings.some((w) => /no footer|cut short/.test(w)), `a warning says the file was cut: ${warnings}`);
    const rows = await a.all('SELECT sum(count) AS n FROM syscalls WHERE container = $name', { name });
    assert.ok((rows[0]!.n as bigint) > 0n, 'events up to the last flush are there');
  } finally {
    a.close();
  }
});

/** Resolve once the capture at `file` has grown `n` times (each growth is one flush of the recorder). */
async function waitForFlushes(file: string, n: number, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let grown = 0;
  while (grown < n) {
    if (Date.now() > deadline) throw new Error(`${file}: grew ${grown} of ${n} times in ${timeoutMs} ms`);
    const size = existsSync(file) ? statSync(file).size : -1;
    if (size > 0 && last >= 0 && size > last) grown++;
    if (size > 0) last = size;
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('SIGINT finishes the file properly and exits 0', async (t) => {
  if (!requireOrSkip(t, ready, why)) return;
  const file = join(work.dir, 'interrupted.arrow');
  const rec = spawn(process.execPath, [BIN, 'record', '-o', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  rec.stderr!.on('data', (d) => (stderr += d));
  // Once the capture exists the recorder handles SIGINT (even while BPF is still loading); before
  // that, Node itself may still be starting up, and a signal then is Node's default death.
  while (!existsSync(file) && rec.exitCode === null) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  rec.kill('SIGINT');
  const code = await new Promise((r) => rec.once('exit', r));
  assert.equal(code, 0, stderr);
  assert.match(stderr, /recorded .*\(SIGINT\)/);
  const warnings: string[] = [];
  const a = await Analysis.open([file], { onWarning: (w) => warnings.push(w) });
  a.close();
  assert.deepEqual(warnings, [], 'a complete file, footer and all');
});
