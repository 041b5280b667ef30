/**
 * Per-arch syscall tables, generated from kernel UAPI headers by scripts/gen-syscall-tables.mjs into
 * data/syscalls/<arch>.json. The recorder stores the table of the recording host in every capture and
 * analysis names syscalls from that stored copy, so a capture from an arm64 host reads right on an
 * x86_64 laptop. A number missing from the table stays a number: never guess a name.
 */
import { compatArchOf, isKnownArch, normalizeArch, type Arch } from './arch.js';
import { readDataJson } from './data.js';

export * from './arch.js';

/** The syscall name table of the recorded arch, stored in every capture so names are right on any analysis machine. */
export interface SyscallTable {
  arch: string;
  names: Record<string, string>; // nr -> name
  compat_arch?: string;
  compat_names?: Record<string, string>;
}

interface TableFile {
  arch: string;
  source: string;
  names: Record<string, string>;
  aliases?: Record<string, string>;
}

const files = new Map<Arch, TableFile>();

function load(arch: Arch): TableFile {
  let f = files.get(arch);
  if (!f) {
    f = readDataJson<TableFile>('syscalls', `${arch}.json`);
    files.set(arch, f);
  }
  return f;
}

/**
 * The table to store in a capture recorded on `arch` (uname -m). On 64-bit arches it carries the
 * compat (32-bit) table too, because the kernel runs both ABIs and the recorder marks compat calls.
 * An arch without a table yields empty names: every number is then reported as unknown.
 */
export function syscallTableFor(arch: string): SyscallTable {
  const a = normalizeArch(arch);
  if (!isKnownArch(a)) return { arch: a, names: {} };
  const table: SyscallTable = { arch: a, names: { ...load(a).names } };
  const compat = compatArchOf(a);
  if (compat) {
    table.compat_arch = compat;
    table.compat_names = { ...load(compat).names };
  }
  return table;
}

const reverse = new Map<Arch, Map<string, number>>();

/** The number of `name` on `arch` (canonical names and header aliases), or undefined. */
export function syscallNumber(arch: string, name: string): number | undefined {
  const a = normalizeArch(arch);
  if (!isKnownArch(a)) return undefined;
  let map = reverse.get(a);
  if (!map) {
    const f = load(a);
    map = new Map(Object.entries(f.names).map(([nr, n]) => [n, Number(nr)]));
    for (const [alias, target] of Object.entries(f.aliases ?? {})) {
      const nr = map.get(target);
      if (nr !== undefined) map.set(alias, nr);
    }
    reverse.set(a, map);
  }
  return map.get(name);
}

/** The name of `nr` on `arch`, or undefined when the table does not know it. */
export function syscallName(arch: string, nr: number): string | undefined {
  const a = normalizeArch(arch);
  return isKnownArch(a) ? load(a).names[String(nr)] : undefined;
}

/** Every syscall name of `arch` (sorted), e.g. to count what a default-deny profile leaves out. */
export function syscallNames(arch: string): string[] {
  const a = normalizeArch(arch);
  return isKnownArch(a) ? [...new Set(Object.values(load(a).names))].sort() : [];
}
