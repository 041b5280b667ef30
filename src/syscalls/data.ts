/**
 * Locates files under the package's data/ folder.
 * Read with fs rather than a JSON import: Node 20 prints an ExperimentalWarning for JSON modules.
 */
import { readFileSync } from 'node:fs';
import { packagePath } from '../util/package-root.js';

export function dataPath(...parts: string[]): string {
  return packagePath('data', ...parts);
}

export function readDataJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(dataPath(...parts), 'utf8')) as T;
}
