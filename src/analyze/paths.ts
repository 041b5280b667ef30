/**
 * Capture arguments: files, or glob patterns (`'day2/*.arrow'`, quoted so the shell leaves them)
 * expanded here, since Node 20 has no fs.glob. A pattern matching nothing is an error, not silence.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureError } from '../util/errors.js';

const MAGIC = /[*?[]/;

function segmentRegex(segment: string): RegExp {
  let re = '';
  for (const ch of segment) {
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|\\\]]/g, '\\$&').replace('[', '[');
  }
  return new RegExp(`^${re}$`);
}

function expandOne(pattern: string): string[] {
  if (!MAGIC.test(pattern)) return [pattern];
  const absolute = pattern.startsWith('/');
  const parts = pattern.split('/').filter((p, i) => p !== '' || i === 0);
  let bases = [absolute ? '/' : '.'];
  for (const [i, part] of parts.entries()) {
    if (part === '' && i === 0) continue;
    const next: string[] = [];
    for (const base of bases) {
      if (!MAGIC.test(part)) {
        next.push(join(base, part));
        continue;
      }
      let names: string[] = [];
      try {
        names = readdirSync(base);
      } catch {
        continue;
      }
      const re = segmentRegex(part);
      for (const n of names.sort()) if (re.test(n) && !n.startsWith('.')) next.push(join(base, n));
    }
    bases = next;
  }
  const files = bases.filter((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
  if (files.length === 0) throw new CaptureError('no-match', `no capture matches ${pattern}`);
  return files;
}

export function expandCapturePaths(patterns: string[]): string[] {
  return [...new Set(patterns.flatMap(expandOne))];
}
