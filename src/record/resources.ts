/**
 * Resource samples: per recorded container, at every flush, the cumulative counters its cgroup v2
 * directory and its network namespace keep. Read in user space (no BPF), written as kind `resource`.
 *
 * Every value is what the kernel reports (cumulative counters stay cumulative; views derive rates).
 * A file that is missing (a v1-only controller, a container gone, memory.peak before 5.19) or a
 * field that does not parse gives null for its columns: a sample is never a reason to fail.
 * Files are read by a bounded synchronous read (they are a few hundred bytes). A CgroupSampler keeps
 * each file open across flushes and re-reads it from offset 0 (the kernel regenerates cgroup and
 * /proc seq files on every read from 0), and remembers files that are missing (v1-only
 * controllers) instead of failing to open them at every flush: open/close and the exception of a
 * failed open were most of the sampler's CPU (docs/performance.md, "Resource samples").
 */
import { closeSync, openSync, readSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { ResourceField } from '../capture/schema.js';

export type ResourceSample = Record<ResourceField, bigint | null>;

/** Bytes read of one file at most: cgroup files here are small; a hostile mount can't make us read more. */
const MAX_FILE = 64 * 1024;
const buf = Buffer.alloc(MAX_FILE);

/** The text of a file, or null if it can't be read. Never follows a symlink at the last component. */
export function readSmall(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    return readFd(fd);
  } finally {
    closeSync(fd);
  }
}

/** The whole (bounded) text of an open file, read from offset 0: a seq file is regenerated. */
function readFd(fd: number): string | null {
  try {
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, MAX_FILE - n, n);
      if (r <= 0 || (n += r) >= MAX_FILE) break;
    }
    return buf.toString('latin1', 0, n);
  } catch {
    return null;
  }
}

/** A missing file is tried again after this many passes (a controller enabled later shows up). */
const RETRY_MISSING = 60;

/**
 * Reads small files, keeping them open between passes. `sweep()` after each pass closes the files
 * the pass did not read (containers gone, a task's netns path that changed); `close()` closes all.
 */
export class FileCache {
  private readonly files = new Map<string, { fd: number | null; retryAt: number; used: boolean }>();
  private pass = 0;

  read(path: string): string | null {
    let f = this.files.get(path);
    if (f?.fd === null && this.pass < f.retryAt) {
      f.used = true;
      return null;
    }
    if (!f || f.fd === null) {
      let fd: number | null = null;
      try {
        fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
      } catch {
        // missing: remembered, tried again later
      }
      f = { fd, retryAt: this.pass + RETRY_MISSING, used: true };
      this.files.set(path, f);
      if (fd === null) return null;
    }
    f.used = true;
    const text = readFd(f.fd!);
    if (text === null) this.drop(path); // the cgroup went away under the open file
    return text;
  }

  sweep(): void {
    this.pass++;
    for (const [path, f] of this.files) {
      if (!f.used) this.drop(path);
      else f.used = false;
    }
  }

  close(): void {
    for (const path of [...this.files.keys()]) this.drop(path);
  }

  /** Open files now (for tests and the bench). */
  get openFiles(): number {
    let n = 0;
    for (const f of this.files.values()) if (f.fd !== null) n++;
    return n;
  }

  private drop(path: string): void {
    const f = this.files.get(path);
    if (f?.fd != null) {
      try {
        closeSync(f.fd);
      } catch {
        // already gone
      }
    }
    this.files.delete(path);
  }
}

function toBig(s: string | undefined): bigint | null {
  return s !== undefined && /^\d{1,20}$/.test(s) ? BigInt(s) : null;
}

/** "key value" lines (cpu.stat, memory.stat) → the values of the wanted keys. */
export function parseKeyed(text: string | null, keys: readonly string[]): Map<string, bigint | null> {
  const out = new Map<string, bigint | null>(keys.map((k) => [k, null]));
  if (text === null) return out;
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    const k = line.slice(0, sp);
    if (out.has(k)) out.set(k, toBig(line.slice(sp + 1).trim()));
  }
  return out;
}

/** io.stat: "MAJ:MIN rbytes=… wbytes=… rios=… wios=… …" per device → sums; all null if no file. */
export function parseIoStat(text: string | null): { rbytes: bigint; wbytes: bigint; rios: bigint; wios: bigint } | null {
  if (text === null) return null;
  const sum = { rbytes: 0n, wbytes: 0n, rios: 0n, wios: 0n };
  for (const line of text.split('\n')) {
    for (const field of line.split(' ').slice(1)) {
      const eq = field.indexOf('=');
      const k = field.slice(0, eq) as keyof typeof sum;
      if (k in sum) sum[k] += toBig(field.slice(eq + 1)) ?? 0n;
    }
  }
  return sum;
}

/** /proc/PID/net/dev → sums over every interface but lo. */
export function parseNetDev(text: string | null): { rxBytes: bigint; rxPackets: bigint; txBytes: bigint; txPackets: bigint } | null {
  if (text === null) return null;
  const sum = { rxBytes: 0n, rxPackets: 0n, txBytes: 0n, txPackets: 0n };
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim() === 'lo') continue;
    // receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes packets …
    const f = line.slice(colon + 1).trim().split(/\s+/);
    if (f.length < 10) continue;
    sum.rxBytes += toBig(f[0]) ?? 0n;
    sum.rxPackets += toBig(f[1]) ?? 0n;
    sum.txBytes += toBig(f[8]) ?? 0n;
    sum.txPackets += toBig(f[9]) ?? 0n;
  }
  return sum;
}

/**
 * One sample of the cgroup v2 directory `dir` (absolute) and of the netns of one of its tasks.
 * `read` is readSmall (open, read, close) or a FileCache's read (files kept open across flushes).
 */
export function sampleCgroup(dir: string, procRoot = '/proc', read: (path: string) => string | null = readSmall): ResourceSample {
  const cpu = parseKeyed(read(join(dir, 'cpu.stat')), ['usage_usec', 'user_usec', 'system_usec', 'nr_throttled', 'throttled_usec']);
  const mem = parseKeyed(read(join(dir, 'memory.stat')), ['anon', 'file']);
  const io = parseIoStat(read(join(dir, 'io.stat')));
  const procs = read(join(dir, 'cgroup.procs'));
  const pid = procs?.split('\n').find((l) => /^\d{1,10}$/.test(l));
  const net = pid ? parseNetDev(read(join(procRoot, pid, 'net/dev'))) : null;
  return {
    cpu_usage_usec: cpu.get('usage_usec')!,
    cpu_user_usec: cpu.get('user_usec')!,
    cpu_system_usec: cpu.get('system_usec')!,
    cpu_nr_throttled: cpu.get('nr_throttled')!,
    cpu_throttled_usec: cpu.get('throttled_usec')!,
    memory_current: toBig(read(join(dir, 'memory.current'))?.trim()),
    memory_anon: mem.get('anon')!,
    memory_file: mem.get('file')!,
    memory_peak: toBig(read(join(dir, 'memory.peak'))?.trim()),
    io_rbytes: io?.rbytes ?? null,
    io_wbytes: io?.wbytes ?? null,
    io_rios: io?.rios ?? null,
    io_wios: io?.wios ?? null,
    pids_current: toBig(read(join(dir, 'pids.current'))?.trim()),
    net_rx_bytes: net?.rxBytes ?? null,
    net_tx_bytes: net?.txBytes ?? null,
    net_rx_packets: net?.rxPackets ?? null,
    net_tx_packets: net?.txPackets ?? null,
  };
}
