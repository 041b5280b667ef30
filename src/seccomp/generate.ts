/**
 * A seccomp profile for one recorded container: the steps `contxray seccomp` takes, as a library
 * function (no printing, no exit codes). `profileFromUse` is the pure part the command shares;
 * `generateSeccompProfile` also loads the container's calls from an open Analysis and refuses a
 * capture that missed the container's start unless `partial` is set.
 */
import type { Analysis } from '../analyze/db.js';
import { normalizeArch, syscallNumber } from '../syscalls/index.js';
import { CaptureError } from '../util/errors.js';
import { BASE_SETS, type BaseSet } from './base-sets.js';
import { allowedNames, selectSyscalls, type Selection } from './boundary.js';
import { loadContainerUse, type ContainerUse } from './load.js';
import { buildProfile } from './profile.js';
import { HOW_TO_RECORD, startProblem, startWarnings } from './start.js';
import { translateNames, type Translation } from './translate.js';
import type { DefaultErrno, DockerProfile } from './types.js';

export type BaseChoice = 'auto' | 'runc' | 'none';

export interface GenerateOptions {
  /** Write the profile for this architecture (names translated); default: the recorded one. */
  arch?: string;
  /** errno for denied calls (default EPERM). */
  defaultErrno?: DefaultErrno;
  /** The runtime's post-filter base set: auto (runc for Docker-like runtimes, the default), runc or none. */
  base?: BaseChoice;
  /** Allow only the calls recorded, no interchangeable family members (default false). */
  exact?: boolean;
  /** Make a profile even from a capture that missed the container's start (default false: CaptureError 'missed-start'). */
  partial?: boolean;
}

export interface GeneratedProfile {
  /** The Docker/OCI profile (serialize with profileJson, or spoYaml for Kubernetes). */
  profile: DockerProfile;
  /** The container's name (or the selector when it has none) and the ids it matched. */
  container: string;
  ids: string[];
  recordedArch: string;
  targetArch: string;
  /** The allowed names, after translation to targetArch. */
  names: string[];
  selection: Selection;
  translation?: Translation;
  /** Things a user must act on (late capture with `partial`, calls left out of the boundary …). */
  warnings: string[];
}

export function baseSetFor(choice: BaseChoice, runtime: string | null): BaseSet | null {
  if (choice === 'none') return null;
  if (choice === 'runc') return BASE_SETS.runc!;
  // Docker, containerd and Kubernetes on these hosts all start containers through runc.
  return runtime === null || /docker|containerd|kubernetes|runc|podman/.test(runtime) ? BASE_SETS.runc! : null;
}

/** The profile for calls already loaded (loadContainerUse): boundary, families, base set, translation. */
export function profileFromUse(use: ContainerUse, label: string, opts: GenerateOptions = {}): GeneratedProfile {
  const target = normalizeArch(opts.arch ?? use.arch);
  const selection = selectSyscalls(use.rows, {
    baseSet: baseSetFor(opts.base ?? 'auto', use.runtime),
    perExecRows: use.perExecRows,
    families: !opts.exact,
    exists: (n) => syscallNumber(use.arch, n) !== undefined,
  });
  const translation = target !== normalizeArch(use.arch) ? translateNames(allowedNames(selection), use.arch, target) : undefined;
  const names = translation?.names ?? allowedNames(selection);
  const profile = buildProfile(selection, { arch: target, defaultErrno: opts.defaultErrno ?? 'EPERM', names });
  const ids = [...new Set(use.containers.map((c) => c.container_id))];
  return { profile, container: label, ids, recordedArch: use.arch, targetArch: target, names, selection, translation, warnings: [...selection.warnings] };
}

/** Loads one container's recorded calls from the captures and makes its profile. */
export async function generateSeccompProfile(analysis: Analysis, container: string, opts: GenerateOptions = {}): Promise<GeneratedProfile> {
  const use = await loadContainerUse(analysis, container);
  const label = use.containers[0]?.name ?? container;
  const missedStart = startProblem(use.starts, label);
  if (missedStart !== null && !opts.partial) throw new CaptureError('missed-start', `${missedStart}; ${HOW_TO_RECORD} (or partial: true for a partial profile anyway)`);
  const generated = profileFromUse(use, label, opts);
  generated.warnings.unshift(...startWarnings(use.starts, label));
  return generated;
}
