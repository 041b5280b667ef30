/**
 * The installed package's folder (the one holding queries/, reports/, data/, native/). The same
 * code runs from src/ and from dist/src/, so walk up from this module to the package.json named
 * contxray instead of hard-coding a depth.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'contxray') return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('contxray package folder not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** A path inside the package folder: packagePath('queries', 'views.sql'). */
export function packagePath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}
