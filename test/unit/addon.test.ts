/**
 * src/record/addon.ts: which addon file `record` uses (node-gyp-build's resolution: a source build in
 * build/Release before the prebuild for this platform) and the one line it prints when there is none.
 * Real node-gyp-build on real folders; the "addons" are real ELF-less files (load failures) or the
 * built addon when there is one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addonInfo, loadAddon } from '../../src/record/addon.js';
import { RecorderError } from '../../src/util/errors.js';
import { requireOrSkip } from '../helpers/env.js';

const TUPLE = `${process.platform}-${process.arch}`;

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'cx-addon-'));
}

test('no prebuild and no source build: not found, and loadAddon throws one line naming the packages to install', () => {
  const dir = scratch();
  try {
    // a prebuild for another platform only must not be picked
    mkdirSync(join(dir, 'prebuilds', 'linux-mips'), { recursive: true });
    writeFileSync(join(dir, 'prebuilds', 'linux-mips', 'contxray.glibc.node'), 'x');
    const info = addonInfo(dir);
    assert.equal(info.found, false);
    assert.equal(info.kind, null);
    assert.equal(info.path, null);
    assert.match(info.error ?? '', /apt-get install -y clang llvm libbpf-dev libelf-dev zlib1g-dev/);
    assert.throws(
      () => loadAddon(dir),
      (err: unknown) =>
        err instanceof RecorderError && err.code === 'not-built' && !err.message.includes('\n') && /npm rebuild -g contxray/.test(err.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a prebuild for this platform is found as prebuilt; a file that does not load is reported, not thrown', () => {
  const dir = scratch();
  try {
    const file = join(dir, 'prebuilds', TUPLE, 'contxray.glibc.node');
    mkdirSync(join(dir, 'prebuilds', TUPLE), { recursive: true });
    writeFileSync(file, 'not an ELF object');
    const info = addonInfo(dir);
    assert.equal(info.found, true);
    assert.equal(info.kind, 'prebuilt');
    assert.equal(info.path, file);
    assert.match(info.error ?? '', /failed to load/);
    assert.ok(!(info.error ?? '').includes('\n'));
    assert.throws(() => loadAddon(dir), (err: unknown) => err instanceof RecorderError && err.code === 'load-failed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a source build in build/Release wins over the prebuild (node-gyp-build order)', () => {
  const dir = scratch();
  try {
    mkdirSync(join(dir, 'prebuilds', TUPLE), { recursive: true });
    writeFileSync(join(dir, 'prebuilds', TUPLE, 'contxray.glibc.node'), 'x');
    mkdirSync(join(dir, 'build', 'Release'), { recursive: true });
    writeFileSync(join(dir, 'build', 'Release', 'contxray.node'), 'x');
    const info = addonInfo(dir);
    assert.equal(info.kind, 'source');
    assert.equal(info.path, join(dir, 'build', 'Release', 'contxray.node'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the real addon (prebuilt or source) loads from a folder laid out like native/prebuilds', (t) => {
  const real = addonInfo();
  if (!requireOrSkip(t, real.found && real.error === null, 'native addon not built (npm run build:native or scripts/prebuild.sh)')) return;
  const dir = scratch();
  try {
    mkdirSync(join(dir, 'prebuilds', TUPLE), { recursive: true });
    copyFileSync(real.path!, join(dir, 'prebuilds', TUPLE, 'contxray.glibc.node'));
    const info = addonInfo(dir);
    assert.deepEqual({ ...info, path: null }, { found: true, kind: 'prebuilt', path: null, error: null });
    const addon = loadAddon<{ describeColumns(): Record<string, unknown> }>(dir);
    assert.ok(Object.keys(addon.describeColumns()).length > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
