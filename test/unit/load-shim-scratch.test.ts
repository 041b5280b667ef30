/**
 * The Parquet shim's scratch files (src/analyze/load.ts, load-shim.ts): a private dir made like every
 * scratch dir (under CONTXRAY_TMPDIR when set, removed on exit, SIGINT and SIGTERM), gone after a
 * failed load too; and a temp dir that is missing or full never fails a load the old path makes.
 * Helpers: test/helpers/shim-loads.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { writeSyntheticCapture } from '../support/synthetic.js';
import { BIN, testCacheHome } from '../helpers/captures.js';
import { bombFrame, readTable, withEveryBufferAs } from '../helpers/crafted-captures.js';
import { IS_ROOT, requireOrSkip } from '../helpers/env.js';
import { CaptureError } from '../../src/util/errors.js';
import { assertNoShimLeft, assertSameDatabase, assertShimUsedAndGone, loadInto, OLD_PATH, SHIM_LOCAL, SHIM_WORKER, watchShims, workspace, type Loaded } from '../helpers/shim-loads.js';

// ---------------------------------------------------------------------------------------------
// The shim directory is gone after a load that fails for another reason.

test('a load refused while the shim is being written (a decompression bomb after a good capture) leaves no shim directory behind', async () => {
  const { caps, dbs, tmp, cleanup } = workspace();
  try {
    const good = join(caps, 'good.arrow');
    await writeSyntheticCapture(good, { events: 200_000, seed: 2 });
    const bomb = join(caps, 'bomb.arrow');
    writeFileSync(bomb, await withEveryBufferAs(bombFrame(400 * 1024 * 1024), (await readTable(good)).batches.slice(0, 2)));
    for (const [name, env] of [['this thread', SHIM_LOCAL], ['worker', SHIM_WORKER], ['old path', OLD_PATH]] as const) {
      const stop = watchShims(tmp);
      await assert.rejects(loadInto(join(dbs, `${name}.db`), [good, bomb], env, tmp), (err: unknown) => {
        assert.ok(err instanceof CaptureError, `${name}: a CaptureError: ${String(err)}`);
        assert.equal(err.code, 'budget');
        return true;
      });
      const w = stop();
      // Fails if load.ts removes the shim directory only on success or on ShimFailed.
      assertNoShimLeft(w, name);
      for (const [path, f] of w.files) assert.equal(f.mode, 0o600, `${name}: ${path}`);
    }
  } finally {
    cleanup();
  }
});

// ---------------------------------------------------------------------------------------------
// The shim directory is a scratch dir like the others (src/util/outfile.ts privateTempDir).

function shimFilesIn(tmp: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync(tmp)) {
    if (!d.startsWith('contxray-load-')) continue;
    try {
      for (const f of readdirSync(join(tmp, d))) out.push(join(tmp, d, f));
    } catch {
      // removed meanwhile
    }
  }
  return out;
}

test('an analyze killed by SIGINT or SIGTERM while the shim is written leaves no shim directory behind', async () => {
  const { caps, tmp, cleanup } = workspace();
  try {
    const big = join(caps, 'big.arrow');
    await writeSyntheticCapture(big, { events: 800_000, seed: 13 });
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, XDG_CACHE_HOME: testCacheHome() };
      for (const k of ['CONTXRAY_TMPDIR', 'CONTXRAY_LOAD_THREADS']) delete env[k];
      env.CONTXRAY_LOAD_SHIM = '1'; // by default it depends on the load average
      const child = spawn(process.execPath, [BIN, 'analyze', big, '--no-cache', '-q', 'top-syscalls', '-f', 'csv'], { env, stdio: 'ignore' });
      const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      let seen = false;
      let done = false;
      void exited.then(() => (done = true));
      while (!done && !seen) {
        seen = shimFilesIn(tmp).length > 0;
        if (!seen) await new Promise((r) => setTimeout(r, 2));
      }
      assert.ok(seen, `${sig}: the shim was being written (the analyze ended first: a bigger capture is needed)`);
      child.kill(sig);
      const [, signal] = await exited;
      assert.equal(signal, sig, 'it died of the signal');
      // Fails if the shim dir is a bare mkdtemp removed only by the load's own finally (a signal skips it).
      assert.deepEqual(readdirSync(tmp).filter((d) => d.startsWith('contxray-load-')), [], `${sig}: shim dir left behind`);
    }
  } finally {
    cleanup();
  }
});

test('the shim directory goes where scratch goes: CONTXRAY_TMPDIR when set', async () => {
  const { caps, dbs, tmp, cleanup } = workspace();
  try {
    const big = join(caps, 'big.arrow');
    await writeSyntheticCapture(big, { events: 200_000, seed: 17 });
    const scratch = join(tmp, 'scratch');
    mkdirSync(scratch, { mode: 0o700 });
    const stop = watchShims(scratch);
    // Fails if the shim is made in os.tmpdir() whatever CONTXRAY_TMPDIR says (a small /tmp for a big load).
    const shim = await loadInto(join(dbs, 'shim.db'), [big], { ...SHIM_LOCAL, CONTXRAY_TMPDIR: scratch }, tmp);
    assertShimUsedAndGone(stop(), 'CONTXRAY_TMPDIR');
    assert.equal(shim.watched.files.size, 0, 'nothing in TMPDIR');
    assertNoShimLeft(shim.watched, 'TMPDIR');
  } finally {
    cleanup();
  }
});

test('no usable temp dir for the shim (CONTXRAY_TMPDIR missing): the load goes without it, as the old path, instead of failing', async () => {
  const { caps, dbs, tmp, cleanup } = workspace();
  try {
    const big = join(caps, 'big.arrow');
    await writeSyntheticCapture(big, { events: 200_000, seed: 19 });
    const old = await loadInto(join(dbs, 'old.db'), [big], OLD_PATH, tmp);
    // Fails if the load needs the shim's dir: "loading failed: ENOENT … mkdtemp" (exit 3) for a capture the old path loads.
    const shim = await loadInto(join(dbs, 'shim.db'), [big], { ...SHIM_LOCAL, CONTXRAY_TMPDIR: join(tmp, 'missing') }, tmp);
    assert.equal(shim.watched.files.size, 0);
    await assertSameDatabase(shim, old, 'no temp dir vs old path');
  } finally {
    cleanup();
  }
});

test('a full temp filesystem while the shim is written (ENOSPC): the load is redone without the shim, as the old path', async (t) => {
  const { caps, dbs, tmp, cleanup } = workspace();
  const small = join(tmp, 'full');
  mkdirSync(small, { mode: 0o700 });
  // A 1 MiB tmpfs: the shim of 200 000 events (a few MB) does not fit. Root only (mount).
  const mounted = IS_ROOT && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', small]).status === 0;
  try {
    if (!requireOrSkip(t, mounted, 'root, to mount a small tmpfs')) return;
    const big = join(caps, 'big.arrow');
    await writeSyntheticCapture(big, { events: 200_000, seed: 23 });
    const old = await loadInto(join(dbs, 'old.db'), [big], OLD_PATH, tmp);
    for (const [name, env] of [['this thread', SHIM_LOCAL], ['worker', SHIM_WORKER]] as const) {
      const stop = watchShims(small);
      let shim: Loaded;
      try {
        // Fails if a write error of the shim fails the load ("loading failed: ENOSPC …") where the old path loads the capture.
        shim = await loadInto(join(dbs, `shim-${name}.db`), [big], { ...env, CONTXRAY_TMPDIR: small }, tmp);
      } finally {
        stop();
      }
      const w = stop();
      assert.ok(w.files.size >= 1, `${name}: the shim was being written`);
      assert.deepEqual(w.left, [], `${name}: nothing left on the full filesystem`);
      await assertSameDatabase(shim, old, `ENOSPC, shim (${name}) vs old path`, { redone: true });
    }
  } finally {
    if (mounted) spawnSync('umount', [small]);
    cleanup();
  }
});
