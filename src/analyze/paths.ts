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
  const chars = [...segment];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[' && chars.indexOf(']', i + 2) > i) {
      // a bracket class, as the shell has it: [abc], [a-z], [!x] / [^x]
      const end = chars.indexOf(']', i + 2);
      let body = chars.slice(i + 1, end).join('');
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&'); // an unterminated [ is literal, as in the shell
  }
  try {
    return new RegExp(`^${re}$`, 'u');
  } catch {
    return new RegExp(`^${[...segment].map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('')}$`, 'u'); // [z-a]: literal
  }
}

function expandOne(pattern: string): string[] {
  if (!MAGIC.test(pattern) || isFile(pattern)) return [pattern]; // a file named `a[1].arrow` is itself
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

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function expandCapturePaths(patterns: string[]): string[] {
  return [...new Set(patterns.flatMap(expandOne))];
}
