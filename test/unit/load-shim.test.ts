/**
 * The load's Parquet shim (issue 12 item 4: src/capture/defer.ts, src/analyze/load-shim.ts,
 * parquet-shim.ts, load-feed.ts loadShimmed, load.ts): the bulk kind's ZSTD frames handed to DuckDB
 * still compressed. Whatever path a capture takes, the database must come out exactly as the old
 * path makes it (CONTXRAY_LOAD_SHIM=0: every batch decoded in JavaScript): every table compared
 * row for row (EXCEPT ALL both ways, string ids included), with the shim on this thread and
 * written by the worker, in one shim file or several. Its failure modes: load-shim-damage.test.ts;
 * its scratch files: load-shim-scratch.test.ts; the Parquet writer alone: parquet-shim.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kindColumns, tableDdl, loadCaptures, shimWanted } from '../../src/analyze/load.js';
import { UsageError } from '../../src/util/errors.js';
import { decodeUnits } from '../../src/analyze/load-part.js';
import { GlobalStrings, StringCaps, type DecodeState } from '../../src/analyze/load-decode.js';
import { BULK_KIND } from '../../src/analyze/load-feed.js';
import { SEGMENT_ROWS, shimDeferral, shimFields, ShimWriter, type Segment } from '../../src/analyze/load-shim.js';
import { CaptureReader } from '../../src/capture/reader.js';
import { useZstd } from '../../src/capture/zstd.js';
import { api } from '../../src/analyze/duckdb.js';
import { writeSyntheticCapture } from '../support/synthetic.js';
import { writeScenario } from '../helpers/captures.js';
import { readTable, writeRepeated } from '../helpers/crafted-captures.js';
import { assertSameDatabase, assertShimUsedAndGone, assertNoShimLeft, countOf, DuckDBInstance, loadInto, messagesOf, OLD_PATH, SHIM_LOCAL, SHIM_WORKER, tableHashes, withEnv, workspace } from '../helpers/shim-loads.js';
import { bytesOf, execPart, forkPart, syscallPart, undecodable, writeBatches, writeLongStrings } from '../helpers/shim-captures.js';

// ---------------------------------------------------------------------------------------------
// Equality with the old path.

test('the shim (this thread, and written by the worker) loads exactly what the old path loads: every table, string ids, capture rows', async () => {
  const { caps, dbs, tmp, cleanup } = workspace();
  try {
    const paths = ['big', 'scenario', 'long', 'small', 'scenario2', 'longcomm'].map((n) => join(caps, `${n}.arrow`));
    await writeSyntheticCapture(paths[0]!, { events: 300_000, seed: 7, hostname: 'host-a' });
    await writeScenario(paths[1]!, 'host-b');
    await writeLongStrings(paths[2]!);
    await writeSyntheticCapture(paths[3]!, { events: 50_000, seed: 9, hostname: 'host-d', containers: 3 });
    await writeScenario(paths[4]!, 'host-e');
    // Deferred syscall batches whose comm dictionary has an entry over its cap (cut and counted by the shim's renumbering),
    // strings shared with the other captures and new ones, around an exec and a fork batch with nulls; the load's
    // last batch is deferred and numbers a new string (the worker must send it with the deferred message).
    const longComm = 'k'.repeat(100_000);
    await writeBatches(paths[5]!, [syscallPart(3000, 1, { comms: ['nginx', longComm, 'only-here', 'sh'] }), execPart(6, 1), forkPart(5, 1), syscallPart(2500, 2, { comms: [longComm, 'node', 'only-last', 'sh'] })]);
    assert.deepEqual(messagesOf(paths[5]!, tmp).seq, ['deferred', 'batch:exec', 'batch:fork', 'deferred'], 'the long comm\'s batches are deferred');
    const old = await loadInto(join(dbs, 'old.db'), paths, OLD_PATH, tmp);
    assert.equal(old.watched.files.size, 0, 'CONTXRAY_LOAD_SHIM=0: no shim');
    assertNoShimLeft(old.watched, 'old path');
    const local = await loadInto(join(dbs, 'local.db'), paths, SHIM_LOCAL, tmp);
    const worker = await loadInto(join(dbs, 'worker.db'), paths, SHIM_WORKER, tmp);
    assert.equal(local.result.threads, 1, 'with the shim, one JS thread by default');
    assert.equal(worker.result.threads, 2, 'CONTXRAY_LOAD_THREADS=2: the worker writes the shim');
    // Fails if the shim is not used (the point of the test) or its files are not private or not removed.
    assertShimUsedAndGone(local.watched, 'shim, this thread');
    assertShimUsedAndGone(worker.watched, 'shim, worker');
    // Fails on any value the shim reads differently: a page misread, a comm id renumbered, a row lost or doubled,
    // a capture id, a kind's rows stored twice (the appenders and the shim).
    const rows = await assertSameDatabase(local, old, 'shim on this thread vs old path');
    await assertSameDatabase(worker, old, 'shim in the worker vs old path');
    assert.ok(rows.ev_syscall! >= 300_000, `syscall rows ${rows.ev_syscall}`);
    for (const t of ['ev_exec', 'ev_fork', 'ev_exit', 'ev_open', 'ev_connect', 'ev_accept', 'ev_close', 'ev_container', 'ev_stats', 'strings', 'capture_files', 'syscall_names']) assert.ok(rows[t]! > 0, `${t} has rows to compare`);
    assert.match(await readCaptureRow(local.db, 2), /\|3$/, 'the long strings were cut (3 cuts) on the shim path too');
    assert.match(await readCaptureRow(local.db, 5), /\|1$/, 'the long comm, a dictionary entry of deferred batches, cut once');
  } finally {
    cleanup();
  }
});

async function readCaptureRow(db: string, id: number): Promise<string> {
  const instance = await DuckDBInstance.create(db);
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(`SELECT capture, truncated_strings FROM capture_files WHERE capture_id = ${id}`)).getRows()[0]!.map(String).join('|');
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

test('decodeUnits with a shim dir defers every syscall batch of a synthetic capture; DuckDB reads the shim file as exactly the table\'s types', async () => {
  await useZstd();
  const { caps, tmp, cleanup } = workspace();
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const path = join(caps, 'big.arrow');
    await writeSyntheticCapture(path, { events: 300_000, seed: 3 });
    await conn.run(tableDdl());
    const tableTypes = (await conn.runAndReadAll(`DESCRIBE ev_${BULK_KIND}`)).getRows().map((r) => [String(r[0]), String(r[1])]);
    assert.deepEqual(tableTypes.map((t) => t[1]), ['USMALLINT', 'TIMESTAMP_NS', 'UBIGINT', 'UINTEGER', 'UINTEGER', 'UINTEGER', 'INTEGER', 'BOOLEAN', 'BOOLEAN', 'UBIGINT', 'UBIGINT', 'UBIGINT', 'INTEGER']);
    const counts = { deferred: 0, deferredRows: 0, syscallDecoded: 0, other: 0, shims: 0 };
    for (const m of decodeUnits([{ captureId: 0, path }], new GlobalStrings(), false, tmp)) {
      if (m.type === 'deferred') {
        counts.deferred++;
        counts.deferredRows += m.rows;
      } else if (m.type === 'batch') {
        if (m.batch.kind === BULK_KIND) counts.syscallDecoded++;
        else counts.other++;
      } else if (m.type === 'shim') {
        counts.shims++;
        // Fails if the shim's logical types differ from the table's (u64 as BIGINT, a timestamp in µs, the capture id as INTEGER …).
        const shimTypes = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${m.path}')`)).getRows().map((r) => [String(r[0]), String(r[1])]);
        assert.deepEqual(shimTypes, tableTypes);
        assert.equal(shimFields().length, tableTypes.length);
        const n = Number((await conn.runAndReadAll(`SELECT count(*) FROM read_parquet('${m.path}')`)).getRows()[0]![0]);
        assert.equal(n, m.rows);
      }
    }
    // Fails if defer.ts stops deferring the writer's own batches (e.g. a padding rule too strict for its frames).
    assert.ok(counts.deferred >= 2, `deferred batches: ${JSON.stringify(counts)}`);
    assert.equal(counts.syscallDecoded, 0, `every syscall batch deferred: ${JSON.stringify(counts)}`);
    assert.ok(counts.other > 0);
    assert.equal(counts.shims, 1, 'one segment: fewer rows than SEGMENT_ROWS');
    const old = await rowsOfOldPath([path]);
    assert.equal(counts.deferredRows, old.syscallRows);
  } finally {
    conn.closeSync();
    instance.closeSync();
    cleanup();
  }
});

/** The old path's syscall rows (decoded in JavaScript), resolved (comm as its string) into a digest. */
async function rowsOfOldPath(paths: string[]): Promise<{ syscallRows: number; digest: string }> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(tableDdl());
    await withEnv(OLD_PATH, () => loadCaptures({ instance, connection: conn }, paths));
    await conn.run(`CREATE TABLE s AS SELECT id, value FROM strings`);
    return { syscallRows: Number((await conn.runAndReadAll(`SELECT count(*) FROM ev_${BULK_KIND}`)).getRows()[0]![0]), digest: await resolvedDigest(conn, `ev_${BULK_KIND}`, 's') };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** count and md5 of the bulk kind's rows as text, comm resolved through `strings` (ids may differ between string tables). */
async function resolvedDigest(conn: InstanceType<typeof api.DuckDBConnection>, table: string, strings: string): Promise<string> {
  const cols = kindColumns(BULK_KIND).map((c) => (c.type === 'dict' ? `(SELECT value FROM ${strings} x WHERE x.id = t."${c.name}")` : `t."${c.name}"::VARCHAR`));
  const sql = `SELECT count(*) || ' ' || md5(string_agg(r, chr(10) ORDER BY r)) FROM (SELECT concat_ws('|', t.capture_id, ${cols.join(', ')}) AS r FROM ${table} t)`;
  return String((await conn.runAndReadAll(sql)).getRows()[0]![0]);
}

test('tiny segments (several shim files, several row groups each): the files hold exactly the old path\'s syscall rows', async () => {
  await useZstd();
  const { caps, tmp, cleanup } = workspace();
  try {
    const paths = [join(caps, 'a.arrow'), join(caps, 'b.arrow')];
    await writeSyntheticCapture(paths[0]!, { events: 300_000, seed: 11, hostname: 'host-a' });
    // (batches of a few rows are not deferred: the writer stores their small buffers uncompressed; see the deferral rules below)
    await writeBatches(paths[1]!, [syscallPart(1001, 1), execPart(5, 1), syscallPart(3000, 3), syscallPart(2500, 4)]);
    const old = await rowsOfOldPath(paths);
    // 1: every batch its own file; 200 000: the synthetic capture's first 131 072 + 68 928 rows fill
    // one file, its last batch and the second capture's three share the next (two capture ids in one file).
    for (const segmentRows of [1, 200_000]) {
      const strings = new GlobalStrings();
      const segments: Segment[] = [];
      let deferredRows = 0;
      // What decodeUnits does (one ShimWriter for the load, a reader per capture), with tiny segments.
      const shim = new ShimWriter(tmp, segmentRows);
      try {
        for (const [captureId, path] of paths.entries()) {
          const reader = CaptureReader.openSync(path, { defer: shimDeferral() });
          try {
            const state: DecodeState = { strings, remap: new Map(), cut: new StringCaps() };
            for (const { batch: b } of reader.batches()) {
              const frames = reader.framesOf(b);
              if (!frames) continue;
              deferredRows += b.numRows;
              const full = shim.add(b, frames, state, captureId);
              if (full) segments.push(full);
            }
            assert.equal(reader.warning(), null);
          } finally {
            reader.close();
          }
        }
        const last = shim.finish();
        if (last) segments.push(last);
      } finally {
        shim.close();
      }
      assert.equal(deferredRows, old.syscallRows, 'every syscall batch deferred');
      if (segmentRows === 1) assert.equal(segments.length, 3 + 3, 'a file per batch');
      else assert.deepEqual(segments.map((x) => x.rows), [200_000, old.syscallRows - 200_000]);
      const instance = await DuckDBInstance.create(':memory:');
      const conn = await instance.connect();
      try {
        await conn.run(tableDdl());
        const cols = shimFields().map((f) => `"${f.name}"`).join(', ');
        for (const s of segments) {
          const r = await conn.run(`INSERT INTO ev_${BULK_KIND} (${cols}) SELECT ${cols} FROM read_parquet('${s.path}')`);
          assert.equal(Number(r.rowsChanged), s.rows);
        }
        if (segmentRows !== 1) {
          const ids = (await conn.runAndReadAll(`SELECT list(DISTINCT capture_id ORDER BY capture_id)::VARCHAR FROM read_parquet('${segments[1]!.path}')`)).getRows()[0]![0];
          assert.equal(String(ids), '[0, 1]', 'the second file holds rows of both captures');
        }
        await strings.store(conn);
        // Fails if a row group's pages are misplaced in a file with several, or the dictionary ids are renumbered wrongly across batches.
        assert.equal(await resolvedDigest(conn, `ev_${BULK_KIND}`, 'strings'), old.digest, `segmentRows ${segmentRows}`);
      } finally {
        conn.closeSync();
        instance.closeSync();
      }
      for (const f of readdirSync(tmp)) if (f.endsWith('.parquet')) rmSync(join(tmp, f));
    }
  } finally {
    cleanup();
  }
});

// ---------------------------------------------------------------------------------------------
// More than one segment through the real load (SEGMENT_ROWS rows a file): one batch repeated.

test('more rows than a shim segment: every segment stored once; a frame damaged in the last segment rolls back the first segment\'s rows before the redo', async () => {
  const codec = await useZstd();
  const { caps, dbs, tmp, cleanup } = workspace();
  try {
    const seedCapture = join(caps, 'seed.arrow');
    await writeSyntheticCapture(seedCapture, { events: 150_000, seed: 21 });
    const one = (await readTable(seedCapture)).batches.find((b) => b.getChild('kind')!.get(0) === BULK_KIND && b.numRows === 131_072)!;
    assert.ok(one, 'a full syscall batch');
    const copies = Math.floor(SEGMENT_ROWS / one.numRows) + 1; // the last copy starts a second segment
    const big = join(caps, 'big.arrow');
    writeRepeated(big, one, copies);
    const old = await loadInto(join(dbs, 'old.db'), [big], OLD_PATH, tmp);
    assert.equal(old.result.rows, copies * one.numRows);
    const shim = await loadInto(join(dbs, 'shim.db'), [big], SHIM_LOCAL, tmp);
    // Fails if a segment is stored twice or not at all, or a file is removed before its INSERT.
    assertShimUsedAndGone(shim.watched, 'two segments');
    assert.ok(shim.watched.files.size >= 2, `both segment files seen: ${[...shim.watched.files.keys()].join(', ')}`);
    assert.equal(shim.result.rows, old.result.rows);
    assert.deepEqual(await tableHashes(shim.db), await tableHashes(old.db));

    // The same file, the last copy's `count` frame damaged: the first segment is in (inside the load's
    // transaction) when the second fails.
    const file = readFileSync(big);
    const count = one.getChild('count')!.data[0]!.values as BigUint64Array;
    const frame = codec.compress(bytesOf(count), 3);
    const at = file.lastIndexOf(frame);
    assert.ok(at > file.indexOf(frame), 'the frame is in every copy');
    file.set(undecodable(frame, codec), at);
    const damaged = join(caps, 'damaged.arrow');
    writeFileSync(damaged, file);
    const oldDamaged = await loadInto(join(dbs, 'old-damaged.db'), [damaged], OLD_PATH, tmp);
    assert.equal(oldDamaged.result.rows, (copies - 1) * one.numRows, 'the old path recovers every batch before the damaged one');
    const shimDamaged = await loadInto(join(dbs, 'shim-damaged.db'), [damaged], SHIM_LOCAL, tmp);
    // Fails if the failed attempt's first segment survives the redo (its rows twice).
    assertShimUsedAndGone(shimDamaged.watched, 'damaged second segment');
    assert.equal(shimDamaged.result.rows, oldDamaged.result.rows);
    assert.deepEqual(shimDamaged.result.warnings, oldDamaged.result.warnings);
    assert.deepEqual(await tableHashes(shimDamaged.db), await tableHashes(oldDamaged.db));
  } finally {
    cleanup();
  }
});

test('a small capture (read ahead) never uses the shim', async () => {
  const { caps, dbs, tmp, cleanup } = workspace();
  try {
    const small = join(caps, 'small.arrow');
    await writeBatches(small, [syscallPart(3000, 1), execPart(3, 1)]);
    const loaded = await loadInto(join(dbs, 'small.db'), [small], SHIM_LOCAL, tmp);
    assert.equal(loaded.result.readAhead, true);
    // Fails if the read-ahead load (decoded before DuckDB is ready, load.ts readAhead) is given a shim dir.
    assert.equal(loaded.watched.dirs.size + loaded.watched.files.size, 0);
    assert.equal(await countOf(loaded.db, 'ev_syscall'), 3000);
  } finally {
    cleanup();
  }
});

test('the shim is the default only while a core is idle; CONTXRAY_LOAD_SHIM=1|0 decides, anything else is a usage error', async () => {
  await withEnv({ CONTXRAY_LOAD_SHIM: undefined }, async () => {
    // Fails if the default ignores the load average (the shim takes more CPU in all: busy cores lose).
    assert.equal(shimWanted(2, 0.5), true, 'an idle core: the shim');
    assert.equal(shimWanted(2, 2.5), false, 'every core busy: decoded here, no shim');
    assert.equal(shimWanted(1, 0), false, 'one core: nothing to overlap with');
  });
  await withEnv({ CONTXRAY_LOAD_SHIM: '1' }, async () => assert.equal(shimWanted(2, 9), true));
  await withEnv({ CONTXRAY_LOAD_SHIM: '0' }, async () => assert.equal(shimWanted(8, 0), false));
  await withEnv({ CONTXRAY_LOAD_SHIM: 'yes' }, async () => assert.throws(() => shimWanted(2, 0), (e: Error) => e instanceof UsageError && /CONTXRAY_LOAD_SHIM must be 1 or 0/.test(e.message)));
});
