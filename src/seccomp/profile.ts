/**
 * Builds the Docker/OCI profile from a selection. Denial is the default; one allow rule lists the
 * selected names. Two details make the errno callers get predictable (see docs/seccomp.md):
 *  - runc answers ENOSYS, not the default errno, for numbers above the highest one the profile
 *    names. A small allow list would therefore give EPERM to `mkdir` but ENOSYS to newer calls.
 *    With EPERM as default, an explicit EPERM rule for the table's highest-numbered names lifts that
 *    cut-off to the end of the known table (truly unknown, newer calls still get ENOSYS — right for them).
 *  - Docker 20.10 ignores `defaultErrnoRet` (its profile type has no such field). ENOSYS as default is
 *    therefore also spelled out as an explicit ENOSYS rule over every known name not allowed.
 * Calls seccomp denied while recording keep the errno they got (clone3 → ENOSYS under Docker's
 * default, which is what makes glibc fall back to clone).
 */
import { normalizeArch, scmpArchitectures, syscallNames, syscallNumber, compatArchOf } from '../syscalls/index.js';
import { allowedNames, type Selection } from './boundary.js';
import { ERRNO, type DefaultErrno, type DockerProfile, type ProfileRule } from './types.js';

export interface ProfileOptions {
  arch: string;
  defaultErrno?: DefaultErrno;
  /** Names to allow instead of the selection's (after --arch translation). */
  names?: string[];
}

/** How many of the table's highest-numbered names the EPERM ceiling rule lists (see above). */
const CEILING_NAMES = 4;

export function buildProfile(sel: Selection, opts: ProfileOptions): DockerProfile {
  const arch = normalizeArch(opts.arch);
  const errno = ERRNO[opts.defaultErrno ?? 'EPERM'];
  const allow = opts.names ?? allowedNames(sel);
  const allowSet = new Set(allow);
  const rules: ProfileRule[] = [
    {
      names: allow,
      action: 'SCMP_ACT_ALLOW',
      comment: `recorded by contxray (${sel.mode === 'filtered' ? 'calls made under the seccomp filter' : 'fallback boundary'}), plus exit paths${sel.baseSet ? ` and base set ${sel.baseSet}` : ''}`,
    },
  ];
  // Keep what seccomp denied while recording denied with the same errno (when it differs).
  const byErrno = new Map<number, Set<string>>();
  for (const d of sel.deniedAtRecord) {
    if (d.name === null || allowSet.has(d.name) || d.errno === errno || d.errno <= 0) continue;
    if (!byErrno.has(d.errno)) byErrno.set(d.errno, new Set());
    byErrno.get(d.errno)!.add(d.name);
  }
  const explicit = new Set<string>();
  for (const [e, names] of [...byErrno].sort((a, b) => a[0] - b[0])) {
    rules.push({ names: [...names].sort(), action: 'SCMP_ACT_ERRNO', errnoRet: e, comment: 'denied with this errno while recording; kept so the workload sees what it saw then' });
    names.forEach((n) => explicit.add(n));
  }
  const known = knownNames(arch).filter((n) => !allowSet.has(n) && !explicit.has(n));
  if (errno === ERRNO.ENOSYS) {
    if (known.length > 0) {
      rules.push({ names: known, action: 'SCMP_ACT_ERRNO', errnoRet: errno, comment: 'ENOSYS spelled out: Docker 20.10 ignores defaultErrnoRet' });
    }
  } else {
    const ceiling = highestNumbered(arch, known, CEILING_NAMES);
    if (ceiling.length > 0) {
      rules.push({ names: ceiling, action: 'SCMP_ACT_ERRNO', errnoRet: errno, comment: "the highest-numbered known syscalls: lifts runc's ENOSYS cut-off so every known denied call gets this errno" });
    }
  }
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: errno,
    architectures: scmpArchitectures(arch),
    syscalls: rules,
  };
}

/** Names of the arch and its compat arch (a profile's names apply to every listed architecture). */
function knownNames(arch: string): string[] {
  const compat = compatArchOf(arch);
  return [...new Set([...syscallNames(arch), ...(compat ? syscallNames(compat) : [])])].sort();
}

function highestNumbered(arch: string, names: string[], n: number): string[] {
  return names
    .map((name) => ({ name, nr: syscallNumber(arch, name) }))
    .filter((x): x is { name: string; nr: number } => x.nr !== undefined && x.nr < 0x0f0000)
    .sort((a, b) => b.nr - a.nr)
    .slice(0, n)
    .map((x) => x.name)
    .sort();
}

export function profileJson(p: DockerProfile): string {
  return `${JSON.stringify(p, null, 2)}\n`;
}
