/**
 * Reads what the seccomp command needs from the loaded captures (queries/seccomp/*.sql), with every
 * captured or user value bound as a parameter. Rows become SyscallUse values; nothing else in
 * src/seccomp touches DuckDB, so the logic is tested on plain rows too.
 */
import type { Analysis } from '../analyze/db.js';
import { CaptureError, SelectionError } from '../util/errors.js';
import { resolveContainers, type ContainerRow } from '../analyze/select.js';
import type { SyscallUse } from './types.js';

export interface StartInfo {
  host: string;
  capture: string;
  arch: string;
  capture_started_at: bigint | null;
  container_started_at: bigint | null;
  runtime: string | null;
  execs: bigint;
  runtime_rows: bigint;
}

export interface ContainerUse {
  containers: ContainerRow[];
  rows: SyscallUse[];
  starts: StartInfo[];
  arch: string;
  runtime: string | null;
  /** Every capture's syscall rows are split per exec generation (see boundary.ts). */
  perExecRows: boolean;
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const big = (v: unknown): bigint => (v === null || v === undefined ? 0n : BigInt(v as number | bigint));
const ns = (v: unknown): bigint | null => (v === null || v === undefined ? null : BigInt(v as number | bigint));

export async function loadContainerUse(db: Analysis, query: string): Promise<ContainerUse> {
  const { rows: containers, ids } = (await resolveContainers(db, [query]))!;
  const rows: SyscallUse[] = [];
  const starts: StartInfo[] = [];
  let perExecRows = true;
  for (const id of ids) {
    for (const r of await db.named('seccomp-recorder', { container_id: id })) perExecRows &&= r.per_exec_rows === true;
    for (const r of await db.named('seccomp-syscalls', { container_id: id })) {
      rows.push({
        name: str(r.name),
        nr: Number(r.nr),
        arch: str(r.arch) ?? 'unknown',
        compat: Boolean(r.compat),
        filtered: Boolean(r.filtered),
        comm: str(r.comm) ?? '',
        calls: big(r.calls),
        denied: big(r.denied),
        denied_errno: Number(r.denied_errno ?? 0),
        pids: Number(r.pids ?? 0),
        handover: Boolean(r.handover),
      });
    }
    for (const r of await db.named('seccomp-start', { container_id: id })) {
      starts.push({
        host: str(r.host) ?? '',
        capture: str(r.capture) ?? '',
        arch: str(r.arch) ?? 'unknown',
        capture_started_at: ns(r.capture_started_at),
        container_started_at: ns(r.container_started_at),
        runtime: str(r.runtime),
        execs: big(r.execs),
        runtime_rows: big(r.runtime_rows),
      });
    }
  }
  if (rows.length === 0) {
    throw new CaptureError('no-syscalls', `no syscalls were recorded for container '${query}' (${ids.map((i) => i.slice(0, 12)).join(', ')})`);
  }
  const arches = [...new Set(starts.map((s) => s.arch))];
  if (arches.length > 1) {
    throw new SelectionError('mixed-architectures', `the captures of '${query}' come from different architectures (${arches.join(', ')}): make one profile per architecture`);
  }
  const runtimes = [...new Set([...containers.map((c) => c.runtime), ...starts.map((s) => s.runtime)].filter((r): r is string => !!r))];
  return { containers, rows, starts, arch: arches[0] ?? 'x86_64', runtime: runtimes[0] ?? null, perExecRows };
}
