/**
 * Denials a profile makes on purpose. Docker's default profile and runc answer ENOSYS ("this kernel
 * has no such call") for a few newer calls so that libc falls back to an older one it is allowed:
 * clone3 → clone is the common one (glibc ≥ 2.34 tries clone3 first for every thread and fork).
 * Such a denial is expected and harmless; any other denial is a real failure the workload saw.
 * Keep in step with the list in queries/denied-syscalls.sql (a unit test compares them).
 */
export const ENOSYS = 38;

/** newer call → the call libc (glibc, musl) or the runtime falls back to on ENOSYS. */
export const FALLBACKS: Readonly<Record<string, string>> = {
  clone3: 'clone',
  faccessat2: 'faccessat',
  statx: 'newfstatat',
  openat2: 'openat',
  close_range: 'close',
  epoll_pwait2: 'epoll_pwait',
  pidfd_open: 'kill',
  pidfd_send_signal: 'kill',
  preadv2: 'preadv',
  pwritev2: 'pwritev',
  copy_file_range: 'read/write',
  fchmodat2: 'fchmodat',
  rseq: 'none needed (glibc runs without restartable sequences)',
  io_uring_setup: 'epoll (io_uring users probe for it)',
};

/** Why a denial is expected (the fallback), or null when it is a real failure. */
export function expectedDenial(name: string | null, errno: number): string | null {
  if (name === null || errno !== ENOSYS) return null;
  const to = FALLBACKS[name];
  return to === undefined ? null : `ENOSYS on purpose: libc falls back to ${to}`;
}
