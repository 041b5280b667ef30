/**
 * `--arch`: write the profile for another architecture than the one recorded. Names that exist on
 * both keep their name (numbers differ, but profiles name syscalls, libseccomp numbers them per
 * arch). arm64 (asm-generic numbering) lacks the legacy calls x86_64 still has; a program built for
 * arm64 makes the *at / 2 / p variants instead, so each legacy name maps to its replacement. Going
 * the other way, an x86_64 build of the same program may still make the legacy call, so the legacy
 * names of every recorded replacement are added. Names with no counterpart are dropped and reported.
 */
import { normalizeArch, syscallNumber } from '../syscalls/index.js';

/** legacy (x86_64, i386, arm) name → what an asm-generic arch (aarch64) uses instead. */
export const LEGACY_TO_GENERIC: Readonly<Record<string, string>> = {
  open: 'openat',
  creat: 'openat',
  stat: 'newfstatat',
  lstat: 'newfstatat',
  access: 'faccessat',
  mkdir: 'mkdirat',
  rmdir: 'unlinkat',
  unlink: 'unlinkat',
  rename: 'renameat',
  link: 'linkat',
  symlink: 'symlinkat',
  readlink: 'readlinkat',
  chmod: 'fchmodat',
  chown: 'fchownat',
  lchown: 'fchownat',
  mknod: 'mknodat',
  pipe: 'pipe2',
  dup2: 'dup3',
  poll: 'ppoll',
  select: 'pselect6',
  pause: 'ppoll',
  epoll_wait: 'epoll_pwait',
  epoll_create: 'epoll_create1',
  eventfd: 'eventfd2',
  signalfd: 'signalfd4',
  inotify_init: 'inotify_init1',
  fork: 'clone',
  vfork: 'clone',
  getpgrp: 'getpgid',
  utime: 'utimensat',
  utimes: 'utimensat',
  futimesat: 'utimensat',
  time: 'clock_gettime',
  alarm: 'setitimer',
  getdents: 'getdents64',
  ustat: 'statfs',
  sysfs: '',
  uselib: '',
  arch_prctl: '',
  modify_ldt: '',
  iopl: '',
  ioperm: '',
  _sysctl: '',
};

export interface Translation {
  names: string[];
  /** name on the recorded arch → the names written for the target. */
  mapped: Record<string, string[]>;
  dropped: string[];
}

export function translateNames(names: readonly string[], from: string, to: string): Translation {
  const src = normalizeArch(from);
  const dst = normalizeArch(to);
  const out = new Set<string>();
  const mapped: Record<string, string[]> = {};
  const dropped: string[] = [];
  const exists = (n: string) => syscallNumber(dst, n) !== undefined;
  for (const name of names) {
    if (src === dst) {
      out.add(name);
      continue;
    }
    const targets: string[] = [];
    if (exists(name)) targets.push(name);
    else if (LEGACY_TO_GENERIC[name] && exists(LEGACY_TO_GENERIC[name]!)) targets.push(LEGACY_TO_GENERIC[name]!);
    // Towards a legacy arch: the same program may make the older call there.
    for (const [legacy, generic] of Object.entries(LEGACY_TO_GENERIC)) {
      if (generic === name && exists(legacy) && syscallNumber(src, legacy) === undefined) targets.push(legacy);
    }
    if (targets.length === 0) dropped.push(name);
    else {
      targets.forEach((t) => out.add(t));
      if (targets.length !== 1 || targets[0] !== name) mapped[name] = targets;
    }
  }
  return { names: [...out].sort(), mapped, dropped: dropped.sort() };
}
