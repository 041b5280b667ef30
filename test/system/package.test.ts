/**
 * The npm tarball is honest (issue 13): `npm pack` holds what the commands need at run time, the
 * prebuild for this platform and the sources of a fallback source build, and nothing left on the
 * build machine (native/build, bpf/.output, bpf/vmlinux.h, tests, benches, fixtures, dist/test).
 * The prebuild itself needs nothing from the host beyond libc/libstdc++-level libraries.
 * docs/install.md records the sizes this test prints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrebuild, buildPackageJs, packListing, PREBUILD, REPO_ROOT } from '../helpers/pack.js';
import { requireOrSkip } from '../helpers/env.js';
import { SOURCE_BUILD_PACKAGES } from '../../src/record/addon.js';

/** Every path the tarball may hold; anything else is a leftover. */
const ALLOWED: RegExp[] = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^bin\/contxray\.js$/,
  /^bin\/package\.json$/, // makes bin/contxray.js CommonJS (start-up: no ES module loader)
  /^dist\/src\/.+\.(js|js\.map|d\.ts)$/,
  /^dist\/src\/cli\/main\.bundle\.(cjs|cache)$/, // the start-up bundle as CommonJS and its V8 code cache (scripts/bundle-cli.mjs)
  /^dist\/src\/analyze\/(duckdb-api|load)\.bundle\.(cjs|cache)$/, // DuckDB's JavaScript and the capture load as CommonJS with their V8 code caches (scripts/bundle-duckdb.mjs, bundle-load.mjs)
  /^queries\/.+\.sql$/,
  /^reports\/templates\/[a-z-]+\.(hbs|css|js)$/,
  /^data\/.+\.json$/,
  /^bpf\/(contxray\.bpf\.c|contxray\.h|[a-z_]+\.bpf\.h)$/,
  /^native\/(binding\.gyp|[a-z_-]+\.cc?|[a-z_.]+\.h)$/,
  /^native\/prebuilds\/linux-(x64|arm64)\/contxray\.glibc\.node$/,
  /^scripts\/(build-native\.sh|install-addon\.mjs)$/,
];

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

function gitFiles(...dirs: string[]): string[] {
  return execFileSync('git', ['ls-files', '--', ...dirs], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
}

function hasPrebuildTools(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v clang && command -v bpftool && command -v objdump'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('npm pack holds exactly the run-time files, the prebuild and the source-build inputs', { timeout: 40 * 60_000 }, async (t) => {
  if (!requireOrSkip(t, hasPrebuildTools(), `the prebuild needs clang, bpftool, objdump (apt-get install -y ${SOURCE_BUILD_PACKAGES})`)) return;
  await ensurePrebuild();
  await buildPackageJs();
  const listing = await packListing();
  const paths = listing.files.map((f) => f.path);
  t.diagnostic(`tarball: ${listing.size} bytes packed, ${listing.unpackedSize} unpacked, ${paths.length} files`);

  const unexpected = paths.filter((p) => !ALLOWED.some((re) => re.test(p)));
  assert.deepEqual(unexpected, [], 'files in the tarball that no run-time need explains');

  const have = new Set(paths);
  const required = [
    'package.json',
    'bin/contxray.js',
    'bin/package.json',
    'dist/src/cli/main.js',
    'dist/src/cli/main.bundle.cjs', // what bin/contxray.js loads, with its code cache (scripts/bundle-cli.mjs)
    'dist/src/cli/main.bundle.cache',
    'dist/src/cli/main.bundle.js', // … or, without require(esm), this
    'dist/src/analyze/duckdb-api.bundle.cjs', // what src/analyze/duckdb.ts loads, with its code cache (scripts/bundle-duckdb.mjs)
    'dist/src/analyze/duckdb-api.bundle.cache',
    'dist/src/analyze/load.bundle.cjs', // what db.ts loads captures with, with its code cache (scripts/bundle-load.mjs)
    'dist/src/analyze/load.bundle.cache',
    'dist/src/index.js',
    'dist/src/index.d.ts',
    PREBUILD,
    'scripts/build-native.sh',
    'scripts/install-addon.mjs',
    // what the commands read at run time and what a source build compiles
    ...gitFiles('queries', 'reports', 'data', 'bpf', 'native'),
    // every module of the CLI and library
    ...gitFiles('src')
      .filter((p) => p.endsWith('.ts'))
      .map((p) => join('dist', p.replace(/\.ts$/, '.js'))),
  ];
  const missing = required.filter((p) => !have.has(p));
  assert.deepEqual(missing, [], 'files the commands or a source build need, missing from the tarball');
});

test('the prebuild needs only libc/libstdc++-level libraries (libbpf, libelf, zlib linked in)', { timeout: 40 * 60_000 }, async (t) => {
  if (!requireOrSkip(t, hasPrebuildTools(), `the prebuild needs clang, bpftool, objdump (apt-get install -y ${SOURCE_BUILD_PACKAGES})`)) return;
  const file = await ensurePrebuild();
  const needed = execFileSync('objdump', ['-p', file], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\s*NEEDED\s+(\S+)/.exec(l)?.[1])
    .filter((x): x is string => !!x);
  t.diagnostic(`NEEDED: ${needed.join(' ')}`);
  const foreign = needed.filter((lib) => !/^(libc|libm|libstdc\+\+|libgcc_s|ld-linux[-\w]*)\.so\.\d+$/.test(lib));
  assert.deepEqual(foreign, []);
  // The CO-RE BPF object is inside (bpftool's skeleton embeds it): an ELF image for EM_BPF (247).
  const bytes = readFileSync(file);
  let embedded = false;
  for (let at = bytes.indexOf(ELF_MAGIC, 1); at > 0 && !embedded; at = bytes.indexOf(ELF_MAGIC, at + 1)) {
    embedded = bytes.length >= at + 20 && bytes.readUInt16LE(at + 18) === 247;
  }
  assert.ok(embedded, 'no embedded BPF ELF object in the prebuild');
});
