/**
 * Every tracepoint the BPF programs attach to, as their SEC("…") names in bpf/*.bpf.c and
 * bpf/*.bpf.h. The BPF sources do not ship in every install, so the list lives here;
 * test/unit/doctor.test.ts parses the sources and fails when a program is added or removed
 * without this list following.
 */
export const BPF_SECTIONS = [
  'tp_btf/sys_enter',
  'tp_btf/sys_exit',
  'tp_btf/sched_process_exec',
  'tp_btf/sched_process_fork',
  'tp_btf/sched_process_exit',
  'tp/sock/inet_sock_set_state',
] as const;

export interface Tracepoint {
  /** The SEC name, e.g. tp_btf/sys_enter. */
  section: string;
  /** Short name shown by doctor: sys_enter, sock/inet_sock_set_state. */
  name: string;
  /**
   * How the kernel's support is seen: 'btf' = a typed raw tracepoint, present when the kernel's
   * BTF has its `btf_trace_<name>` typedef (what libbpf looks up); 'tracefs' = a classic
   * tracepoint, present when tracefs lists events/<category>/<name>.
   */
  via: 'btf' | 'tracefs';
}

/** SEC prefixes of tracepoint programs, and how each is found. */
const PREFIXES: Record<string, Tracepoint['via']> = {
  tp_btf: 'btf',
  raw_tp: 'btf',
  raw_tracepoint: 'btf',
  tp: 'tracefs',
  tracepoint: 'tracefs',
};

/** A SEC name as a tracepoint, or null when it is not one (maps, license, …). */
export function parseSection(section: string): Tracepoint | null {
  const slash = section.indexOf('/');
  if (slash < 0) return null;
  const via = PREFIXES[section.slice(0, slash)];
  if (!via) return null;
  return { section, name: section.slice(slash + 1), via };
}

export function tracepoints(): Tracepoint[] {
  return BPF_SECTIONS.map((s) => parseSection(s)!);
}
