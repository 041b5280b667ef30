/**
 * Syscall aggregates belong to the program that made them. runc's init execs the workload in the
 * same task: before aggregates carried the task's program generation, a workload's `mount` made
 * right after the exec merged into runc:[2:INIT]'s row (same pid, tid, syscall and window), which
 * the escape-syscall finding leaves out as runc's own setup: an unconfined container could hide
 * its mount. Real BPF, real Docker, the real CLI (`contxray record -- docker run …`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Analysis } from '../../src/analyze/db.js';
import { requireOrSkip } from '../helpers/env.js';
import { BIN, tempDir } from '../helpers/captures.js';
import { ensureTestImage, removeContainers, TEST_IMAGE, TEST_LABEL } from '../helpers/docker.js';
import { containerIdsParam, resolveContainers } from '../../src/analyze/select.js';
import { whyNoRecording } from '../helpers/recorder.js';

const NAME = 'cxbpf-mount';
let why = '';
let analysis: Analysis | null = null;
const work = tempDir('contxray-escape-');

before(async () => {
  why = await whyNoRecording();
  if (!why) {
    await ensureTestImage();
    await removeContainers(NAME);
    const capture = join(work.dir, 'mount.arrow');
    const r = spawnSync(
      process.execPath,
      [BIN, 'record', '-o', capture, '-c', NAME, '--', 'docker', 'run', '--rm', '--name', NAME, '--label', TEST_LABEL,
        '--security-opt', 'seccomp=unconfined', '--cap-add', 'SYS_ADMIN', TEST_IMAGE, 'mount', '-t', 'tmpfs', 'none', '/tmp'],
      { encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(r.status, 0, `record failed: ${r.stderr}`);
    analysis = await Analysis.open([capture]);
  }
});

after(async () => {
  analysis?.close();
  await removeContainers(NAME);
  work.cleanup();
});

test("an unconfined container's mount right after runc's exec is listed by the escape finding under the workload's comm", async (t) => {
  if (!requireOrSkip(t, analysis !== null, why)) return;
  const a = analysis!;
  const findings = await a.named('finding-escape-syscalls', { container_ids: containerIdsParam(await resolveContainers(a, [NAME])) });
  const mount = findings.find((r) => r.syscall === 'mount');
  assert.ok(mount, `the finding lists mount: ${JSON.stringify(findings, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
  assert.match(String(mount.comms), /\bmount\b/, 'made by the workload (busybox mount)');
  assert.ok((mount.succeeded as bigint) >= 1n, 'the tmpfs mount succeeded');
});

test("runc's own pre-exec calls stay attributed to runc:[2:INIT], in rows apart from the workload's", async (t) => {
  if (!requireOrSkip(t, analysis !== null, why)) return;
  const a = analysis!;
  const rows = await a.all(
    `SELECT pid, comm, sum(count)::BIGINT AS n FROM syscalls
     WHERE container = $c AND name = 'mount' GROUP BY pid, comm ORDER BY pid, comm`,
    { c: NAME },
  );
  const runc = rows.filter((r) => r.comm === 'runc:[2:INIT]');
  const work = rows.filter((r) => r.comm === 'mount');
  assert.ok(runc.length > 0 && work.length > 0, `both runc's and the workload's mount rows: ${JSON.stringify(rows, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
  assert.ok(work.some((w) => runc.some((r) => r.pid === w.pid)), 'one task: runc init exec-ed the workload');
});
