/**
 * Names a profile allows even when a recording did not show them, each with the reason. The
 * recording stays the source of truth; these only cover paths a finite recording can miss.
 */

export interface Extra {
  name: string;
  why: string;
}

/**
 * Exit and signal-return paths. A capture that ends while the container still runs never sees its
 * exit, and the signal a `docker stop` sends may never have been delivered while recording.
 */
export const EXIT_PATHS: readonly Extra[] = [
  { name: 'exit', why: 'a thread ends (pthread_exit, Go runtime threads); may not happen while recording' },
  { name: 'exit_group', why: 'the process ends; a capture stopped before the container did never sees it' },
  { name: 'rt_sigreturn', why: 'return from a signal handler (SIGTERM from docker stop, SIGCHLD); denied, the process dies' },
  { name: 'restart_syscall', why: 'the kernel resumes a sleep interrupted by SIGSTOP/SIGCONT through it' },
];

/** Only when 32-bit (compat) calls were recorded: their signal return has its own name. */
export const COMPAT_EXIT_PATHS: readonly Extra[] = [{ name: 'sigreturn', why: '32-bit (compat) signal return' }];

export interface BaseSet {
  id: string;
  runtime: string;
  measured: string;
  /** What the runtime calls after installing the filter and before exec'ing the workload. */
  names: readonly string[];
  /** Made after the filter on some starts only (measured frequency in the doc comment above). */
  sporadic: readonly string[];
}

/**
 * runc's post-filter calls. Measured, not copied: bpftrace on raw_syscalls:sys_enter for comm
 * "runc:[2:INIT]" with task->seccomp.mode == 2, over 30 container starts (Docker 20.10.24, runc
 * 1.1.5+ds1, x86_64). Every start made all of `names`; rt_sigreturn appeared in 6 of 30 (Go's
 * preemption signal), which is why a single recording can miss it. Nothing else appeared: calls
 * the Go runtime *might* make (mmap, nanosleep …) are not added on speculation — every name here
 * must be justified by a measurement. Bump the id when the list changes so profiles say which set
 * they carry.
 */
export const RUNC_BASE_V1: BaseSet = {
  id: 'runc-v1',
  runtime: 'runc',
  measured: 'runc 1.1.5 / Docker 20.10.24 / x86_64, 30 starts',
  names: [
    'capget', 'capset', 'chdir', 'close', 'epoll_ctl', 'execve', 'faccessat2', 'fcntl', 'fstat', 'fstatfs',
    'futex', 'getcwd', 'getdents64', 'getpid', 'getppid', 'newfstatat', 'openat', 'prctl', 'read',
    'setgid', 'setgroups', 'setuid', 'write',
  ],
  sporadic: ['rt_sigreturn'],
};

export const BASE_SETS: Readonly<Record<string, BaseSet>> = { runc: RUNC_BASE_V1 };

/**
 * runc's processes before they exec the workload: `runc`, then `exe` (runc re-executing
 * /proc/self/exe as `runc init`; exec names it after the file, and it bind-mounts, unmounts and
 * execveat's its cloned binary under that name), which renames itself through the runc:[N:…] stages.
 * Keep in step with RUNTIME_COMM in queries/seccomp-syscalls.sql and queries/seccomp-start.sql.
 */
export function isRuntimeInit(comm: string): boolean {
  return comm === 'runc' || comm === 'exe' || comm.startsWith('runc:[');
}

/**
 * Calls a runtime makes only to build the container (before it hands over to the workload). Used
 * only for old captures of unconfined containers (see boundary.ts, "handover"), where the window in
 * which runc's init exec'd the workload carries the workload's first calls under runc's name: those
 * are kept, these are not. All of them need CAP_SYS_ADMIN or are denied by Docker's default profile.
 */
export const RUNTIME_SETUP_ONLY: ReadonlySet<string> = new Set([
  'mount', 'umount2', 'pivot_root', 'chroot', 'sethostname', 'setdomainname', 'keyctl', 'unshare', 'setns',
  'execveat', 'open_tree', 'move_mount', 'mount_setattr', 'fsopen', 'fsconfig', 'fsmount', 'fspick',
]);
