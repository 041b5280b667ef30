import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { tableToIPC, tableFromArrays } from 'apache-arrow';
import { Analysis } from '../../src/analyze/db.js';
import { CaptureReader } from '../../src/capture/reader.js';
import { CaptureWriter } from '../../src/capture/writer.js';
import { FORMAT_VERSION } from '../../src/capture/schema.js';
import { defaultHost } from '../support/fixture.js';
import { syscallTableFor } from '../../src/syscalls/index.js';
import { CaptureError } from '../../src/util/errors.js';
import { parseAddress, formatAddress } from '../../src/capture/addr.js';
import { requireOrSkip } from '../helpers/env.js';
import { hasPyarrow, tempDir, writeScenario, WEB_ID } from '../helpers/captures.js';

test('scenario round-trips through the capture into every view', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'scenario.arrow');
    await writeScenario(path);
    assert.equal(statSync(path).mode & 0o777, 0o600, 'captures hold secrets: mode 0600');
    const a = await Analysis.open([path]);
    try {
      const containers = await a.all('SELECT name, image, short_id, ips, labels FROM containers ORDER BY name');
      assert.deepEqual(containers.map((c) => c.name), ['client', 'web']);
      assert.equal(containers[1]!.short_id, WEB_ID.slice(0, 12));
      assert.deepEqual(containers[1]!.ips, ['172.18.0.2']);
      assert.deepEqual(JSON.parse(containers[1]!.labels as string), { role: 'web' });

      const sys = await a.all("SELECT name, arch, count, denied, denied_errno FROM syscalls WHERE container = 'client' ORDER BY nr, compat");
      const byName = Object.fromEntries(sys.map((r) => [`${r.arch}:${r.name}`, r]));
      assert.equal(byName['x86_64:execve']!.count, 3n);
      assert.equal(byName['x86_64:mkdir']!.denied, 2n);
      assert.equal(byName['x86_64:mkdir']!.denied_errno, 1);
      assert.ok(byName['i386:open'], 'compat nr 5 is i386 open, not x86_64 fstat');
      assert.ok(sys.some((r) => r.name === null), 'unknown nr 999 stays unnamed');

      const [exec] = await a.all('SELECT container, argv, filename FROM execs');
      assert.deepEqual(exec!.argv, ['wget', '-q', '-O', '-', 'http://web/index.html']);
      assert.equal(exec!.container, 'client');

      const opens = await a.all('SELECT path, fs_type, errno FROM opens ORDER BY ts');
      assert.deepEqual(opens.map((o) => [o.path, o.fs_type, o.errno]), [['/shared/secret.txt', 'ext4', null], ['/proc/sys/kernel/core_pattern', 'proc', 13n]]);

      const conns = await a.all('SELECT client_container, server_container, client_port, server_port, server_addr, seen, duration_ns, bytes_received FROM connections ORDER BY ts');
      assert.deepEqual(conns[0], { client_container: 'client', server_container: 'web', client_port: 41000, server_port: 80, server_addr: '172.18.0.2', seen: 'both', duration_ns: 3_000_000n, bytes_received: 1234n });
      assert.equal(conns[1]!.server_addr, 'fd00:c0:ffee::2');
      assert.equal(conns[1]!.seen, 'client');

      const procs = await a.all('SELECT pid, ppid, argv, exit_code FROM processes WHERE pid = 201');
      assert.equal(procs[0]!.ppid, 200);
      assert.equal(procs[0]!.exit_code, 256);

      const stats = await a.all("SELECT name, value FROM stats WHERE name = 'truncated.argv'");
      assert.equal(stats[0]!.value, 2n);
    } finally {
      a.close();
    }
  } finally {
    cleanup();
  }
});

test('an independent reader (pyarrow) reads our files and sees the same values', (t) => {
  if (!requireOrSkip(t, hasPyarrow(), 'python3 with pyarrow (pip install pyarrow)')) return;
  const { dir, cleanup } = tempDir();
  return (async () => {
    try {
      const path = join(dir, 'scenario.arrow');
      await writeScenario(path);
      // pyarrow allocates from each buffer's uncompressed-length prefix: a wrong prefix fails here.
      const script = `
import json, sys, pyarrow.ipc as ipc
r = ipc.open_file(sys.argv[1])
t = r.read_all()
t.validate(full=True)
md = {k.decode(): v.decode() for k, v in r.schema.metadata.items()}
kinds = t.column('kind').to_pylist()
execs = [i for i, k in enumerate(kinds) if k == 'exec']
print(json.dumps({
  'batches': r.num_record_batches, 'rows': t.num_rows, 'version': md['contxray.version'],
  'host': json.loads(md['contxray.host'])['hostname'],
  'argv': t.column('argv')[execs[0]].as_py(),
  'paths': [p for p in t.column('path').to_pylist() if p],
  'laddr': t.column('laddr')[kinds.index('connect')].as_py().hex(),
  'counts': sum(c for c in t.column('count').to_pylist() if c),
}))`;
      const r = spawnSync('python3', ['-c', script, path], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.version, FORMAT_VERSION);
      assert.equal(out.host, 'testhost');
      assert.equal(out.rows, 20);
      assert.deepEqual(out.argv, ['wget', '-q', '-O', '-', 'http://web/index.html']);
      assert.deepEqual(out.paths, ['/shared/secret.txt', '/proc/sys/kernel/core_pattern']);
      assert.equal(out.laddr, Buffer.from(parseAddress('172.18.0.3')).toString('hex'));
      assert.equal(out.counts, 40 + 20 + 3 + 0 + 1 + 7);
    } finally {
      cleanup();
    }
  })();
});

test('dictionaries grow across batches as deltas and stay readable', async (t) => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'deltas.arrow');
    const w = await CaptureWriter.create(path, { host: defaultHost(), syscalls: syscallTableFor('x86_64'), options: {}, recorder: { version: 't', started_at_ns: '0' } });
    const sys = (comm: string[]) => ({
      ts: comm.map(() => 1n), cgroup_id: comm.map(() => 1n), pid: comm.map(() => 1), tid: comm.map(() => 1), comm, syscall_nr: comm.map(() => 0),
      compat: comm.map(() => false), filtered: comm.map(() => false), count: comm.map(() => 1n), errors: comm.map(() => 0n), denied: comm.map(() => 0n), denied_errno: comm.map(() => 0),
    });
    w.writeBatch('syscall', 2, sys(['a', 'b']));
    w.writeBatch('syscall', 3, sys(['b', 'c', 'd']));
    w.writeBatch('syscall', 1, sys(['a']));
    w.close();
    const a = await Analysis.open([path]);
    const rows = await a.all('SELECT comm FROM syscalls');
    a.close();
    assert.deepEqual(rows.map((r) => r.comm).sort(), ['a', 'a', 'b', 'b', 'c', 'd']);
    if (hasPyarrow()) {
      const r = spawnSync('python3', ['-c', 'import sys, pyarrow.ipc as i; print(",".join(i.open_file(sys.argv[1]).read_all().column("comm").to_pylist()))', path], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'a,b,b,c,d,a');
    } else t.diagnostic('pyarrow missing: delta check with pyarrow skipped');
  } finally {
    cleanup();
  }
});

test('a file cut at any byte yields every complete batch before the cut', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'full.arrow');
    await writeScenario(path);
    const bytes = readFileSync(path);
    const full = await CaptureReader.open(path);
    const allRows = [...full.batches()].reduce((n, b) => n + b.batch.numRows, 0);
    assert.equal(full.warning(), null);
    let lastRows = 0;
    let recovered = 0;
    const cut = join(dir, 'cut.arrow');
    for (let at = 0; at < bytes.length; at += Math.max(1, Math.floor(bytes.length / 300))) {
      writeFileSync(cut, bytes.subarray(0, at));
      let rows = 0;
      try {
        const r = await CaptureReader.open(cut);
        for (const b of r.batches()) rows += b.batch.numRows;
        assert.ok(r.warning(), 'a cut file is reported');
        recovered++;
      } catch (err) {
        assert.ok(err instanceof CaptureError, `cut at ${at}: ${String(err)}`);
      }
      assert.ok(rows >= lastRows, 'more bytes never give fewer events');
      lastRows = rows;
    }
    assert.ok(recovered > 100, 'most cut points recover something');
    assert.ok(lastRows <= allRows);
  } finally {
    cleanup();
  }
});

test('newer major versions, foreign Arrow files and garbage are refused by name', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const good = join(dir, 'good.arrow');
    await writeScenario(good);
    const newer = join(dir, 'newer.arrow');
    const bytes = readFileSync(good);
    const from = Buffer.from(`\x03\x00\x00\x00${FORMAT_VERSION}\x00`, 'latin1');
    const to = Buffer.from('\x03\x00\x00\x009.0\x00', 'latin1');
    let patched = bytes.toString('latin1').split(from.toString('latin1')).join(to.toString('latin1'));
    writeFileSync(newer, Buffer.from(patched, 'latin1'));
    await assert.rejects(CaptureReader.open(newer), /format 9\.0 is newer than this contxray reads/);

    const foreign = join(dir, 'foreign.arrow');
    writeFileSync(foreign, tableToIPC(tableFromArrays({ a: Int32Array.of(1, 2) }), 'file'));
    await assert.rejects(CaptureReader.open(foreign), /not a contxray capture/);

    const text = join(dir, 'text.arrow');
    writeFileSync(text, 'hello, I am not arrow\n');
    await assert.rejects(CaptureReader.open(text), /not an Arrow file/);

    const empty = join(dir, 'empty.arrow');
    writeFileSync(empty, '');
    await assert.rejects(CaptureReader.open(empty), /empty file/);
    patched = '';
  } finally {
    cleanup();
  }
});

test('addresses: v4 as v4-mapped, v6 compressed, round trip', () => {
  for (const a of ['10.1.2.3', '::1', 'fd00:c0:ffee::2', '2001:db8::1:0:0:1', 'fe80::1']) assert.equal(formatAddress(parseAddress(a)), a);
  assert.equal(formatAddress(parseAddress('::ffff:1.2.3.4')), '1.2.3.4');
});

test('many captures at once: a host column, globs, and connections paired within each capture', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeScenario(join(dir, 'a.arrow'), 'host-a');
    await writeScenario(join(dir, 'b.arrow'), 'host-b');
    const a = await Analysis.open([`${dir}/*.arrow`]);
    try {
      const hosts = await a.all('SELECT host, count(*) AS n FROM containers GROUP BY host ORDER BY host');
      assert.deepEqual(hosts, [{ host: 'host-a', n: 2n }, { host: 'host-b', n: 2n }]);
      const conns = await a.all("SELECT host, count(*) AS n, count(duration_ns) AS closed FROM connections WHERE seen = 'both' GROUP BY host ORDER BY host");
      assert.deepEqual(conns, [{ host: 'host-a', n: 1n, closed: 1n }, { host: 'host-b', n: 1n, closed: 1n }]);
    } finally {
      a.close();
    }
  } finally {
    cleanup();
  }
});
