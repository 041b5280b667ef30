/**
 * Interchangeable calls. libc and language runtimes choose between equivalent syscalls at run time
 * (nginx writes request bodies with pwrite64 ~900 times a run, and once in a while with pwritev,
 * which a recorded-only profile then fails with EPERM and a 500). A finite recording cannot show
 * every choice, so by default a profile that allows one member of a family allows the others too.
 *
 * A family only lists calls that do the same thing on what the caller already holds, so the added
 * members grant nothing a recorded member does not: the same data through one buffer or several, at
 * the file position or at an offset, a path or an fd or a dirfd-relative path, older and newer
 * spellings of the same wait or sleep. Calls that would add power (sendmsg passing fds, renameat2's
 * whiteouts, unlinkat removing directories for unlink, prlimit64 on other processes) are not in any
 * family. `--exact` turns this off. Names a target arch lacks are skipped by the caller.
 */
export const FAMILIES: readonly (readonly string[])[] = [
  ['read', 'readv', 'pread64', 'preadv', 'preadv2'],
  ['write', 'writev'],
  ['pwrite64', 'pwritev', 'pwritev2'],
  ['stat', 'fstat', 'lstat', 'newfstatat', 'statx'],
  ['statfs', 'fstatfs'],
  ['access', 'faccessat', 'faccessat2'],
  ['open', 'openat'],
  ['dup2', 'dup3'],
  ['pipe', 'pipe2'],
  ['poll', 'ppoll'],
  ['select', 'pselect6'],
  ['epoll_wait', 'epoll_pwait', 'epoll_pwait2'],
  ['epoll_create', 'epoll_create1'],
  ['eventfd', 'eventfd2'],
  ['signalfd', 'signalfd4'],
  ['inotify_init', 'inotify_init1'],
  ['accept', 'accept4'],
  ['wait4', 'waitid'],
  ['nanosleep', 'clock_nanosleep'],
  ['time', 'gettimeofday', 'clock_gettime'],
  ['getdents', 'getdents64'],
  ['readlink', 'readlinkat'],
  ['mkdir', 'mkdirat'],
  ['symlink', 'symlinkat'],
  ['link', 'linkat'],
  ['chmod', 'fchmod', 'fchmodat'],
  ['chown', 'fchown', 'lchown', 'fchownat'],
  ['utime', 'utimes', 'futimesat', 'utimensat'],
];

/** Members to add for the given allowed names: added name → the recorded member it stands in for. */
export function familyAdditions(allowed: ReadonlySet<string>, exists: (name: string) => boolean): Map<string, string> {
  const added = new Map<string, string>();
  for (const family of FAMILIES) {
    const used = family.find((n) => allowed.has(n));
    if (used === undefined) continue;
    for (const n of family) if (!allowed.has(n) && exists(n)) added.set(n, used);
  }
  return added;
}
