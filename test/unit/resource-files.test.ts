/**
 * The resource sampler's FileCache: files stay open across flushes and are re-read from offset 0,
 * missing files are remembered (not re-opened at every flush) and retried later, and files a pass
 * no longer reads are closed. On a fake cgroup tree (regular files re-read like seq files).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileCache, sampleCgroup } from '../../src/record/resources.js';

function tree() {
  const root = mkdtempSync(join(tmpdir(), 'contxray-resfiles-'));
  const cg = (name: string) => {
    const dir = join(root, 'cg', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 100\nuser_usec 60\nsystem_usec 40\n');
    writeFileSync(join(dir, 'cgroup.procs'), '4242\n');
    return dir;
  };
  const proc = join(root, 'proc');
  mkdirSync(join(proc, '4242', 'net'), { recursive: true });
  writeFileSync(
    join(proc, '4242', 'net', 'dev'),
    'Inter-|   Receive\n face |bytes packets errs drop fifo frame compressed multicast|bytes packets\n' +
      '  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0\n',
  );
  return { root, proc, cg, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

test('FileCache: re-reads open files from offset 0 at every pass; values follow the file', () => {
  const t = tree();
  const files = new FileCache();
  try {
    const a = t.cg('a');
    const read = (p: string) => files.read(p);
    const first = sampleCgroup(a, t.proc, read);
    files.sweep();
    assert.equal(first.cpu_usage_usec, 100n);
    assert.equal(first.net_rx_bytes, 1000n);
    const open = files.openFiles;
    assert.equal(open, 3, 'cpu.stat, cgroup.procs, net/dev');
    writeFileSync(join(a, 'cpu.stat'), 'usage_usec 123456\nuser_usec 1\nsystem_usec 2\n');
    const second = sampleCgroup(a, t.proc, read);
    files.sweep();
    assert.equal(second.cpu_usage_usec, 123456n, 'the kept fd is read from the start again');
    assert.equal(files.openFiles, open, 'no file opened again');
  } finally {
    files.close();
    t.cleanup();
  }
});

test('FileCache: a missing file is remembered, then retried after a while', () => {
  const t = tree();
  const files = new FileCache();
  try {
    const a = t.cg('a');
    const read = (p: string) => files.read(p);
    assert.equal(sampleCgroup(a, t.proc, read).memory_current, null);
    files.sweep();
    writeFileSync(join(a, 'memory.current'), '777\n');
    assert.equal(sampleCgroup(a, t.proc, read).memory_current, null, 'not re-opened at the next flush');
    files.sweep();
    let seen: bigint | null = null;
    for (let i = 0; i < 100 && seen === null; i++) {
      seen = sampleCgroup(a, t.proc, read).memory_current;
      files.sweep();
    }
    assert.equal(seen, 777n, 'found once retried');
  } finally {
    files.close();
    t.cleanup();
  }
});

test('FileCache: files a pass did not read are closed by sweep(); close() closes all', () => {
  const t = tree();
  const files = new FileCache();
  try {
    const a = t.cg('a');
    const b = t.cg('b');
    const read = (p: string) => files.read(p);
    sampleCgroup(a, t.proc, read);
    sampleCgroup(b, t.proc, read);
    files.sweep();
    const both = files.openFiles;
    sampleCgroup(a, t.proc, read); // b's container is gone
    files.sweep();
    assert.ok(files.openFiles < both, `b's files closed (${files.openFiles} < ${both})`);
    files.close();
    assert.equal(files.openFiles, 0);
  } finally {
    files.close();
    t.cleanup();
  }
});
