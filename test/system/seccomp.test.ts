/**
 * `contxray seccomp` end to end on real Docker: each workload is recorded from its creation with
 * `contxray record -- docker run …`, a profile is generated from the capture, and the same workload
 * runs again under `docker run --security-opt seccomp=PROFILE`: it must start, do the same work and
 * exit with the same status; a syscall it never made (mkdir) must fail with EPERM; the profile must
 * not contain runc's setup-only calls and must allow fewer than half of what Docker's default does.
 * Needs root, Docker and the recorder; skips outside CI when missing, fails under CI.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IS_ROOT, requireOrSkip } from '../helpers/env.js';
import { dockerAvailable, ensureDockerd, ensureTestImage } from '../helpers/docker.js';
import { CONTXRAY, WORKLOADS, contxray, probe, runWorkload, uniqueName } from '../../bench/seccomp-workloads.js';
import { dockerDefault } from '../../src/seccomp/docker-default.js';

const SETUP_ONLY = ['mount', 'pivot_root', 'sethostname', 'umount2', 'keyctl', 'unshare'];

/** Both commands this test drives are wired into the CLI (`contxray --help` lists them). */
function commandsPresent(): boolean {
  try {
    const help = execFileSync(process.execPath, [CONTXRAY, '--help'], { encoding: 'utf8', timeout: 20_000 });
    return /^\s+contxray record\b/m.test(help) && /^\s+contxray seccomp\b/m.test(help);
  } catch {
    return false;
  }
}

function hasDocker(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v docker && command -v dockerd'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'contxray-seccomp-sys-'));
const READY = IS_ROOT && hasDocker();
const WHY = !IS_ROOT ? 'needs root (eBPF recording)' : 'needs docker.io (dockerd + docker CLI)';

describe('seccomp profiles from real recordings', { concurrency: false }, () => {
  before(async () => {
    if (!READY) return;
    await ensureDockerd();
    await ensureTestImage();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const w of WORKLOADS) {
    test(`${w.id}: ${w.describe}`, { timeout: 180_000 }, async (t) => {
      if (!requireOrSkip(t, READY, WHY)) return;
      if (!requireOrSkip(t, await dockerAvailable(), 'dockerd is not answering')) return;
      if (!requireOrSkip(t, commandsPresent(), '`contxray record` and `contxray seccomp` are not both wired into the CLI yet')) return;

      // 1. Record from creation.
      const capture = join(dir, `${w.id}.arrow`);
      const name = uniqueName(w.id);
      const recorded = await runWorkload(w, { name, recordTo: capture });
      assert.ok(existsSync(capture) && statSync(capture).size > 0, `no capture written: ${recorded.stderr}`);

      // 2. Generate: Docker JSON and SPO YAML.
      const profile = join(dir, `${w.id}.json`);
      const gen = await contxray(['seccomp', capture, '--container', name, '-o', profile, '--compare-default']);
      assert.equal(gen.code, 0, gen.stderr);
      assert.match(gen.stderr, /recorded under the seccomp filter: \d+/, 'the boundary comes from filtered calls');
      assert.doesNotMatch(gen.stderr, /may not start/, gen.stderr);
      const p = JSON.parse(readFileSync(profile, 'utf8'));
      const allowed: string[] = p.syscalls[0].names;
      for (const n of SETUP_ONLY) assert.ok(!allowed.includes(n), `setup-only ${n} must not be allowed`);
      const dockerCount = dockerDefault('x86_64')!.allowed.length;
      assert.ok(allowed.length < dockerCount / 2, `${allowed.length} allowed vs Docker's ${dockerCount}`);
      const spo = await contxray(['seccomp', capture, '--container', name, '-f', 'spo']);
      assert.equal(spo.code, 0, spo.stderr);
      assert.match(spo.stdout, /^apiVersion: security-profiles-operator\.x-k8s\.io\/v1beta1\nkind: SeccompProfile\nmetadata:\n {2}name: "/);
      assert.match(spo.stdout, /\nspec:\n {2}defaultAction: "SCMP_ACT_ERRNO"\n/);

      // 3. Rerun under the profile: starts, same work, same exit status.
      const rerun = await runWorkload(w, { name: uniqueName(`${w.id}-p`), seccomp: profile });
      assert.equal(rerun.exitCode, recorded.exitCode, `exit status under the profile; stderr: ${rerun.stderr}`);
      assert.equal(rerun.stdout, recorded.stdout, 'same output');
      assert.equal(rerun.containerStderr, recorded.containerStderr, 'same errors');
      assert.equal(rerun.observed, recorded.observed, 'same behaviour seen from outside');
      assert.doesNotMatch(rerun.stderr, /operation not permitted|OCI runtime/i);

      // 4. A syscall the workload never made fails with EPERM.
      assert.ok(!allowed.includes('mkdir') && !allowed.includes('mkdirat'), 'the workloads never create directories');
      const mk = await probe(profile, ['mkdir', '/tmp/probe']);
      assert.equal(mk.code, 1, mk.stderr);
      assert.match(mk.stderr, /mkdir: can't create directory '\/tmp\/probe': Operation not permitted/);

      // 5. --check agrees: the generated profile allows everything recorded.
      const check = await contxray(['seccomp', capture, '--container', name, '--check', profile]);
      assert.equal(check.code, 0, check.stdout + check.stderr);
    });
  }
});
