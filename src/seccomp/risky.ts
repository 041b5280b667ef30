/**
 * Syscalls that matter for container escapes or kernel attack surface, with the reason shown to
 * users. The summary lists the ones a workload used; --compare-default highlights the ones Docker's
 * default would have allowed and the recorded workload never needed.
 */
export const RISKY: Readonly<Record<string, string>> = {
  open_by_handle_at: 'opens files by handle, bypassing path checks: the "Shocker" container escape',
  name_to_handle_at: 'produces the handles open_by_handle_at uses',
  ptrace: 'inspects and rewrites other processes; historic seccomp bypass on kernels < 4.8',
  process_vm_readv: "reads another process's memory",
  process_vm_writev: "writes another process's memory",
  bpf: 'loads programs into the kernel',
  perf_event_open: 'kernel attack surface, side channels',
  userfaultfd: 'makes kernel races easy to win (used by many exploits)',
  io_uring_setup: 'io_uring: large kernel attack surface, bypasses syscall-level monitoring',
  io_uring_enter: 'io_uring: large kernel attack surface, bypasses syscall-level monitoring',
  io_uring_register: 'io_uring: large kernel attack surface, bypasses syscall-level monitoring',
  mount: 'changes the mount table',
  umount2: 'changes the mount table',
  umount: 'changes the mount table',
  pivot_root: 'changes the root filesystem',
  move_mount: 'new mount API',
  open_tree: 'new mount API',
  fsopen: 'new mount API',
  fsmount: 'new mount API',
  fsconfig: 'new mount API',
  fspick: 'new mount API',
  mount_setattr: 'new mount API',
  unshare: 'creates namespaces (user namespaces expose much more kernel code)',
  setns: 'joins other namespaces',
  clone3: 'can create namespaces; cannot be argument-filtered by seccomp',
  keyctl: 'kernel keyrings are not namespaced',
  add_key: 'kernel keyrings are not namespaced',
  request_key: 'kernel keyrings are not namespaced',
  kexec_load: 'replaces the running kernel',
  kexec_file_load: 'replaces the running kernel',
  init_module: 'loads kernel modules',
  finit_module: 'loads kernel modules',
  delete_module: 'unloads kernel modules',
  reboot: 'reboots the host or loads a kexec kernel',
  swapon: 'host memory management',
  swapoff: 'host memory management',
  syslog: 'reads the kernel log (addresses, other containers)',
  acct: 'host-wide process accounting',
  quotactl: 'host filesystem quotas',
  lookup_dcookie: 'kernel profiling internals',
  fanotify_init: 'watches filesystems beyond the container',
  iopl: 'raw I/O port access',
  ioperm: 'raw I/O port access',
  settimeofday: 'the clock is not namespaced',
  clock_settime: 'the clock is not namespaced',
  clock_adjtime: 'the clock is not namespaced',
  adjtimex: 'the clock is not namespaced',
  stime: 'the clock is not namespaced',
  personality: 'can disable ASLR',
  kcmp: 'compares kernel objects of other processes',
  pidfd_getfd: "steals another process's file descriptors",
  vhangup: 'hangs up the terminal',
  nfsservctl: 'kernel NFS server control',
  uselib: 'obsolete, kernel attack surface',
  create_module: 'obsolete module API',
  get_kernel_syms: 'obsolete module API',
  query_module: 'obsolete module API',
  sysfs: 'obsolete',
  _sysctl: 'obsolete',
  modify_ldt: 'x86 segment tricks used by exploits',
  chroot: 'with other bugs, a classic jail escape',
  mknod: 'creates device nodes',
  mknodat: 'creates device nodes',
  memfd_secret: 'memory hidden from the kernel (and from monitoring)',
};

/**
 * The ones that have been, or directly enable, container escapes and privilege escalation: listed
 * first and marked "dangerous". The rest of RISKY is attack surface worth a second look.
 */
export const DANGEROUS: ReadonlySet<string> = new Set([
  'open_by_handle_at', 'name_to_handle_at', 'ptrace', 'process_vm_readv', 'process_vm_writev', 'bpf', 'perf_event_open',
  'userfaultfd', 'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'mount', 'umount2', 'umount', 'pivot_root',
  'move_mount', 'open_tree', 'fsopen', 'fsmount', 'fsconfig', 'fspick', 'mount_setattr', 'unshare', 'setns', 'keyctl',
  'add_key', 'request_key', 'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module', 'reboot',
  'iopl', 'ioperm', 'pidfd_getfd', 'kcmp',
]);

export function isRisky(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(RISKY, name);
}

/** The subset of `names` that are risky, sorted. */
export function riskyAmong(names: Iterable<string>): string[] {
  return [...new Set(names)].filter(isRisky).sort();
}
