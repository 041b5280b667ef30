#!/usr/bin/env node
// The package's npm "install" script, node-gyp-build's pattern (its `node-gyp-build` bin): if the
// addon for this platform loads (the prebuild in native/prebuilds/ or an earlier source build), do
// nothing; otherwise build it from source (scripts/build-native.sh). Unlike node-gyp-build, a failed
// build does not fail `npm install`: only `contxray record` needs the addon, analyze/report/seccomp
// work without it. Instead it says in one line what to install. docs/install.md.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tuple = `${process.platform}-${process.arch}`;
const packages = 'clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool pkg-config make g++'; // = src/record/addon.ts

function addonLoads() {
  try {
    require(require('node-gyp-build').resolve(join(root, 'native')));
    return true;
  } catch {
    return false;
  }
}

const fromSource = process.env.npm_config_build_from_source === 'true';
if (!fromSource && addonLoads()) process.exit(0);
if (process.platform !== 'linux') {
  console.error(`contxray: the recorder runs on Linux only (this is ${tuple}); analyze, report and seccomp work here`);
  process.exit(0);
}
console.error(`contxray: ${fromSource ? 'building the recorder from source' : `no prebuilt recorder loads on ${tuple}; building it from source`}`);
const build = spawnSync('bash', [join(root, 'scripts', 'build-native.sh')], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (build.status === 0 && addonLoads()) process.exit(0);
const why = (build.stderr || build.error?.message || '').trim().split('\n').pop() ?? '';
console.error(
  `contxray: the recorder (needed by \`contxray record\` only) could not be built${why ? ` (${why})` : ''}: ` +
    `apt-get install -y ${packages}, then \`npm rebuild -g contxray\`; analyze, report and seccomp work without it`,
);
