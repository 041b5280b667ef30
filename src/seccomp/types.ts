/** Shapes shared by the seccomp modules: recorded syscall use in, profiles out. */

/** One group of recorded calls (from queries/seccomp/syscalls.sql, or built by tests). */
export interface SyscallUse {
  /** Name from the capture's own table for `arch`; null when the number is unknown to it. */
  name: string | null;
  nr: number;
  /** x86_64, i386 (compat on x86_64), aarch64, arm … */
  arch: string;
  compat: boolean;
  /** The thread was under a seccomp filter when it made the call. */
  filtered: boolean;
  comm: string;
  /** Calls that entered the syscall. */
  calls: bigint;
  /** Calls seccomp stopped before entry, and the errno they got. */
  denied: bigint;
  denied_errno: number;
  /** Distinct processes that made these calls. */
  pids: number;
  /**
   * Made under a runtime comm in the aggregation window in which that process exec'd the workload.
   * In captures whose rows are not split per exec generation, that row also holds the workload's
   * first calls (its comm is whoever called first in the window). Absent: false.
   */
  handover?: boolean;
}

export type Action = 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO' | 'SCMP_ACT_KILL' | 'SCMP_ACT_KILL_PROCESS' | 'SCMP_ACT_KILL_THREAD' | 'SCMP_ACT_TRAP' | 'SCMP_ACT_TRACE' | 'SCMP_ACT_LOG' | 'SCMP_ACT_NOTIFY';

export interface ProfileRule {
  names: string[];
  action: Action | string;
  errnoRet?: number;
  args?: unknown[];
  comment?: string;
  includes?: { arches?: string[]; caps?: string[]; minKernel?: string };
  excludes?: { arches?: string[]; caps?: string[] };
}

/** Docker / OCI (runc) seccomp profile JSON, the subset contxray writes and reads. */
export interface DockerProfile {
  defaultAction: Action | string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures?: string[] }[];
  syscalls?: ProfileRule[];
}

export const ERRNO = { EPERM: 1, ENOSYS: 38 } as const;
export type DefaultErrno = keyof typeof ERRNO;

/** errno numbers to names for messages (the ones seccomp profiles and runc use). */
export const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: 'EPERM',
  2: 'ENOENT',
  13: 'EACCES',
  22: 'EINVAL',
  38: 'ENOSYS',
  95: 'EOPNOTSUPP',
};

export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}
