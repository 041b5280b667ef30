/**
 * Seccomp summary: the syscalls a container used, against Docker's default profile for the
 * capture's arch (data/docker-default-<arch>.json, from the seccomp work). Used-but-not-allowed
 * names are what would break under the default profile; allowed-but-unused is what a recorded
 * profile (`contxray seccomp`) takes away.
 */
import { readDataJson } from '../syscalls/data.js';
import type { Row } from './types.js';
import { num } from './values.js';

interface DockerDefault {
  allowed: string[];
  allowed_with_argument_filter?: string[];
}

export interface SeccompSummary {
  arch: string;
  known: boolean; // false when no default profile is shipped for the arch
  used: number;
  usedAllowed: number;
  usedConditional: string[]; // allowed only for some arguments (clone, personality)
  usedBlocked: string[]; // denied by Docker's default profile
  unusedAllowed: number;
  deniedNow: string[]; // calls the recorded container had refused by its own seccomp filter
}

const cache = new Map<string, DockerDefault | null>();

function dockerDefault(arch: string): DockerDefault | null {
  if (!cache.has(arch)) {
    try {
      cache.set(arch, readDataJson<DockerDefault>(`docker-default-${arch}.json`));
    } catch {
      cache.set(arch, null);
    }
  }
  return cache.get(arch) ?? null;
}

/** `rows`: report-syscall-names for one container (name, arch, calls, denied). */
export function seccompSummary(rows: Row[]): SeccompSummary | null {
  if (rows.length === 0) return null;
  // The native arch is the one with the most calls; compat (i386 on x86_64) names are summarised with it.
  const byArch = new Map<string, number>();
  for (const r of rows) byArch.set(String(r.arch), (byArch.get(String(r.arch)) ?? 0) + num(r.calls));
  const arch = [...byArch.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  const names = [...new Set(rows.filter((r) => String(r.arch) === arch).map((r) => String(r.name)))].sort();
  const deniedNow = [...new Set(rows.filter((r) => num(r.denied) > 0).map((r) => String(r.name)))].sort();
  const profile = dockerDefault(arch);
  if (!profile) {
    return { arch, known: false, used: names.length, usedAllowed: 0, usedConditional: [], usedBlocked: [], unusedAllowed: 0, deniedNow };
  }
  const allowed = new Set(profile.allowed);
  const conditional = new Set(profile.allowed_with_argument_filter ?? []);
  const used = new Set(names);
  return {
    arch,
    known: true,
    used: names.length,
    usedAllowed: names.filter((n) => allowed.has(n)).length,
    usedConditional: names.filter((n) => conditional.has(n) && !allowed.has(n)),
    usedBlocked: names.filter((n) => !allowed.has(n) && !conditional.has(n)),
    unusedAllowed: [...allowed].filter((n) => !used.has(n)).length,
    deniedNow,
  };
}
