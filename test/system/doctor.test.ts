/**
 * The real `contxray doctor` on this machine (root, BPF, Docker): everything record needs is there,
 * including a live load of the BPF programs. Then as `nobody`: it must say root and capabilities are
 * missing and exit 4 without a stack trace, and `record`'s own error must point to doctor.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { addonBuilt } from '../../src/record/native.js';
import { IS_ROOT, requireOrSkip } from '../helpers/env.js';
import { BIN, cli, tempDir } from '../helpers/captures.js';
import { dockerAvailable } from '../helpers/docker.js';
import type { DoctorJson } from '../../src/doctor/report.js';

const work = tempDir('cxdoc-sys-');
after(() => work.cleanup());

/** Checks whose failure stops a recording; `runtimes` must be ok too here, as Docker runs. */
const REQUIRED = ['root', 'capabilities', 'kernel', 'btf', 'cgroup', 'runtimes', 'addon', 'bpf-load'];

async function ready(t: import('node:test').TestContext): Promise<boolean> {
  return requireOrSkip(t, IS_ROOT && addonBuilt() && (await dockerAvailable()), IS_ROOT ? 'needs the native addon (npm run build:native) and Docker' : 'needs root (eBPF, setpriv)');
}

test('doctor on this host: exit 0, JSON parses, every required check and every tracepoint ok, the BPF programs load', async (t) => {
  if (!(await ready(t))) return;
  const r = cli(['doctor', '--format', 'json'], { timeoutMs: 120_000 });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.equal(r.stderr, '');
  const json = JSON.parse(r.stdout) as DoctorJson;
  assert.equal(json.ready, true);
  const byId = new Map(json.checks.map((c) => [c.id, c]));
  for (const id of REQUIRED) assert.equal(byId.get(id)?.status, 'ok', `${id}: ${JSON.stringify(byId.get(id))}`);
  const tps = json.checks.filter((c) => c.id.startsWith('tracepoint '));
  assert.ok(tps.length >= 6);
  for (const c of tps) assert.equal(c.status, 'ok', JSON.stringify(c));
  assert.match(byId.get('runtimes')!.found, /Docker/);

  const table = cli(['doctor'], { timeoutMs: 120_000 });
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /^ok +bpf-load +the BPF programs load and attach/m);
  assert.match(table.stdout, /\nrecording will work( \(\d+ warnings?\))?\n$/);
  assert.ok(!table.stdout.includes('\x1b'), 'NO_COLOR: no colour');
});

test('doctor as nobody: root and capabilities fail, exit 4, one line on stderr, no stack trace; record points to doctor', async (t) => {
  if (!(await ready(t))) return;
  const asNobody = (...args: string[]) =>
    spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, BIN, ...args], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, NO_COLOR: '1' },
    });
  const readable = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'test', '-r', BIN]).status === 0;
  if (!requireOrSkip(t, readable, `${BIN} is not readable by nobody (a checkout under a private home)`)) return;
  const r = asNobody('doctor');
  assert.equal(r.status, 4, r.stderr + r.stdout);
  assert.match(r.stdout, /^fail +root +running as uid \d+, not root +run it as root/m);
  assert.match(r.stdout, /^fail +capabilities +effective: none of CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN/m);
  assert.match(r.stdout, /^warn +bpf-load +not tried/m);
  assert.equal(r.stderr, 'contxray: recording will not work here: root, capabilities failed (see the checks above)\n');

  const json = asNobody('doctor', '--format', 'json');
  assert.equal(json.status, 4);
  const parsed = JSON.parse(json.stdout) as DoctorJson;
  assert.equal(parsed.ready, false);
  assert.equal(parsed.checks.find((c) => c.id === 'root')!.status, 'fail');

  chmodSync(work.dir, 0o777); // so only the missing root, not the directory, stops record
  const record = asNobody('record', '-o', join(work.dir, 'never.arrow'), '--duration', '1s');
  assert.equal(record.status, 4, record.stderr);
  assert.equal(record.stderr, 'contxray: recording needs root (eBPF): run it with sudo (run `contxray doctor` to check this host)\n');
  assert.ok(!existsSync(join(work.dir, 'never.arrow')), 'no empty capture is left behind by a refused non-root record');
});
