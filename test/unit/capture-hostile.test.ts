/**
 * Crafted captures (issue 8): decompression bombs, huge strings, files that are not files, files
 * bigger than memory, unsupported compression, a kind switched mid-batch, no counters. Each ends
 * in one line and exit 3, or loads in bounded memory with what was cut counted and shown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RecordBatch, makeData, Struct, type Data } from 'apache-arrow';
import { CaptureReader } from '../../src/capture/reader.js';
import { writeCaptureFromRows, type Row } from '../support/fixture.js';
import { requireOrSkip } from '../helpers/env.js';
import { hasPyarrow, scenarioRows, T0, tempDir, writeScenario } from '../helpers/captures.js';
import { bombFrame, readTable, runCli, streamBytes, withEveryBufferAs, writeRepeated } from '../helpers/crafted-captures.js';

const READ_CHILD = fileURLToPath(new URL('../helpers/read-capture-child.js', import.meta.url));
const MB = 1024 * 1024;

/**
 * The scenario plus 8192 syscall rows: buffers of 32-64 KB, bigger than a bomb frame (a frame needs
 * ~4 bytes per 128 KiB it declares), so the writer keeps the frames (it stores a buffer raw when
 * "compressing" makes it bigger).
 */
async function bulkyScenario(dir: string): Promise<string> {
  const path = join(dir, 'bulky.arrow');
  const extra: Row[] = [];
  for (let i = 0; i < 8192; i++) extra.push({ kind: 'syscall', ts: T0 + BigInt(i), cgroup_id: 7001n, pid: 100, tid: 100 + i, comm: 'httpd', syscall_nr: i & 255, compat: false, filtered: true, count: 1n, errors: 0n, denied: 0n, denied_errno: 0 });
  await writeCaptureFromRows(path, { host: { hostname: 'testhost' }, rows: [...scenarioRows(), ...extra] });
  return path;
}

/** One line on stderr, `contxray: …`, exit 3. */
function assertRefused(r: ReturnType<typeof runCli>, pattern: RegExp): void {
  assert.equal(r.signal, null, `killed or hung (${r.signal}); stderr: ${r.stderr.slice(0, 300)}`);
  assert.equal(r.status, 3, `exit 3 expected; stderr: ${r.stderr.slice(0, 300)}`);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `one line: ${r.stderr.slice(0, 500)}`);
  assert.match(lines[0]!, /^contxray: /);
  assert.match(lines[0]!, pattern);
}

test('decompression bomb: frames declaring 400 MB each are refused before decoding, in bounded memory', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const table = await readTable(await bulkyScenario(dir));
    const bomb = join(dir, 'bomb.arrow');
    // Every buffer of every batch (dictionaries and records) a 16 KB frame that decodes to 400 MB.
    writeFileSync(bomb, await withEveryBufferAs(bombFrame(400 * MB), table.batches));
    assert.ok(statSync(bomb).size < 4 * MB, 'a small file');
    const r = runCli(['analyze', bomb]);
    assertRefused(r, /decompression bomb|decodes to more than/);
    // Decoding even one buffer would take 400 MB; the refusal costs what an empty load costs.
    assert.ok(r.peakMb < 350, `peak RSS ${r.peakMb.toFixed(0)} MB`);
  } finally {
    cleanup();
  }
});

test('decompression bomb inside the allowance of one buffer but not of the batch: refused by the batch total', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const table = await readTable(await bulkyScenario(dir));
    const bomb = join(dir, 'bomb.arrow');
    // 100 MB per buffer passes the old 512 MB per-buffer bound and the 128 MiB string allowance
    // once; the second buffer of the same batch is over the batch's total.
    writeFileSync(bomb, await withEveryBufferAs(bombFrame(100 * MB), table.batches));
    const r = runCli(['analyze', bomb]);
    assertRefused(r, /decodes to more than/);
    assert.ok(r.peakMb < 450, `peak RSS ${r.peakMb.toFixed(0)} MB`);
  } finally {
    cleanup();
  }
});

test('very long strings are cut at load to their column caps, counted and shown as truncated strings', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'long.arrow');
    const long = (c: string) => c.repeat(10 * MB);
    const rows: Row[] = [
      ...scenarioRows(),
      { kind: 'open', ts: T0 + 20n, cgroup_id: 7002n, pid: 300, tid: 300, comm: long('c'), uid: 0, syscall_nr: 257, path: `/${long('p')}`, open_flags: 0, fs_type: 'ext4', fs_magic: 0xef53n, ret: 3n, truncated: false },
      { kind: 'exec', ts: T0 + 21n, cgroup_id: 7002n, pid: 301, tid: 301, comm: 'sh', ppid: 1, uid: 0, filename: '/bin/sh', argv: ['sh', long('a'), long('b')], truncated: false },
      // A multi-byte character straddling the cut: the cut must not split it.
      { kind: 'open', ts: T0 + 22n, cgroup_id: 7002n, pid: 302, tid: 302, comm: 'cat', uid: 0, syscall_nr: 257, path: `/${'é'.repeat(7000)}`, open_flags: 0, fs_type: 'ext4', fs_magic: 0xef53n, ret: 3n, truncated: false },
    ];
    await writeCaptureFromRows(path, { host: { hostname: 'testhost' }, rows });
    const q = runCli(['analyze', path, '-f', 'json', '--sql',
      "SELECT (SELECT max(strlen(path)) FROM opens) AS path, (SELECT max(strlen(comm)) FROM opens) AS comm, (SELECT max(strlen(array_to_string(argv, ''))) FROM execs) AS argv, (SELECT count(*) FROM opens WHERE NOT starts_with(path, '/é') AND path LIKE '/é%') AS broken, (SELECT max(strlen(path)) FROM opens WHERE starts_with(path, '/é')) AS accented"]);
    assert.equal(q.status, 0, q.stderr);
    const [row] = JSON.parse(q.stdout) as Record<string, number>[];
    assert.ok(row!.path! <= 12 * 1024, `path cut to 12 KiB (${row!.path})`);
    assert.ok(row!.comm! <= 48, `comm cut to 48 bytes (${row!.comm})`);
    assert.ok(row!.argv! <= 48 * 1024, `argv cut to 48 KiB in all (${row!.argv})`);
    assert.ok(row!.accented! <= 12 * 1024 && row!.accented! > 12 * 1024 - 4, 'cut on a character boundary, valid UTF-8');
    const s = runCli(['analyze', path]);
    assert.equal(s.status, 0, s.stderr);
    // comm, path, accented path and one argv row.
    assert.match(s.stdout, /truncated strings: cut at load[^\n]*\b4\b/);
    assert.doesNotMatch(s.stdout, /nothing was dropped/);
    assert.ok(s.peakMb < 600, `peak RSS ${s.peakMb.toFixed(0)} MB`);
  } finally {
    cleanup();
  }
});

test('a FIFO and /dev/zero are refused by name at once (no hang, no endless read)', () => {
  const { dir, cleanup } = tempDir();
  try {
    const fifo = join(dir, 'fifo.arrow');
    const mk = spawnSync('mkfifo', [fifo]);
    assert.equal(mk.status, 0, 'mkfifo');
    assertRefused(runCli(['analyze', fifo], 60_000), /not a regular file/);
    assertRefused(runCli(['analyze', '/dev/zero'], 60_000), /not a regular file/);
  } finally {
    cleanup();
  }
});

test('a big capture is read from the file in bounded chunks: peak memory far below the file size', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const seed = join(dir, 'seed.arrow');
    // 2^17 syscall rows of random numbers: ~8 MB per batch that does not compress.
    const n = 1 << 17;
    const rand = () => BigInt(Math.floor(Math.random() * 2 ** 53));
    const rows: Row[] = [];
    for (let i = 0; i < n; i++) {
      rows.push({ kind: 'syscall', ts: T0 + rand(), cgroup_id: rand(), pid: i, tid: i, comm: 'x', syscall_nr: i & 511, compat: false, filtered: false, count: rand(), errors: rand(), denied: rand(), denied_errno: 0 });
    }
    await writeCaptureFromRows(seed, { rows });
    const batch = (await readTable(seed)).batches[0]!;
    const big = join(dir, 'big.arrow');
    const copies = Number(process.env.CONTXRAY_BIG_COPIES ?? 100);
    writeRepeated(big, batch, copies);
    const size = statSync(big).size;
    assert.ok(size > 250 * MB, `big enough to tell (${(size / MB).toFixed(0)} MB)`);
    const r = spawnSync(process.execPath, [READ_CHILD, big], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { rows: number; batches: number; warning: string; peakMb: number };
    assert.equal(out.rows, n * copies, 'every batch read');
    assert.match(out.warning, /no footer/);
    assert.ok(out.peakMb < size / MB / 2, `peak RSS ${out.peakMb.toFixed(0)} MB for a ${(size / MB).toFixed(0)} MB file`);
  } finally {
    cleanup();
  }
});

test('an LZ4_FRAME-compressed capture (a valid Arrow file) is refused as unsupported compression, exit 3', (t) => {
  if (!requireOrSkip(t, hasPyarrow(), 'python3 with pyarrow (pip install pyarrow)')) return;
  const { dir, cleanup } = tempDir();
  return (async () => {
    try {
      const good = join(dir, 'good.arrow');
      await writeScenario(good);
      const lz4 = join(dir, 'lz4.arrow');
      const script = `
import sys, pyarrow.ipc as ipc
t = ipc.open_file(sys.argv[1]).read_all().unify_dictionaries().combine_chunks()
with ipc.new_file(sys.argv[2], t.schema, options=ipc.IpcWriteOptions(compression='lz4')) as w:
    w.write_table(t)`;
      const py = spawnSync('python3', ['-c', script, good, lz4], { encoding: 'utf8' });
      assert.equal(py.status, 0, py.stderr);
      assertRefused(runCli(['analyze', lz4]), /unsupported compression LZ4_FRAME/);
    } finally {
      cleanup();
    }
  })();
});

test('a kind switched in a middle row is caught (not only the first and last rows)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const good = join(dir, 'good.arrow');
    await writeScenario(good);
    const batches = (await readTable(good)).batches;
    const last = batches[batches.length - 1]!; // stats: 3 rows, its kind dictionary holds every kind so far
    assert.equal(last.getChild('kind')!.get(0), 'stats');
    const kind = last.data.children[0]! as Data;
    const values = (kind.values as Int32Array).slice();
    values[1] = 0; // 'syscall'
    const mixed = kind.clone(kind.type, kind.offset, kind.length, kind.nullCount, [undefined, values, kind.nullBitmap, undefined] as never, kind.children, kind.dictionary as never);
    const struct = makeData({ type: new Struct(last.schema.fields), length: last.numRows, nullCount: 0, children: [mixed, ...last.data.children.slice(1)] });
    const path = join(dir, 'mixed.arrow');
    writeFileSync(path, streamBytes([...batches.slice(0, -1), new RecordBatch(last.schema, struct)]));
    const r = await CaptureReader.open(path);
    let read = 0;
    for (const b of r.batches()) read += b.batch.numRows;
    assert.match(r.warning() ?? '', /mixed kinds in one batch/);
    assert.equal(read, 20 - 3, 'the batches before it are recovered');
  } finally {
    cleanup();
  }
});

test('a capture without any stats record says its counters are unknown, not that nothing was dropped', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'nostats.arrow');
    await writeCaptureFromRows(path, { host: { hostname: 'testhost' }, rows: scenarioRows().filter((r) => r.kind !== 'stats') });
    const r = runCli(['analyze', path]);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /nothing was dropped/);
    assert.match(r.stdout, /counters unknown/);
    const j = runCli(['analyze', path, '-f', 'json']);
    assert.match(JSON.stringify(JSON.parse(j.stdout).drops), /counters unknown/);
  } finally {
    cleanup();
  }
});

test('a syscall table naming one number twice ("1" and "01") loads one name for it: events are not counted twice', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'dup-names.arrow');
    await writeCaptureFromRows(path, {
      rows: scenarioRows(),
      syscalls: { arch: 'x86_64', names: { '0': 'read', '1': 'write', '01': 'evil', '+1': 'plus', '1e0': 'exp' } },
    });
    const { Analysis } = await import('../../src/analyze/db.js');
    const an = await Analysis.open([path]);
    try {
      const rows = (await an.connection.runAndReadAll('SELECT nr, name FROM syscall_names WHERE NOT compat ORDER BY nr')).getRows();
      assert.deepEqual(rows.map((r) => `${String(r[0])}=${String(r[1])}`), ['0=read', '1=write']);
    } finally {
      an.close();
    }
  } finally {
    cleanup();
  }
});
