/**
 * Which recorded calls belong in a profile. The recorder marks every call with `filtered` (the
 * thread was under a seccomp filter when it made it). Under Docker's default profile that flag is
 * the exact boundary a profile needs: runc's setup before it installs the filter (mount,
 * pivot_root, sethostname, umount2, keyctl, unshare …) is unfiltered and stays out; everything
 * after — runc's own post-filter calls (fstatfs, capset …), the workload, its exit — is filtered and
 * goes in, because the new profile replaces the one in force at that same point.
 *
 * A container run with seccomp=unconfined has no filtered call at all. Then the workload is every
 * call not made under a runtime comm (runc, exe, runc:[N:…]: exec renames the process, so runc's
 * init becomes the workload at its exec), and the runtime's measured base set covers runc's own
 * post-filter calls. Captures whose syscall rows are split per exec generation give each row the
 * comm of the program that made the calls, so that is exact. Older captures named a 1-second row
 * after whoever called first in it: the window in which runc's init exec'd the workload holds the
 * workload's first calls (nginx's 126 rt_sigaction, redis's umask) under runc's name. For those the
 * "handover" rows are kept too, less the calls only a runtime's setup makes (RUNTIME_SETUP_ONLY).
 */
import { COMPAT_EXIT_PATHS, EXIT_PATHS, RUNTIME_SETUP_ONLY, isRuntimeInit, type BaseSet } from './base-sets.js';
import { familyAdditions } from './families.js';
import type { SyscallUse } from './types.js';

export type Source = 'recorded' | 'exit-path' | 'base-set' | 'family';

export interface AllowedSyscall {
  name: string;
  calls: bigint;
  comms: Set<string>;
  sources: Set<Source>;
  /** Why an unrecorded name was added. */
  why?: string;
}

export interface DeniedCall {
  name: string | null;
  nr: number;
  arch: string;
  errno: number;
  calls: bigint;
  comms: string[];
}

export interface UnknownNumber {
  nr: number;
  arch: string;
  compat: boolean;
  calls: bigint;
  comms: string[];
}

export interface Selection {
  mode: 'filtered' | 'unconfined';
  allowed: Map<string, AllowedSyscall>;
  /** Made only outside the filter, by the runtime's init: left out on purpose. */
  setupOnly: string[];
  /** Made outside any filter by other processes (filtered mode): left out, and warned about. */
  unfilteredOther: { name: string; comms: string[]; calls: bigint }[];
  deniedAtRecord: DeniedCall[];
  unknown: UnknownNumber[];
  compatUsed: boolean;
  baseSet: string | null;
  /** Interchangeable members added (see families.ts): added name → the recorded member. */
  familyAdded: Map<string, string>;
  /** Things to say that need no action (shown in the summary). */
  notes: string[];
  /** Things a user must act on (shown as warnings). */
  warnings: string[];
}

export interface BoundaryOptions {
  /** The capture's syscall rows are split per exec generation (see the header). Default false. */
  perExecRows?: boolean;
}

export interface SelectOptions extends BoundaryOptions {
  /** The runtime's base set to add (null: none). */
  baseSet?: BaseSet | null;
  /** Add interchangeable family members (default true; --exact turns it off). */
  families?: boolean;
  /** Does this syscall name exist on the profile's arch? (family members a target lacks are skipped) */
  exists?: (name: string) => boolean;
}

function keyOf(r: SyscallUse): string {
  return `${r.arch}:${r.nr}`;
}

/** The boundary as a predicate: which recorded calls a replacement profile would see. */
export function boundaryOf(
  rows: readonly SyscallUse[],
  opts: BoundaryOptions = {},
): { mode: Selection['mode']; inScope: (r: SyscallUse) => boolean } {
  const mode = rows.some((r) => r.filtered) ? 'filtered' : 'unconfined';
  const handover = (r: SyscallUse) => !opts.perExecRows && r.handover === true && r.name !== null && !RUNTIME_SETUP_ONLY.has(r.name);
  return { mode, inScope: (r) => (mode === 'filtered' ? r.filtered : !isRuntimeInit(r.comm) || handover(r)) };
}

export function selectSyscalls(rows: readonly SyscallUse[], opts: SelectOptions = {}): Selection {
  const { mode, inScope } = boundaryOf(rows, opts);
  const allowed = new Map<string, AllowedSyscall>();
  const outside = new Map<string, { comms: Set<string>; calls: bigint; runtimeOnly: boolean }>();
  const denied = new Map<string, DeniedCall>();
  const unknown = new Map<string, UnknownNumber>();
  let compatUsed = false;

  for (const r of rows) {
    if (!inScope(r)) {
      if (r.name === null) continue;
      const o = outside.get(r.name) ?? { comms: new Set<string>(), calls: 0n, runtimeOnly: true };
      o.comms.add(r.comm);
      o.calls += r.calls;
      o.runtimeOnly &&= isRuntimeInit(r.comm);
      outside.set(r.name, o);
      continue;
    }
    if (r.compat && (r.calls > 0n || r.denied > 0n)) compatUsed = true;
    // nr −1 is no syscall: older recorders counted rt_sigreturn restoring an interrupted call's -EINTR as one.
    if (r.denied > 0n && r.nr >= 0) {
      const k = `${keyOf(r)}:${r.denied_errno}`;
      const d = denied.get(k) ?? { name: r.name, nr: r.nr, arch: r.arch, errno: r.denied_errno, calls: 0n, comms: [] };
      d.calls += r.denied;
      if (!d.comms.includes(r.comm)) d.comms.push(r.comm);
      denied.set(k, d);
    }
    if (r.calls === 0n) continue;
    if (r.name === null) {
      // Never invent a name: a number the capture's table does not know is reported as a number.
      const u = unknown.get(keyOf(r)) ?? { nr: r.nr, arch: r.arch, compat: r.compat, calls: 0n, comms: [] };
      u.calls += r.calls;
      if (!u.comms.includes(r.comm)) u.comms.push(r.comm);
      unknown.set(keyOf(r), u);
      continue;
    }
    const a = allowed.get(r.name) ?? { name: r.name, calls: 0n, comms: new Set<string>(), sources: new Set<Source>() };
    a.calls += r.calls;
    a.comms.add(r.comm);
    a.sources.add('recorded');
    allowed.set(r.name, a);
  }

  const add = (name: string, source: Source, why: string) => {
    const a = allowed.get(name) ?? { name, calls: 0n, comms: new Set<string>(), sources: new Set<Source>(), why };
    a.sources.add(source);
    allowed.set(name, a);
  };
  for (const e of EXIT_PATHS) add(e.name, 'exit-path', e.why);
  if (compatUsed) for (const e of COMPAT_EXIT_PATHS) add(e.name, 'exit-path', e.why);
  const base = opts.baseSet ?? null;
  if (base) {
    for (const n of base.names) add(n, 'base-set', `${base.id}: ${base.runtime} calls it after installing the filter`);
    for (const n of base.sporadic) add(n, 'base-set', `${base.id}: ${base.runtime} calls it after installing the filter on some starts`);
  }

  const familyAdded = new Map<string, string>();
  if (opts.families ?? true) {
    const deniedNames = new Set([...denied.values()].map((d) => d.name));
    const recorded = new Set([...allowed.values()].filter((a) => a.sources.has('recorded')).map((a) => a.name));
    for (const [name, member] of familyAdditions(recorded, opts.exists ?? (() => true))) {
      // A call seccomp denied while recording stays denied with its errno (clone3 → ENOSYS …).
      if (deniedNames.has(name) || allowed.has(name)) continue;
      add(name, 'family', `interchangeable with ${member} (recorded)`);
      familyAdded.set(name, member);
    }
  }

  const warnings: string[] = [];
  const notes: string[] = [];
  if (mode === 'unconfined' && base) {
    notes.push(
      `no call ran under a seccomp filter (seccomp=unconfined): left out what runc's processes (runc, exe, runc:[…]) did before the workload's exec, added the ${base.id} base set` +
        (opts.perExecRows ? '' : "; an older capture: the workload's first calls, recorded under runc's name in the window of its exec, were kept"),
    );
  } else if (mode === 'unconfined') {
    warnings.push(
      'no call in this recording ran under a seccomp filter (seccomp=unconfined) and no runtime base set was added (--base none?): ' +
        "the profile lacks runc's own calls after it installs the filter and may not start the container; use --base runc",
    );
  }
  const setupOnly: string[] = [];
  const unfilteredOther: Selection['unfilteredOther'] = [];
  for (const [name, o] of [...outside].sort((x, y) => x[0].localeCompare(y[0]))) {
    if (allowed.has(name)) continue;
    if (o.runtimeOnly) setupOnly.push(name);
    else unfilteredOther.push({ name, comms: [...o.comms].sort(), calls: o.calls });
  }
  if (mode === 'filtered' && unfilteredOther.length > 0) {
    warnings.push(
      `left out ${unfilteredOther.length} syscall(s) made outside any seccomp filter by processes other than the runtime's (runc, exe, runc:[…]) ` +
        `(${unfilteredOther.slice(0, 6).map((u) => `${u.name} by ${u.comms.join('/')}`).join(', ')}${unfilteredOther.length > 6 ? ', …' : ''}); ` +
        'a `docker exec --privileged` (or --security-opt seccomp=unconfined) does that; such a command runs under the profile without those flags, so record it that way if it must work',
    );
  }
  const byNr = <T extends { arch: string; nr: number }>(a: T, b: T) => a.arch.localeCompare(b.arch) || a.nr - b.nr;
  return {
    mode,
    allowed,
    setupOnly,
    unfilteredOther,
    deniedAtRecord: [...denied.values()].sort(byNr),
    unknown: [...unknown.values()].sort(byNr),
    compatUsed,
    baseSet: base?.id ?? null,
    familyAdded,
    notes,
    warnings,
  };
}

/** The allowed names, sorted (what the profile's allow rule lists). */
export function allowedNames(sel: Selection): string[] {
  return [...sel.allowed.keys()].sort();
}
