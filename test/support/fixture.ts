/**
 * Builds a real capture from plain row objects: for tests, fixtures and small generated files.
 * The recorder does not use this (it hands typed columns to CaptureWriter directly).
 */
import { hostname, release } from 'node:os';
import { CaptureWriter, type CaptureMetadata } from '../../src/capture/writer.js';
import { KINDS, type HostInfo, type SyscallTable } from '../../src/capture/schema.js';
import { syscallTableFor } from '../../src/syscalls/index.js';
import { rowsToColumns, toNs, type Row } from './events.js';

export type { Row };

export interface FixtureOptions {
  host?: Partial<HostInfo>;
  syscalls?: SyscallTable;
  options?: Record<string, unknown>;
  startedAtNs?: bigint;
  force?: boolean;
  rows: Row[];
}

export function defaultHost(over: Partial<HostInfo> = {}): HostInfo {
  return { hostname: hostname(), kernel: release(), arch: 'x86_64', boot_time_ns: '0', ...over };
}

export async function writeCaptureFromRows(path: string, opts: FixtureOptions): Promise<void> {
  const host = defaultHost(opts.host);
  const firstTs = opts.rows.reduce<bigint | null>((m, r) => {
    const ts = toNs(r.ts);
    return ts !== null && (m === null || ts < m) ? ts : m;
  }, null);
  const meta: CaptureMetadata = {
    host,
    syscalls: opts.syscalls ?? syscallTableFor(host.arch),
    options: opts.options ?? { source: 'fixture' },
    recorder: { version: 'fixture', started_at_ns: String(opts.startedAtNs ?? firstTs ?? 0n) },
  };
  const writer = await CaptureWriter.create(path, meta, { force: opts.force ?? true });
  try {
    for (const kind of KINDS) {
      const rows = opts.rows.filter((r) => r.kind === kind);
      if (rows.length === 0) continue;
      writer.writeBatch(kind, rows.length, rowsToColumns(kind, rows) as never);
    }
  } finally {
    writer.close();
  }
}
