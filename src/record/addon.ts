/**
 * Where the native addon is and whether it loads, without recording anything (for `contxray doctor`).
 * Today's logic: the addon built from source at native/build/Release (src/record/native.ts loads it).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { packagePath } from '../util/package-root.js';

export interface AddonInfo {
  found: boolean;
  kind: 'prebuilt' | 'source' | null;
  path: string | null;
  error: string | null;
}

export function addonInfo(): AddonInfo {
  const path = packagePath('native', 'build', 'Release', 'contxray.node');
  if (!existsSync(path)) return { found: false, kind: null, path: null, error: `not built (no ${path})` };
  try {
    createRequire(import.meta.url)(path);
    return { found: true, kind: 'source', path, error: null };
  } catch (err) {
    return { found: true, kind: 'source', path, error: (err instanceof Error ? err.message : String(err)).split('\n')[0]! };
  }
}
