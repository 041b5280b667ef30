/**
 * Typed wrapper around the native addon (found by ./addon.ts: a source build in native/build/ or
 * the prebuild in native/prebuilds/): the only module that calls it. The addon is optional: it is
 * loaded on first use, never at module load, so analyze/report/seccomp run where it is missing.
 * See docs/bpf.md and docs/install.md.
 */
import { existsSync } from 'node:fs';
import { addonInfo, loadAddon as loadAnyAddon } from './addon.js';
import type { Kind } from '../capture/schema.js';
import { formatAddress } from '../capture/addr.js';
import { RecorderError, UsageError } from '../util/errors.js';

export type StringColumn = { offsets: Int32Array; data: Uint8Array };
export type ListColumn = { listOffsets: Int32Array; offsets: Int32Array; data: Uint8Array };
export type NativeColumn =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | StringColumn
  | ListColumn;

export interface NativeBatch {
  kind: Kind;
  length: number;
  columns: Record<string, NativeColumn>;
}

export interface RecorderOptions {
  /** 'host' (default): opens outside the container's own root fs; 'all'; 'none': not traced. */
  opens: 'host' | 'all' | 'none';
  /** BPF ring buffer size, rounded up to a power of two (default 16 MiB). */
  ringBufferBytes?: number;
  /** Decoded-but-undrained bytes kept before events are counted as drops.native.* (default 512 MiB). */
  maxPendingBytes?: number;
  /** argv bytes kept per exec, 1..16384 (CX_MAX_ARGV, the default); longer argv is cut and flagged. */
  maxArgvBytes?: number;
  /** Benchmarks only: attach nothing but an empty program on raw_syscalls:sys_enter (the floor). */
  floorOnly?: boolean;
}

export const MAX_ARGV_BYTES = 16384;
const OPENS_MODE = { none: 0, host: 1, all: 2 } as const; // enum cx_opens in bpf/contxray.h

/** The addon's options: every one validated and defaulted here (the addon applies them as given). */
export function addonOptions(opts: RecorderOptions): Record<string, number | boolean> {
  if (!(opts.opens in OPENS_MODE)) throw new UsageError('bad-option', `opens must be host, all or none`);
  const maxArgv = opts.maxArgvBytes ?? MAX_ARGV_BYTES;
  if (!(Number.isInteger(maxArgv) && maxArgv >= 1 && maxArgv <= MAX_ARGV_BYTES)) {
    throw new UsageError('bad-option', `maxArgvBytes must be between 1 and ${MAX_ARGV_BYTES}`);
  }
  const ring = opts.ringBufferBytes ?? 16 << 20;
  if (!(Number.isInteger(ring) && ring > 0 && ring <= 2 ** 30)) throw new UsageError('bad-option', 'ringBufferBytes must be 1 B to 1 GiB');
  let ringBufferBytes = 4096; // a power of two, at least a page
  while (ringBufferBytes < ring) ringBufferBytes *= 2;
  const maxPendingBytes = opts.maxPendingBytes ?? 512 * 2 ** 20;
  if (!(Number.isInteger(maxPendingBytes) && maxPendingBytes >= 0)) throw new UsageError('bad-option', 'maxPendingBytes must be a byte count');
  return { opensMode: OPENS_MODE[opts.opens], ringBufferBytes, maxPendingBytes, maxArgvBytes: maxArgv, floorOnly: opts.floorOnly === true };
}

/** What the addon throws: a code, the program concerned, strerror, the verifier's or libbpf's last words. */
interface AddonError {
  code?: string;
  program?: string;
  detail?: string;
  log?: string;
}

/** The one-line message of an addon failure. */
export function addonErrorMessage(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as AddonError & { message?: string };
  const line = (s: string | undefined) => (s ?? '').split('\n')[0]!.trim();
  const detail = line(e.detail ?? e.message ?? String(err));
  const program = line(e.program);
  const log = line(e.log);
  switch (e.code) {
    case 'open':
      return `opening the BPF object failed: ${detail}`;
    case 'load': {
      const why = program ? ` (prog '${program}'${log ? `: ${log}` : ''})` : log ? ` (${log})` : '';
      return `loading the BPF programs was refused: ${detail}${why}`;
    }
    case 'tracepoint':
      return `tracepoint ${program} is missing on this kernel`;
    case 'attach':
      return `attaching ${program} failed: ${detail}`;
    case 'ringbuf':
      return `creating the ring buffer consumer failed: ${detail}`;
    case 'map':
      return `setting the cgroup verdict failed: ${detail}`;
    default:
      return detail;
  }
}

interface AddonRecorder {
  drain(): { batches: NativeBatch[]; newCgroups: BigUint64Array };
  readSyscalls(): NativeBatch;
  setCgroupVerdict(cgroupId: bigint, verdict: string): void;
  counters(): Record<string, bigint>;
  programStats(): Record<string, ProgramStats>;
  ringBuffer(): RingBufferUse;
  close(): void;
}

/** The BPF ring buffer: its size, bytes reserved and not yet consumed now, and the most it held
 *  since the previous call (sampled by the consumer thread just before each read, every ~10 ms). */
export interface RingBufferUse {
  sizeBytes: number;
  usedBytes: number;
  peakUsedBytes: number;
}

export interface ProgramStats {
  runCount: bigint;
  runTimeNs: bigint; // measured by the kernel only while kernel.bpf_stats_enabled=1
  recursionMisses: bigint;
}

interface Addon {
  Recorder: new (opts: object) => AddonRecorder;
  describeColumns(): Record<string, [string, string][]>;
  layout(): AbiMember[];
}

/** Where the decoder's compiler put a member it reads (member '' = the struct's size). */
export interface AbiMember {
  struct: string;
  member: string;
  offset: number;
  size: number;
}

/** The addon, loaded once (throws a RecorderError saying what to install). */
function loadAddon(): Addon {
  return loadAnyAddon<Addon>();
}

/** True when an addon for this platform is there and loads. */
export function addonBuilt(): boolean {
  return addonInfo().error === null;
}

/** Recording needs root; checked before anything is created (no empty capture left behind). */
export function requireRoot(): void {
  if (typeof process.geteuid === 'function' && process.geteuid() !== 0) {
    throw new RecorderError('not-root', 'recording needs root (eBPF): run it with sudo');
  }
}

const open = new Set<NativeRecorder>();
let exitHook = false;

export class NativeRecorder {
  private closed = false;

  private constructor(private readonly r: AddonRecorder) {}

  /** Loads and attaches the BPF programs. Throws a RecorderError with one clear line. */
  static open(opts: RecorderOptions): NativeRecorder {
    requireRoot();
    if (!existsSync('/sys/kernel/btf/vmlinux')) {
      throw new RecorderError('no-btf', 'this kernel has no BTF (/sys/kernel/btf/vmlinux missing; needs CONFIG_DEBUG_INFO_BTF=y)');
    }
    const a = loadAddon();
    let r: AddonRecorder;
    try {
      r = new a.Recorder(addonOptions(opts));
    } catch (err) {
      throw new RecorderError('bpf', `eBPF: ${addonErrorMessage(err)}`, { cause: err });
    }
    const rec = new NativeRecorder(r);
    open.add(rec);
    if (!exitHook) {
      exitHook = true;
      process.on('exit', () => {
        for (const x of open) x.close();
      });
    }
    return rec;
  }

  /** Everything decoded since the last call, one batch per kind, plus cgroups BPF saw first. */
  drain(): { batches: NativeBatch[]; newCgroups: BigUint64Array } {
    this.check();
    return this.r.drain();
  }

  /**
   * Syscall aggregates since the last call (ts = window start). Read-and-reset loses nothing: the
   * BPF key carries an epoch bit; this flips it, waits for an RCU grace period, then reads and
   * deletes the old half.
   */
  readSyscalls(): NativeBatch {
    this.check();
    return this.r.readSyscalls();
  }

  /** 'record' or 'ignore' a cgroup. Until set, a cgroup BPF has seen is PENDING (recorded). */
  setCgroupVerdict(cgroupId: bigint, verdict: 'record' | 'ignore'): void {
    this.check();
    try {
      this.r.setCgroupVerdict(cgroupId, verdict);
    } catch (err) {
      throw new RecorderError('bpf', `eBPF: ${addonErrorMessage(err)}`, { cause: err });
    }
  }

  /** Cumulative counters: events.<kind>, drops.<kind>, drops.native.<kind>, truncated.*, … */
  counters(): Record<string, bigint> {
    this.check();
    return this.r.counters();
  }

  /** Ring-buffer use; the peak restarts at every call. */
  ringBuffer(): RingBufferUse {
    this.check();
    return this.r.ringBuffer();
  }

  /** Per-program run count/time (benchmarks; times need sysctl kernel.bpf_stats_enabled=1). */
  programStats(): Record<string, ProgramStats> {
    this.check();
    return this.r.programStats();
  }

  /** Detaches everything; idempotent. Also runs on process exit. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    open.delete(this);
    this.r.close();
  }

  private check(): void {
    if (this.closed) throw new RecorderError('closed', 'the recorder is closed');
  }

  /** Column names and types the addon produces per kind (no root needed). */
  static describeColumns(): Record<string, [string, string][]> {
    return loadAddon().describeColumns();
  }

  /** offsetof/sizeof of every record member the decoder reads, as the addon was compiled. */
  static layout(): AbiMember[] {
    return loadAddon().layout();
  }
}

/** Decodes row `i` of a string column (for tests and small tools; bulk paths use the buffers). */
export function stringAt(col: StringColumn, i: number): string {
  return Buffer.from(col.data.buffer, col.data.byteOffset + col.offsets[i]!, col.offsets[i + 1]! - col.offsets[i]!).toString(
    'utf8',
  );
}

/** Decodes row `i` of a list-of-strings column. */
export function listAt(col: ListColumn, i: number): string[] {
  const out: string[] = [];
  for (let k = col.listOffsets[i]!; k < col.listOffsets[i + 1]!; k++) out.push(stringAt(col, k));
  return out;
}

/** Formats a 16-byte address column entry (IPv4-mapped shown as a.b.c.d). */
export function addrAt(col: Uint8Array, i: number): string {
  return formatAddress(col.subarray(16 * i, 16 * i + 16));
}
