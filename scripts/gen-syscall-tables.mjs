#!/usr/bin/env node
// Generates data/syscalls/<arch>.json (syscall number -> name) from kernel UAPI headers installed on
// this machine, by running the real C preprocessor over <asm/unistd.h> for each target. Using the
// compiler (not a regex over the header) is what gets asm-generic/unistd.h right for arm64: its
// #ifdef __ARCH_WANT_* blocks, the __BITS_PER_LONG == 64 branch and the __NR3264_* indirections
// (fcntl, fstatfs, lseek, mmap, newfstatat …) are resolved exactly as the kernel's own build does.
//
// Sources (Debian bookworm packages; install with apt-get install -y <package>):
//   x86_64, i386 : linux-libc-dev                (/usr/include/x86_64-linux-gnu/asm/unistd_{64,32}.h)
//   aarch64      : linux-libc-dev-arm64-cross    (/usr/aarch64-linux-gnu/include/asm/unistd.h)
//   arm (EABI)   : linux-libc-dev-armhf-cross    (/usr/arm-linux-gnueabihf/include/asm/unistd-eabi.h)
// Needs clang (for --target).
//
// It also writes data/docker-default-<arch>.json: the syscall names Docker's default seccomp profile
// allows on that arch for a container with Docker's default capabilities (what `contxray seccomp
// --compare-default` and the summary compare against, so analysis needs no Docker package). Source:
// moby's profiles/seccomp/default.json and oci/caps/defaults.go as shipped by Debian's
// golang-github-docker-docker-dev (the same 20.10 release as Debian's docker.io), evaluated with
// moby's own rule semantics (includes: every listed cap present, arch listed, minKernel met;
// excludes: any listed cap present or arch listed drops the rule).
//
// Usage: node scripts/gen-syscall-tables.mjs [--check]
//   --check: regenerate in memory and fail if a committed file differs (for CI / reviews).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'data', 'syscalls');

const TARGETS = [
  { arch: 'x86_64', target: 'x86_64-linux-gnu', include: ['/usr/include/x86_64-linux-gnu', '/usr/include'], pkg: 'linux-libc-dev' },
  { arch: 'i386', target: 'i386-linux-gnu', include: ['/usr/include/x86_64-linux-gnu', '/usr/include'], pkg: 'linux-libc-dev' },
  { arch: 'aarch64', target: 'aarch64-linux-gnu', include: ['/usr/aarch64-linux-gnu/include'], pkg: 'linux-libc-dev-arm64-cross' },
  { arch: 'arm', target: 'armv7a-linux-gnueabihf', include: ['/usr/arm-linux-gnueabihf/include'], pkg: 'linux-libc-dev-armhf-cross' },
];

// Macros named __NR_* that are not syscalls: table sizes and range markers.
const NOT_SYSCALLS = new Set(['syscalls', 'arch_specific_syscall', 'SYSCALL_BASE', 'OABI_SYSCALL_BASE', 'SYSCALL_MASK']);

function pkgVersion(pkg) {
  try {
    return execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** All object-like macros the preprocessor sees after including <asm/unistd.h> for the target. */
function macros(t) {
  const args = ['-E', '-dM', `--target=${t.target}`, '-nostdinc', ...t.include.flatMap((d) => ['-I', d]), '-x', 'c', '-'];
  const out = execFileSync('clang', args, { input: '#include <asm/unistd.h>\n', encoding: 'utf8' });
  const defs = new Map();
  for (const line of out.split('\n')) {
    const m = /^#define (\w+) (.+)$/.exec(line);
    if (m) defs.set(m[1], m[2].trim());
  }
  return defs;
}

/** Evaluates the only expression forms the headers use: numbers, macro names, +, parentheses. */
function evaluate(expr, defs, depth = 0) {
  if (depth > 20) throw new Error(`macro loop at ${expr}`);
  const tokens = expr.match(/0x[0-9a-fA-F]+|\d+|\w+|[()+]/g) ?? [];
  let sum = 0;
  for (const tok of tokens) {
    if (tok === '(' || tok === ')' || tok === '+') continue;
    if (/^(0x[0-9a-fA-F]+|\d+)$/.test(tok)) sum += Number(tok);
    else if (defs.has(tok)) sum += evaluate(defs.get(tok), defs, depth + 1);
    else throw new Error(`cannot evaluate ${expr}: unknown ${tok}`);
  }
  if (!/^[\s\w()+]+$/.test(expr)) throw new Error(`unexpected expression ${expr}`);
  return sum;
}

function table(t) {
  const defs = macros(t);
  const names = {};
  const add = (nr, name) => {
    if (names[nr] && names[nr] !== name) throw new Error(`${t.arch}: ${nr} is both ${names[nr]} and ${name}`);
    names[nr] = name;
  };
  const aliases = [];
  for (const [macro, value] of defs) {
    // __ARM_NR_* are ARM-private syscalls (breakpoint, cacheflush, set_tls …): libseccomp names them so.
    const m = /^__(?:ARM_)?NR_(\w+)$/.exec(macro);
    if (!m || NOT_SYSCALLS.has(m[1])) continue;
    if (macro.startsWith('__ARM_NR_') && m[1] === 'BASE') continue;
    // A plain reference to another syscall's macro is an alias (arm: sync_file_range2 ->
    // arm_sync_file_range); keep the canonical name. __NR3264_* targets are not syscall names.
    const ref = /^\(?(__NR_\w+)\)?$/.exec(value);
    if (ref && defs.has(ref[1])) {
      aliases.push([m[1], ref[1]]);
      continue;
    }
    add(evaluate(value, defs), m[1]);
  }
  const sorted = Object.fromEntries(Object.entries(names).sort((a, b) => Number(a[0]) - Number(b[0])));
  return {
    arch: t.arch,
    source: `clang -E -dM --target=${t.target} <asm/unistd.h> from Debian ${t.pkg} ${pkgVersion(t.pkg)}`,
    generated_by: 'scripts/gen-syscall-tables.mjs',
    aliases: Object.fromEntries(aliases.map(([a, r]) => [a, r.replace(/^__NR_/, '')])),
    names: sorted,
  };
}

const MOBY = '/usr/share/gocode/src/github.com/docker/docker';
const MOBY_PKG = 'golang-github-docker-docker-dev';
// contxray arch -> the Go arch names moby's rules use for the runtime's native arch.
const GOARCH = { x86_64: 'amd64', aarch64: 'arm64' };

/** Docker's default capability set, read from moby's source (a []string literal of "CAP_*"). */
function dockerDefaultCaps() {
  const src = readFileSync(join(MOBY, 'oci/caps/defaults.go'), 'utf8');
  return [...src.matchAll(/"(CAP_[A-Z_]+)"/g)].map((m) => m[1]);
}

function dockerDefault(arch, names) {
  const profile = JSON.parse(readFileSync(join(MOBY, 'profiles/seccomp/default.json'), 'utf8'));
  const caps = dockerDefaultCaps();
  const goarch = GOARCH[arch];
  const known = new Set(Object.values(names));
  const allowed = new Set();
  const withArgs = new Set();
  const plain = new Set();
  const errno = {};
  for (const rule of profile.syscalls) {
    const inc = rule.includes ?? {};
    const exc = rule.excludes ?? {};
    if (inc.arches?.length && !inc.arches.includes(goarch)) continue;
    if (inc.caps?.length && !inc.caps.every((c) => caps.includes(c))) continue;
    if (exc.arches?.includes(goarch)) continue;
    if (exc.caps?.some((c) => caps.includes(c))) continue;
    // minKernel: every kernel contxray records on (BTF, ring buffer) is newer than any minKernel in it.
    for (const name of rule.names ?? []) {
      if (!known.has(name)) continue; // another arch's name; libseccomp skips it on this one
      if (rule.action === 'SCMP_ACT_ALLOW') {
        allowed.add(name);
        (rule.args?.length ? withArgs : plain).add(name);
      } else if (rule.action === 'SCMP_ACT_ERRNO') {
        errno[name] = rule.errnoRet ?? 1;
      }
    }
  }
  // A name one applicable rule allows without arguments is allowed whatever another says about args.
  for (const n of plain) withArgs.delete(n);
  for (const n of Object.keys(errno)) if (allowed.has(n)) delete errno[n];
  return {
    arch,
    source: `moby profiles/seccomp/default.json from Debian ${MOBY_PKG} ${pkgVersion(MOBY_PKG)}`,
    generated_by: 'scripts/gen-syscall-tables.mjs',
    default_action: profile.defaultAction,
    capabilities: caps,
    syscalls_on_arch: known.size,
    allowed: [...allowed].sort(),
    allowed_with_argument_filter: [...withArgs].sort(),
    errno,
  };
}

function emit(file, value) {
  const json = `${JSON.stringify(value, null, 1)}\n`;
  if (check) {
    const same = existsSync(file) && readFileSync(file, 'utf8') === json;
    if (!same) failed = true;
    console.log(`${file}: ${same ? 'up to date' : 'DIFFERS'}`);
  } else {
    writeFileSync(file, json);
    console.log(`wrote ${file}`);
  }
}

const check = process.argv.includes('--check');
let failed = false;
mkdirSync(outDir, { recursive: true });
const tables = {};
for (const t of TARGETS) {
  const header = join(t.include[0], 'asm', 'unistd.h');
  if (!existsSync(header)) {
    console.error(`skip ${t.arch}: ${header} missing (apt-get install -y ${t.pkg})`);
    continue;
  }
  tables[t.arch] = table(t);
  emit(join(outDir, `${t.arch}.json`), tables[t.arch]);
}
if (existsSync(join(MOBY, 'profiles/seccomp/default.json'))) {
  for (const arch of Object.keys(GOARCH)) {
    if (tables[arch]) emit(join(root, 'data', `docker-default-${arch}.json`), dockerDefault(arch, tables[arch].names));
  }
} else {
  console.error(`skip docker-default: ${MOBY} missing (apt-get install -y --no-install-recommends ${MOBY_PKG})`);
}
process.exit(failed ? 1 : 0);
