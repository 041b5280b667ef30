/**
 * The native recorder against the real kernel: a child in a fresh cgroup v2 runs real commands
 * (exec, opens, TCP over loopback v4/v6/v4-mapped, a seccomp-denied mkdir) and the batches must
 * show them. Needs root, BTF and the built addon (npm run build:native); under CI a missing
 * requirement fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildC } from '../helpers/cprog.js';
import { makeCgroup } from '../helpers/cgroup.js';
import { withRecorder } from '../helpers/recorder.js';
import { requireOrSkip, IS_ROOT } from '../helpers/env.js';
import {
  addonBuilt,
  addrAt,
  listAt,
  NativeRecorder,
  stringAt,
  type ListColumn,
  type NativeBatch,
  type StringColumn,
} from '../../src/record/native.js';



/** Network workload: IPv4, IPv6 and v4-mapped (dual-stack listener), server and client here. */
const NET_JS = `
const net = require('net');
async function pair(listenHost, connectHost) {
  const srv = net.createServer((s) => { s.on('data', () => {}); s.on('end', () => s.end()); });
  await new Promise((r) => srv.listen(0, listenHost, r));
  const port = srv.address().port;
  await new Promise((resolve, reject) => {
    const c = net.connect(port, connectHost, () => { c.end('x'.repeat(1000)); });
    c.on('error', reject);
    c.on('close', resolve);
    c.resume();
  });
  await new Promise((r) => setTimeout(r, 50));
  srv.close();
  console.log(listenHost, connectHost, port);
}
(async () => {
  await pair('127.0.0.1', '127.0.0.1');
  await pair('::1', '::1');
  await pair('::', '127.0.0.1');
})();
`;

function col<T>(b: NativeBatch, name: string): T {
  const c = b.columns[name];
  assert.ok(c, `${b.kind} batch has column ${name}`);
  return c as T;
}

function rows(batches: NativeBatch[], kind: string, cg: bigint): { b: NativeBatch; i: number }[] {
  const out: { b: NativeBatch; i: number }[] = [];
  for (const b of batches) {
    if (b.kind !== kind) continue;
    const ids = col<BigUint64Array>(b, 'cgroup_id');
    for (let i = 0; i < b.length; i++) if (ids[i] === cg) out.push({ b, i });
  }
  return out;
}

test('native recorder: syscalls, exec, opens, TCP and seccomp denials of a cgroup', async (t) => {
  if (!requireOrSkip(t, IS_ROOT, 'needs root for eBPF')) return;
  if (!requireOrSkip(t, existsSync('/sys/kernel/btf/vmlinux'), 'needs kernel BTF')) return;
  if (!requireOrSkip(t, addonBuilt(), 'native addon not built (npm run build:native)')) return;

  const work = mkdtempSync(path.join(os.tmpdir(), 'contxray-native-'));
  const helper = buildC('seccomp-denied', { static: false, optimize: '-O1' });
  writeFileSync(path.join(work, 'net.js'), NET_JS);
  // a file on /dev/shm (tmpfs): not the root filesystem, so kept in the default 'host' mode
  const shmFile = `/dev/shm/contxray-test-${process.pid}`;
  writeFileSync(shmFile, 'hello\n');

  const cgroup = makeCgroup('test');
  const cgdir = cgroup.dir;
  const cg = cgroup.id;
  const rec = NativeRecorder.open({ opens: 'host' });
  const batches: NativeBatch[] = [];
  const syscalls: NativeBatch[] = [];
  const seen = new Set<bigint>();
  const pump = () => {
    const d = rec.drain();
    for (const id of d.newCgroups) {
      seen.add(id);
      rec.setCgroupVerdict(id, id === cg ? 'record' : 'ignore');
    }
    batches.push(...d.batches);
  };
  try {
    const script = [
      `echo $$ > ${cgdir}/cgroup.procs`,
      'cat /proc/version > /dev/null',
      `cat ${shmFile} > /dev/null`,
      '/bin/echo "hello world" a b c > /dev/null',
      `${helper} ${work}/denied-dir`,
      `${process.execPath} ${work}/net.js`,
    ].join('\n');
    const child = spawn('/bin/sh', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const timer = setInterval(pump, 50);
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    await new Promise((r) => setTimeout(r, 300));
    clearInterval(timer);
    pump();
    syscalls.push(rec.readSyscalls());
    assert.equal(code, 0, `workload failed: ${out}`);
    assert.ok(seen.has(cg), 'the test cgroup was announced in newCgroups');

    // syscall aggregates
    const sc = rows(syscalls, 'syscall', cg);
    const byNr = new Map<number, { count: bigint; denied: bigint; errno: number; filtered: boolean }[]>();
    for (const { b, i } of sc) {
      const nr = col<Int32Array>(b, 'syscall_nr')[i]!;
      const e = byNr.get(nr) ?? [];
      e.push({
        count: col<BigUint64Array>(b, 'count')[i]!,
        denied: col<BigUint64Array>(b, 'denied')[i]!,
        errno: col<Int32Array>(b, 'denied_errno')[i]!,
        filtered: col<Uint8Array>(b, 'filtered')[i] === 1,
      });
      byNr.set(nr, e);
    }
    const total = (nr: number) => (byNr.get(nr) ?? []).reduce((s, x) => s + x.count, 0n);
    if (process.arch === 'x64') {
      assert.ok(total(59) > 0n, 'execve counted');
      assert.ok(total(257) > 0n, 'openat counted');
      assert.ok(total(231) > 0n, 'exit_group counted (never reaches sys_exit)');
      const mkdir = (byNr.get(83) ?? []).filter((x) => x.denied > 0n);
      assert.equal(mkdir.length, 1, 'one denied mkdir row');
      assert.equal(mkdir[0]!.errno, 1, 'denied with EPERM');
      assert.equal(mkdir[0]!.filtered, true, 'under a seccomp filter');
      assert.equal(mkdir[0]!.denied, 1n);
    }
    // no row of another cgroup than the ones BPF announced
    for (const b of syscalls) {
      const ids = col<BigUint64Array>(b, 'cgroup_id');
      for (let i = 0; i < b.length; i++) assert.ok(seen.has(ids[i]!), 'cgroup announced before its rows');
    }

    // exec with the full argv
    const execs = rows(batches, 'exec', cg).map(({ b, i }) => ({
      filename: stringAt(col<StringColumn>(b, 'filename'), i),
      argv: listAt(col<ListColumn>(b, 'argv'), i),
      truncated: col<Uint8Array>(b, 'truncated')[i],
      ppid: col<Uint32Array>(b, 'ppid')[i],
      ts: col<BigInt64Array>(b, 'ts')[i]!,
    }));
    const echo = execs.find((e) => e.filename === '/bin/echo');
    assert.ok(echo, `exec of /bin/echo among ${JSON.stringify(execs.map((e) => e.filename))}`);
    assert.deepEqual(echo.argv, ['/bin/echo', 'hello world', 'a', 'b', 'c']);
    assert.equal(echo.truncated, 0);
    assert.ok(echo.ppid! > 0);
    const now = BigInt(Date.now()) * 1_000_000n;
    assert.ok(echo.ts > now - 60_000_000_000n && echo.ts <= now, 'ts is wall-clock ns since the epoch');
    assert.ok(rows(batches, 'fork', cg).length > 0, 'fork events');
    const exits = rows(batches, 'exit', cg).map(({ b, i }) => col<Int32Array>(b, 'exit_code')[i]);
    assert.ok(exits.length > 0 && exits.includes(0), 'exit events');

    // opens: /proc and tmpfs kept, the root filesystem (ld.so.cache, libc) left out in host mode
    const opens = rows(batches, 'open', cg).map(({ b, i }) => ({
      path: stringAt(col<StringColumn>(b, 'path'), i),
      fs: stringAt(col<StringColumn>(b, 'fs_type'), i),
      magic: col<BigUint64Array>(b, 'fs_magic')[i],
      ret: col<BigInt64Array>(b, 'ret')[i]!,
    }));
    const ver = opens.find((o) => o.path === '/proc/version');
    assert.ok(ver, `open of /proc/version among ${JSON.stringify(opens.map((o) => o.path).slice(0, 40))}`);
    assert.equal(ver.fs, 'proc');
    assert.equal(ver.magic, 0x9fa0n);
    assert.ok(ver.ret >= 0n);
    const shm = opens.find((o) => o.path === shmFile);
    assert.ok(shm, 'open of the tmpfs file');
    assert.equal(shm.fs, 'tmpfs');
    assert.ok(!opens.some((o) => o.path === '/etc/ld.so.cache'), 'root-filesystem opens skipped in host mode');

    // TCP: both sides, matching ports, close with duration
    type Sock = { kind: string; laddr: string; lport: number; raddr: string; rport: number; family: number; cookie: bigint; ret: bigint; dur: bigint };
    const socks: Sock[] = [];
    for (const kind of ['connect', 'accept', 'close']) {
      for (const { b, i } of rows(batches, kind, cg)) {
        socks.push({
          kind,
          laddr: addrAt(col<Uint8Array>(b, 'laddr'), i),
          lport: col<Uint16Array>(b, 'lport')[i]!,
          raddr: addrAt(col<Uint8Array>(b, 'raddr'), i),
          rport: col<Uint16Array>(b, 'rport')[i]!,
          family: col<Uint16Array>(b, 'family')[i]!,
          cookie: col<BigUint64Array>(b, 'sock_cookie')[i]!,
          ret: kind === 'close' ? 0n : col<BigInt64Array>(b, 'ret')[i]!,
          dur: kind === 'close' ? col<BigUint64Array>(b, 'duration_ns')[i]! : 0n,
        });
      }
    }
    const connects = socks.filter((s) => s.kind === 'connect');
    const accepts = socks.filter((s) => s.kind === 'accept');
    assert.equal(connects.length, 3, `three connects: ${JSON.stringify(socks, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
    for (const c of connects) {
      assert.ok(c.ret === 0n || c.ret === -115n, 'connect returned 0 or -EINPROGRESS');
      const a = accepts.find((x) => x.lport === c.rport && x.rport === c.lport);
      assert.ok(a, `accept matching connect ${c.laddr}:${c.lport} -> ${c.raddr}:${c.rport}`);
      assert.ok(a.ret >= 0n);
      assert.ok(c.cookie > 0n && a.cookie > 0n && c.cookie !== a.cookie, `cookies ${JSON.stringify(socks, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`);
      for (const s of [c, a]) {
        const cl = socks.find((x) => x.kind === 'close' && x.cookie === s.cookie);
        assert.ok(cl, `close of ${s.kind} socket ${s.cookie}`);
        assert.ok(cl.dur > 0n && cl.dur < 30_000_000_000n, 'close has a duration');
        assert.equal(cl.lport, s.lport);
      }
    }
    assert.ok(connects.some((c) => c.family === 2 && c.raddr === '127.0.0.1'), 'IPv4 connect');
    assert.ok(connects.some((c) => c.family === 10 && c.raddr === '0:0:0:0:0:0:0:1'.replace(/(^|:)0(:0)+(:|$)/, '::')), 'IPv6 connect');
    assert.ok(accepts.some((a) => a.family === 10 && a.raddr === '127.0.0.1'), 'v4-mapped accept on a dual-stack listener');

    const counters = rec.counters();
    assert.ok(counters['events.exec']! > 0n);
    assert.equal(counters['drops.exec'], 0n);
  } finally {
    rec.close();
    rec.close(); // idempotent
    rmSync(work, { recursive: true, force: true });
    rmSync(shmFile, { force: true });
    await cgroup.remove();
  }
});

/** A cgroup v2 directory for one test; returns its id and a remover. */


test('native recorder: read-and-reset of syscall counts loses nothing', async (t) => {
  const needs: [boolean, string][] = [[process.arch === 'x64', 'getppid number is x86_64 (110)']];
  await withRecorder(t, { tag: 'reset', options: { opens: 'none' }, needs }, async ({ rec, cg }) => {
    const loop = buildC('getppid-count');
    const N = 300_000;
    const child = spawn(loop, [path.join(cg.dir, 'cgroup.procs'), String(N)], { stdio: 'ignore' });
    let total = 0n;
    let reads = 0;
    const add = (b: NativeBatch) => {
      reads++;
      const ids = col<BigUint64Array>(b, 'cgroup_id');
      const nr = col<Int32Array>(b, 'syscall_nr');
      const count = col<BigUint64Array>(b, 'count');
      for (let i = 0; i < b.length; i++) if (ids[i] === cg.id && nr[i] === 110) total += count[i]!;
    };
    const timer = setInterval(() => add(rec.readSyscalls()), 5);
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    clearInterval(timer);
    add(rec.readSyscalls());
    assert.equal(code, 0);
    assert.ok(reads > 3, `several windows (${reads})`);
    assert.equal(total, BigInt(N), 'every getppid counted exactly once across windows');

    // a task blocked since its last call: its pending count is flushed by the read itself
    const sleeper = spawn('/bin/sh', ['-c', `echo $$ > ${cg.dir}/cgroup.procs && exec /bin/sleep 3`], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 800));
    const b = rec.readSyscalls();
    const ids = col<BigUint64Array>(b, 'cgroup_id');
    const nrs = col<Int32Array>(b, 'syscall_nr');
    const counts = col<BigUint64Array>(b, 'count');
    let nanosleep = 0n;
    for (let i = 0; i < b.length; i++) if (ids[i] === cg.id && (nrs[i] === 230 || nrs[i] === 35)) nanosleep += counts[i]!;
    sleeper.kill();
    await new Promise((r) => sleeper.on('exit', r));
    assert.equal(nanosleep, 1n, 'the sleeping call is counted while it sleeps');
  });
});


test('native recorder: counts stay exact while tasks block and switch CPUs, no false denials', async (t) => {
  const needs: [boolean, string][] = [[process.arch === 'x64', 'syscall numbers are x86_64']];
  await withRecorder(t, { tag: 'pingpong', options: { opens: 'none' }, needs }, async ({ rec, cg }) => {
    const bin = buildC('pingpong');
    const N = 5_000;
    const child = spawn(bin, [path.join(cg.dir, 'cgroup.procs'), String(N), '10'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const rowsOf: NativeBatch[] = [];
    const timer = setInterval(() => rowsOf.push(rec.readSyscalls()), 20);
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    clearInterval(timer);
    rowsOf.push(rec.readSyscalls());
    assert.equal(code, 0);
    const M = Number(out.trim()); // 10, or 0 with a single usable CPU
    const sum = new Map<number, { count: bigint; errors: bigint; denied: bigint }>();
    for (const { b, i } of rows(rowsOf, 'syscall', cg.id)) {
      const nr = col<Int32Array>(b, 'syscall_nr')[i]!;
      const e = sum.get(nr) ?? { count: 0n, errors: 0n, denied: 0n };
      e.count += col<BigUint64Array>(b, 'count')[i]!;
      e.errors += col<BigUint64Array>(b, 'errors')[i]!;
      e.denied += col<BigUint64Array>(b, 'denied')[i]!;
      sum.set(nr, e);
    }
    const get = (nr: number) => sum.get(nr) ?? { count: 0n, errors: 0n, denied: 0n };
    assert.equal(get(110).count, BigInt(2 * N + 1), 'every getppid counted once');
    assert.equal(get(3).errors, BigInt(2 * N), 'every failed close(-1) counted as an error');
    assert.ok(get(0).count >= BigInt(2 * N) && get(1).count >= BigInt(2 * N), 'reads and writes counted');
    assert.equal(get(0).errors, 0n, 'blocking reads that returned data are not errors');
    assert.equal(get(202).count, BigInt(N + M), 'futex waits counted');
    assert.equal(get(202).errors, BigInt(N + M), 'futex waits that timed out after a switch or a move: errors, not denials');
    const denied = [...sum.values()].reduce((s, x) => s + x.denied, 0n);
    assert.equal(denied, 0n, 'an allow-all filter denies nothing');
  });
});

test('native recorder: a signal interrupting a blocked call is no denial (rt_sigreturn exit, nr -1)', async (t) => {
  if (!requireOrSkip(t, IS_ROOT, 'needs root for eBPF')) return;
  if (!requireOrSkip(t, addonBuilt(), 'native addon not built (npm run build:native)')) return;
  if (!requireOrSkip(t, process.arch === 'x64', 'syscall numbers are x86_64')) return;
  const bin = buildC('signal-interrupt');
  const cg = makeCgroup('sigreturn');
  const rec = NativeRecorder.open({ opens: 'none' });
  try {
    rec.setCgroupVerdict(cg.id, 'record');
    const before = rec.counters()['syscall.sigreturn_exit_skipped'] ?? 0n;
    const N = 200;
    const child = spawn(bin, [path.join(cg.dir, 'cgroup.procs'), String(N)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    const batch = rec.readSyscalls();
    assert.equal(code, 0);
    assert.equal(out.trim(), String(N));
    const denied: { nr: number; errno: number; denied: bigint }[] = [];
    let sigreturns = 0n;
    for (const { b, i } of rows([batch], 'syscall', cg.id)) {
      const nr = col<Int32Array>(b, 'syscall_nr')[i]!;
      if (nr === 15) sigreturns += col<BigUint64Array>(b, 'count')[i]!;
      const d = col<BigUint64Array>(b, 'denied')[i]!;
      if (d > 0n) denied.push({ nr, errno: col<Int32Array>(b, 'denied_errno')[i]!, denied: d });
    }
    assert.deepEqual(denied, [], 'an allow-all filter denies nothing (no #-1 EINTR rows)');
    assert.ok(sigreturns >= BigInt(N), `every handler returned through rt_sigreturn (${sigreturns})`);
    const skipped = (rec.counters()['syscall.sigreturn_exit_skipped'] ?? 0n) - before;
    assert.ok(skipped >= BigInt(N), `the skipped exits are counted (${skipped})`);
  } finally {
    rec.close();
    await cg.remove();
  }
});

test("native recorder: --opens all, failed relative opens, argv limit", async (t) => {
  await withRecorder(t, { tag: 'opens', options: { opens: 'all', maxArgvBytes: 64 } }, async ({ rec, cg }) => {
    const batches: NativeBatch[] = [];
    const long = 'x'.repeat(100);
    const script = [
      `echo $$ > ${cg.dir}/cgroup.procs`,
      'cd /etc',
      'cat hostname > /dev/null',
      'cat contxray-no-such-file 2> /dev/null',
      `/bin/echo ${long} > /dev/null`,
      'true',
    ].join('\n');
    const child = spawn('/bin/sh', ['-c', script], { stdio: 'ignore' });
    await new Promise((r) => child.on('exit', r));
    await new Promise((r) => setTimeout(r, 200));
    batches.push(...rec.drain().batches);
    const opens = rows(batches, 'open', cg.id).map(({ b, i }) => ({
      path: stringAt(col<StringColumn>(b, 'path'), i),
      ret: col<BigInt64Array>(b, 'ret')[i]!,
      fs: stringAt(col<StringColumn>(b, 'fs_type'), i),
    }));
    const host = opens.find((o) => o.path === '/etc/hostname');
    assert.ok(host, `relative open resolved to /etc/hostname: ${JSON.stringify(opens.map((o) => o.path).slice(0, 30))}`);
    assert.ok(host.ret >= 0n && host.fs.length > 0);
    assert.ok(opens.some((o) => o.path === '/etc/ld.so.cache' || o.path.startsWith('/lib') || o.path.startsWith('/usr/lib')), 'root-fs opens kept in all mode');
    const failed = opens.find((o) => o.path === 'contxray-no-such-file');
    assert.ok(failed, 'a failed relative open keeps the path as passed');
    assert.equal(failed.ret, -2n);
    const echo = rows(batches, 'exec', cg.id)
      .map(({ b, i }) => ({ argv: listAt(col<ListColumn>(b, 'argv'), i), truncated: col<Uint8Array>(b, 'truncated')[i] }))
      .find((e) => e.argv[0] === '/bin/echo');
    assert.ok(echo, 'exec of /bin/echo');
    assert.equal(echo.truncated, 1);
    assert.equal(echo.argv.join('\0').length, 64, 'argv cut at maxArgvBytes');
    assert.ok(rec.counters()['truncated.argv']! >= 1n);
  });
});

test('native recorder: one-line environment errors (not root, BPF refused)', async (t) => {
  if (!requireOrSkip(t, IS_ROOT, 'needs root to drop privileges')) return;
  if (!requireOrSkip(t, addonBuilt(), 'native addon not built (npm run build:native)')) return;
  const hasSetpriv = spawnSync('sh', ['-c', 'command -v setpriv']).status === 0;
  if (!requireOrSkip(t, hasSetpriv, 'needs setpriv (util-linux)')) return;
  const work = mkdtempSync(path.join(os.tmpdir(), 'contxray-err-'));
  try {
    const mod = new URL('../../src/record/native.js', import.meta.url).href;
    const script = path.join(work, 'open.mjs');
    writeFileSync(
      script,
      `import { NativeRecorder } from ${JSON.stringify(mod)};\n` +
        `try { NativeRecorder.open({ opens: 'host' }).close(); console.log('opened'); }\n` +
        `catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }\n`,
    );
    chmodSync(work, 0o755); // readable by the unprivileged user
    const run = (args: string[]) => {
      const r = spawnSync('setpriv', [...args, process.execPath, script], { encoding: 'utf8' });
      assert.ok(r.stdout.trim().startsWith('{'), `no error object: ${r.stdout} ${r.stderr}`);
      return JSON.parse(r.stdout.trim()) as { name: string; code: string; message: string };
    };
    const notRoot = run(['--reuid=65534', '--regid=65534', '--clear-groups']);
    assert.equal(notRoot.name, 'RecorderError');
    assert.equal(notRoot.code, 'not-root');
    assert.match(notRoot.message, /needs root/);
    const refused = run(['--bounding-set=-bpf,-sys_admin,-perfmon', '--inh-caps=-all']);
    assert.equal(refused.name, 'RecorderError');
    assert.equal(refused.code, 'bpf');
    assert.match(refused.message, /^eBPF: loading the BPF programs was refused: Operation not permitted \(.+\)$/);
    assert.ok(!refused.message.includes('\n'), 'one line');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test("native recorder: ring-buffer use, read from the map's own producer and consumer positions", async (t) => {
  await withRecorder(t, { tag: 'ringuse', options: { opens: 'all', ringBufferBytes: 1 << 16 } }, async ({ rec, cg }) => {
    assert.deepEqual(rec.ringBuffer().sizeBytes, 1 << 16);
    // 300 execs, forks, exits and opens: records wait up to ~10 ms for the consumer thread.
    const child = spawn('/bin/sh', ['-c', `echo $$ > ${cg.dir}/cgroup.procs && for i in $(seq 300); do cat /etc/hostname; done`], { stdio: 'ignore' });
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    assert.equal(code, 0);
    const during = rec.ringBuffer();
    assert.ok(during.peakUsedBytes > 0, `the consumer saw pending records (peak ${during.peakUsedBytes})`);
    assert.ok(during.peakUsedBytes <= during.sizeBytes, `peak ${during.peakUsedBytes} ≤ size ${during.sizeBytes}`);
    // Positions advance by whole records, 8-byte aligned: a misread page would not.
    assert.equal(during.peakUsedBytes % 8, 0);
    // Read to the end once the workload is over (other cgroups' creations also pass through the
    // buffer on a shared host: empty at least once within a second).
    let used = -1;
    for (let i = 0; i < 100 && used !== 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      used = rec.ringBuffer().usedBytes;
    }
    assert.equal(used, 0);
    rec.drain();
  });
});
