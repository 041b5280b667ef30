/**
 * The native system tests' shared preamble: skip (fail under CI) without root or the built addon,
 * a fresh cgroup whose events are recorded, a private work dir; the recorder is closed, the dir
 * and the cgroup removed afterwards whatever the test does.
 */
import type { TestContext } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addonBuilt, NativeRecorder } from '../../src/record/native.js';
import { makeCgroup, type TestCgroup } from './cgroup.js';
import { IS_ROOT, requireOrSkip } from './env.js';
import { dockerAvailable } from './docker.js';

export interface RecorderFixture {
  rec: NativeRecorder;
  cg: TestCgroup;
  work: string;
}

export interface RecorderFixtureOptions {
  /** Tag of the cgroup and work dir names. */
  tag: string;
  options: Parameters<typeof NativeRecorder.open>[0];
  /** Further requirements: [met, reason to skip]. */
  needs?: [boolean, string][];
}

export async function withRecorder(t: TestContext, o: RecorderFixtureOptions, body: (f: RecorderFixture) => Promise<void>): Promise<void> {
  if (!requireOrSkip(t, IS_ROOT, 'needs root for eBPF')) return;
  if (!requireOrSkip(t, addonBuilt(), 'native addon not built (npm run build:native)')) return;
  for (const [met, reason] of o.needs ?? []) if (!requireOrSkip(t, met, reason)) return;
  const work = mkdtempSync(join(tmpdir(), `contxray-${o.tag}-`));
  const cg = makeCgroup(o.tag);
  let rec: NativeRecorder | undefined;
  try {
    rec = NativeRecorder.open(o.options);
    rec.setCgroupVerdict(cg.id, 'record');
    await body({ rec, cg, work });
  } finally {
    rec?.close();
    rmSync(work, { recursive: true, force: true });
    await cg.remove();
  }
}

/** Why a test that records real containers cannot run here ('' when it can). */
export async function whyNoRecording(): Promise<string> {
  if (!IS_ROOT) return 'needs root (eBPF)';
  if (!addonBuilt()) return 'native addon not built (npm run build:native)';
  if (!(await dockerAvailable())) return 'needs a running Docker (scripts/setup.sh starts one)';
  return '';
}
