/**
 * Architecture names. contxray stores `uname -m` style names (x86_64, i386, aarch64, arm); seccomp
 * profiles use libseccomp's SCMP_ARCH_* names, and Docker/runc want every ABI a process on that
 * kernel can enter with listed, or calls through the other ABI hit defaultAction.
 */

export type Arch = 'x86_64' | 'i386' | 'aarch64' | 'arm';
export const ARCHES: readonly Arch[] = ['x86_64', 'i386', 'aarch64', 'arm'];

export const SCMP_ARCH_X86_64 = 'SCMP_ARCH_X86_64';
export const SCMP_ARCH_X86 = 'SCMP_ARCH_X86';
export const SCMP_ARCH_X32 = 'SCMP_ARCH_X32';
export const SCMP_ARCH_AARCH64 = 'SCMP_ARCH_AARCH64';
export const SCMP_ARCH_ARM = 'SCMP_ARCH_ARM';

/** The native SCMP arch of each contxray arch. */
export const SCMP_ARCH: Readonly<Record<Arch, string>> = {
  x86_64: SCMP_ARCH_X86_64,
  i386: SCMP_ARCH_X86,
  aarch64: SCMP_ARCH_AARCH64,
  arm: SCMP_ARCH_ARM,
};

/**
 * What a profile for a container recorded on `arch` lists in `architectures`: the native ABI first,
 * then the compat ABIs the same kernel accepts (Docker's default profile maps them the same way).
 */
export function scmpArchitectures(arch: string): string[] {
  switch (normalizeArch(arch)) {
    case 'x86_64':
      return [SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32];
    case 'aarch64':
      return [SCMP_ARCH_AARCH64, SCMP_ARCH_ARM];
    case 'i386':
      return [SCMP_ARCH_X86];
    case 'arm':
      return [SCMP_ARCH_ARM];
    default:
      return [];
  }
}

/** The 32-bit ABI a 64-bit kernel also runs (ia32 on x86_64, aarch32 on arm64). */
export function compatArchOf(arch: string): Arch | undefined {
  const a = normalizeArch(arch);
  if (a === 'x86_64') return 'i386';
  if (a === 'aarch64') return 'arm';
  return undefined;
}

const ALIASES: Record<string, Arch> = {
  x86_64: 'x86_64',
  amd64: 'x86_64',
  x64: 'x86_64',
  i386: 'i386',
  i486: 'i386',
  i586: 'i386',
  i686: 'i386',
  x86: 'i386',
  ia32: 'i386',
  '386': 'i386',
  aarch64: 'aarch64',
  arm64: 'aarch64',
  arm: 'arm',
  armhf: 'arm',
  armel: 'arm',
  aarch32: 'arm',
};

/**
 * `uname -m`, Go/Docker (amd64, arm64) or SCMP names to contxray's arch name. Unknown machines come
 * back lower-cased and unchanged (riscv64, s390x …): callers then find no table and report numbers.
 */
export function normalizeArch(uname: string): Arch | string {
  const s = uname.trim().toLowerCase().replace(/^scmp_arch_/, '');
  if (ALIASES[s]) return ALIASES[s]!;
  if (/^armv\d+/.test(s)) return 'arm'; // armv6l, armv7l, armv8l (32-bit userland)
  if (s === 'x86_64' || s === 'x32') return 'x86_64';
  return s;
}

export function isKnownArch(arch: string): arch is Arch {
  return (ARCHES as readonly string[]).includes(arch);
}
