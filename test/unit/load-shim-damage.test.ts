/**
 * The Parquet shim's failure modes in what it reads (src/capture/defer.ts, load.ts's redo): a frame
 * only DuckDB finds damaged, batches that must not be deferred, a batch of another kind with every
 * bulk column set. Each loads as the old path (CONTXRAY_LOAD_SHIM=0) loads it, or the difference is
 * stated. Helpers: test/helpers/shim-loads.ts, shim-captures.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordBatch, Struct, makeData, type Data } from 'apache-arrow';
import { useZstd } from '../../src/capture/zstd.js';
import { writeSyntheticCapture } from '../support/synthetic.js';
import { readTable, streamBytes } from '../helpers/crafted-captures.js';
import { assertNoShimLeft, assertSameDatabase, assertShimUsedAndGone, countOf, loadInto, messagesOf, OLD_PATH, SHIM_LOCAL, SHIM_LOCAL_SMALL, SHIM_WORKER, workspace } from '../helpers/shim-loads.js';
import { bytesOf, execPart, forkPart, frameIn, syscallPart, undecodable, withPaddedFrames, writeBatches } from '../helpers/shim-captures.js';

// ---------------------------------------------------------------------------------------------
// A frame only DuckDB finds damaged: the load is redone without the shim.

test('a syscall frame DuckDB cannot decompress (header intact, right size): the load is redone without the shim, exactly the old path\'s rows and warning', async () => {
  const codec = await useZstd();
  const { caps, dbs, tmp, cleanup } = workspace();
  try {
    const good = join(caps, 'good.arrow');
    await writeSyntheticCapture(good, { events: 200_000, seed: 5 });
    const damaged = join(caps, 'damaged.arrow');
    const target = syscallPart(3000, 2);
    await writeBatches(damaged, [syscallPart(3000, 1), execPart(5, 1), target, forkPart(4, 2), syscallPart(3000, 3), execPart(3, 3)]);
    const file = readFileSync(damaged);
    // the `count` frame of the second syscall batch
    const { at, frame } = frameIn(file, bytesOf(target.columns.count), codec);
    file.set(undecodable(frame, codec), at);
    writeFileSync(damaged, file);
    const paths = [good, damaged];
    const old = await loadInto(join(dbs, 'old.db'), paths, OLD_PATH, tmp);
    assert.equal(old.result.warnings.length, 1, 'the old path recovers the batches before the damaged one, and says so');
    assert.match(old.result.warnings[0]!, /damaged\.arrow/);
    for (const [name, env] of [['this thread', SHIM_LOCAL], ['worker', SHIM_WORKER]] as const) {
      const shim = await loadInto(join(dbs, `shim-${name}.db`), paths, env, tmp);
      // The first attempt wrote the shim (so DuckDB met the frame), and its files were private and are gone.
      assertShimUsedAndGone(shim.watched, `damaged, ${name}`);
      // Fails if ShimFailed is not caught (the load throws), if the redo keeps rows of the failed attempt
      // (doubled rows) or if the damaged batch's frames are trusted (rows the old path does not have, no warning).
      const rows = await assertSameDatabase(shim, old, `damaged, shim (${name}) vs old path`, { redone: true });
      assert.ok(rows.ev_syscall! > 3000 && rows.ev_exec! > 5, 'the good capture and the batches before the damage');
    }
  } finally {
    cleanup();
  }
});

// ---------------------------------------------------------------------------------------------
// What is deferred and what is not (src/capture/defer.ts).

test('syscall batches that cannot be deferred (a null, a small uncompressed buffer, a frame declaring more than rows × width + 64 or fewer than its rows) are decoded as before and load identically', async () => {
  await useZstd();
  const { caps, dbs, tmp, cleanup } = workspace();
  try {
    const plain = join(caps, 'plain.arrow');
    const first = syscallPart(2000, 1);
    const last = syscallPart(1500, 4);
    await writeBatches(plain, [first, syscallPart(2000, 2, { nullErrorAt: 1999 }), syscallPart(9, 3), execPart(4, 1), last, forkPart(3, 1)]);
    // Fails if defer.ts defers a batch with a null (the shim's columns are required: the null would load as a value)
    // or one whose buffer is stored uncompressed (it is not a frame).
    assert.deepEqual(messagesOf(plain, tmp), { seq: ['deferred', 'batch:syscall', 'batch:syscall', 'batch:exec', 'deferred', 'batch:fork'], warning: null });

    // The same batches, re-written: the first batch's `count` frame declares 64 bytes more than its
    // values (the most a writer pads: still deferred), the last one's 72 (not deferred).
    const padded = join(caps, 'padded.arrow');
    await withPaddedFrames(plain, padded, [
      { raw: bytesOf(first.columns.count), extra: 64 },
      { raw: bytesOf(last.columns.count), extra: 72 },
    ]);
    const p = messagesOf(padded, tmp);
    // Fails if defer.ts passes a frame declaring more than the padding (DuckDB would be handed a page of the wrong size)
    // or stops passing one within it.
    assert.deepEqual(p.seq, ['deferred', 'batch:syscall', 'batch:syscall', 'batch:exec', 'batch:syscall', 'batch:fork']);

    // The last batch's `count` frame declaring 8 bytes fewer than its rows: not deferred, and the old path's damage.
    const short = join(caps, 'short.arrow');
    await withPaddedFrames(plain, short, [{ raw: bytesOf(last.columns.count), extra: -8 }]);
    const sh = messagesOf(short, tmp);
    assert.deepEqual(sh.seq, ['deferred', 'batch:syscall', 'batch:syscall', 'batch:exec']);
    assert.match(sh.warning ?? '', /batch 5 is malformed/);

    for (const [name, path] of [['plain', plain], ['padded', padded], ['short', short]] as const) {
      const old = await loadInto(join(dbs, `${name}-old.db`), [path], OLD_PATH, tmp);
      for (const [how, env] of [['this thread', SHIM_LOCAL_SMALL], ['worker', SHIM_WORKER]] as const) {
        const shim = await loadInto(join(dbs, `${name}-${how}.db`), [path], env, tmp);
        assertShimUsedAndGone(shim.watched, `${name}, ${how}`);
        // Fails if a decoded bulk batch and the shim's rows clash (doubled or lost), or DuckDB reads the padding as rows.
        const rows = await assertSameDatabase(shim, old, `${name}: shim (${how}) vs old path`);
        assert.equal(rows.ev_syscall, 2000 + 2000 + 9 + (name === 'short' ? 0 : 1500));
      }
    }
  } finally {
    cleanup();
  }
});

test('a non-syscall batch with every syscall column set is damage when deferring: the batches before it are kept, with a warning (the old path loads it as its kind)', async () => {
  await useZstd();
  const { caps, dbs, tmp, cleanup } = workspace();
  try {
    const src = join(caps, 'src.arrow');
    await writeBatches(src, [execPart(4, 1), syscallPart(2000, 1), syscallPart(2000, 2), forkPart(3, 1)]);
    const batches = (await readTable(src)).batches;
    // The first syscall batch, its kind switched to exec: every syscall column still set.
    const sys = batches[1]!;
    const k = sys.schema.fields.findIndex((f) => f.name === 'kind');
    const kind = sys.data.children[k]! as Data;
    const dict = (kind as unknown as { dictionary: { length: number; get(i: number): string } }).dictionary;
    const exec = Array.from({ length: dict.length }, (_, i) => dict.get(i)).indexOf('exec');
    assert.ok(exec >= 0, 'the kind dictionary has exec (written before)');
    const values = new Int32Array(sys.numRows).fill(exec);
    const asExec = kind.clone(kind.type, kind.offset, kind.length, kind.nullCount, [undefined, values, kind.nullBitmap, undefined] as never, kind.children, kind.dictionary as never);
    const children = sys.data.children.map((c, i) => (i === k ? asExec : c));
    const forged = new RecordBatch(sys.schema, makeData({ type: new Struct(sys.schema.fields), length: sys.numRows, nullCount: 0, children }));
    const path = join(caps, 'forged.arrow');
    writeFileSync(path, streamBytes([batches[0]!, forged, batches[2]!, batches[3]!]));

    // Fails if the reader lets a deferred batch of another kind through: its ts, cgroup_id, pid, tid
    // would load as the zeros apache-arrow was handed for the kept frames.
    const m = messagesOf(path, tmp);
    assert.deepEqual(m.seq, ['batch:exec']);
    assert.match(m.warning ?? '', /batch 2 is malformed \(a exec batch sets every column of the syscall kind\)/);
    const shim = await loadInto(join(dbs, 'shim.db'), [path], SHIM_LOCAL_SMALL, tmp);
    assertNoShimLeft(shim.watched, 'forged, shim');
    assert.equal(shim.result.warnings.length, 1);
    assert.match(shim.result.warnings[0]!, /batch 2 is malformed \(a exec batch sets every column of the syscall kind\)/);
    assert.deepEqual([await countOf(shim.db, 'ev_exec'), await countOf(shim.db, 'ev_syscall'), await countOf(shim.db, 'ev_fork')], [4, 0, 0]);

    // The old path does not look at columns a batch's kind does not use: it loads the forged batch
    // as 2000 exec rows (its syscall columns ignored) and everything after it, warning only that the
    // file has no footer (streamBytes writes none). A known difference (the shim is stricter):
    // documented here so a change to either shows.
    const old = await loadInto(join(dbs, 'old.db'), [path], OLD_PATH, tmp);
    assert.equal(old.result.warnings.length, 1);
    assert.match(old.result.warnings[0]!, /no footer .*recovered 4 batches, 4007 events/);
    assert.deepEqual([await countOf(old.db, 'ev_exec'), await countOf(old.db, 'ev_syscall'), await countOf(old.db, 'ev_fork')], [4 + 2000, 2000, 3]);
  } finally {
    cleanup();
  }
});
