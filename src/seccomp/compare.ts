/**
 * `--compare-default`: the attack surface a recorded profile removes compared with Docker's default
 * (what Docker would allow that this container never used), and — the other direction, which
 * should be empty — what the profile allows that Docker's default would not.
 */
import { syscallNumber } from '../syscalls/index.js';
import { dockerDefault } from './docker-default.js';
import { DANGEROUS, RISKY, isRisky } from './risky.js';

export interface Comparison {
  source: string;
  defaultCount: number;
  profileCount: number;
  /** Allowed by Docker's default, not by the profile. */
  removed: string[];
  /** Risky names removed, dangerous ones first. */
  removedRisky: { name: string; why: string; dangerous: boolean }[];
  /** Allowed by the profile, not (or only for some arguments) by Docker's default. */
  beyondDefault: string[];
  argumentFiltered: string[];
  /** Dangerous names neither allows (Docker's default already closes these; so does the profile). */
  dangerousDeniedByBoth: string[];
}

export function compareWithDefault(profileNames: readonly string[], arch: string): Comparison | null {
  const d = dockerDefault(arch);
  if (!d) return null;
  const mine = new Set(profileNames);
  const theirs = new Set(d.allowed);
  const removed = d.allowed.filter((n) => !mine.has(n));
  return {
    source: d.source,
    defaultCount: d.allowed.length,
    profileCount: mine.size,
    removed,
    removedRisky: removed
      .filter(isRisky)
      .map((name) => ({ name, why: RISKY[name]!, dangerous: DANGEROUS.has(name) }))
      .sort((a, b) => Number(b.dangerous) - Number(a.dangerous) || a.name.localeCompare(b.name)),
    // Only native names: a compat-only name (sigreturn) has no entry in the native list to compare with.
    beyondDefault: [...mine].filter((n) => !theirs.has(n) && syscallNumber(arch, n) !== undefined).sort(),
    argumentFiltered: [...mine].filter((n) => d.allowed_with_argument_filter.includes(n)).sort(),
    dangerousDeniedByBoth: [...DANGEROUS].filter((n) => !mine.has(n) && !theirs.has(n) && syscallNumber(arch, n) !== undefined).sort(),
  };
}
