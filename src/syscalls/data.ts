/**
 * Locates files under the package's data/ folder. The same code runs from src/ (tsx) and from
 * dist/src/ (compiled), so walk up from this module until data/ is found instead of hard-coding depth.
 * Read with fs rather than a JSON import: Node 20 prints an ExperimentalWarning for JSON modules.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let dataRoot: string | undefined;

export function dataPath(...parts: string[]): string {
  if (!dataRoot) {
    let dir = dirname(fileURLToPath(import.meta.url));
    for (;;) {
      if (existsSync(join(dir, 'data', 'syscalls'))) break;
      const up = dirname(dir);
      if (up === dir) throw new Error('contxray data/ folder not found next to the installed package');
      dir = up;
    }
    dataRoot = join(dir, 'data');
  }
  return join(dataRoot, ...parts);
}

export function readDataJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(dataPath(...parts), 'utf8')) as T;
}
