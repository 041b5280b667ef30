/**
 * The small C programs of the recorder's tests and benchmarks live in fixtures/c/; this builds one
 * with gcc into a temporary directory and returns the binary's path.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCES = fileURLToPath(new URL('../../../fixtures/c/', import.meta.url));

export function buildC(name: string, opts: { static?: boolean; optimize?: string } = {}): string {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), `contxray-${name}-`)), name);
  const args = [opts.optimize ?? '-O2', ...(opts.static === false ? [] : ['-static']), '-I', SOURCES, '-o', out, path.join(SOURCES, `${name}.c`)];
  execFileSync('gcc', args);
  return out;
}
