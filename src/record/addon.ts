/**
 * Finds and loads the native addon the way node-gyp-build (the loader prebuildify's packages use)
 * does, with native/ as the addon's folder:
 *   1. native/build/Release/*.node      a source build (npm run build:native, or the install script's
 *                                       fallback) wins, so a developer's build is the one tested;
 *   2. native/prebuilds/<platform>-<arch>/contxray.glibc.node   the prebuild shipped in the npm
 *                                       package (scripts/prebuild.sh; docs/install.md).
 * The addon is only needed by `record`: nothing here runs at module load.
 */
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import { packagePath } from '../util/package-root.js';
import { errorMessage, RecorderError } from '../util/errors.js';

const require = createRequire(import.meta.url);
const nodeGypBuild = require('node-gyp-build') as { resolve(dir: string): string };

/** The folder holding binding.gyp, build/ and prebuilds/. */
export const ADDON_DIR = packagePath('native');

/** Debian/Ubuntu packages a source build needs (scripts/build-native.sh checks the same). */
export const SOURCE_BUILD_PACKAGES = 'clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool pkg-config make g++';

/** The one line saying what to do when no addon is found. */
export function installHint(): string {
  return (
    `no prebuilt recorder for ${process.platform}-${process.arch} and no source build: ` +
    `apt-get install -y ${SOURCE_BUILD_PACKAGES}, then \`npm rebuild -g contxray\` (in a checkout: npm run build:native)`
  );
}

export interface AddonInfo {
  /** An addon file matching this platform was found. */
  found: boolean;
  /** 'prebuilt' from native/prebuilds/, 'source' from native/build/. */
  kind: 'prebuilt' | 'source' | null;
  path: string | null;
  /** Why it was not found, or why the found file does not load (glibc too old, …); null when it loads. */
  error: string | null;
}

const loaded = new Map<string, unknown>(); // path → module

function resolveAddon(dir: string): string | null {
  try {
    return nodeGypBuild.resolve(dir);
  } catch {
    return null; // "No native build was found for platform=… arch=…": installHint() says it better
  }
}

/**
 * Loads the addon (once) or throws a RecorderError with one line saying what to install.
 * `dir` is for tests: another folder laid out like native/.
 */
export function loadAddon<T = unknown>(dir = ADDON_DIR): T {
  const path = resolveAddon(dir);
  if (!path) throw new RecorderError('not-built', `the native recorder is not installed: ${installHint()}`);
  if (loaded.has(path)) return loaded.get(path) as T;
  try {
    loaded.set(path, require(path));
  } catch (err) {
    throw new RecorderError('load-failed', `the native recorder ${path} failed to load (${errorMessage(err)}): ${installHint()}`, {
      cause: err,
    });
  }
  return loaded.get(path) as T;
}

/** Which addon `record` would use and whether it loads (for `contxray doctor`); never throws. */
export function addonInfo(dir = ADDON_DIR): AddonInfo {
  const path = resolveAddon(dir);
  if (!path) return { found: false, kind: null, path: null, error: installHint() };
  const kind = path.startsWith(join(dir, 'prebuilds') + sep) ? 'prebuilt' : 'source';
  try {
    loadAddon(dir);
    return { found: true, kind, path, error: null };
  } catch (err) {
    return { found: true, kind, path, error: errorMessage(err) };
  }
}
