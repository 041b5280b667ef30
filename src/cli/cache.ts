/**
 * `contxray cache list|clear`: the load cache of src/analyze/cache/ (docs/cache.md). Only node:fs
 * underneath: listing or clearing the cache never loads DuckDB. Options: commands/cache.ts.
 */
import { existsSync } from 'node:fs';
import { cacheDirPath, maxBytes, untrusted } from '../analyze/cache/dir.js';
import { clearCache, listEntries } from '../analyze/cache/entries.js';
import { formatTable, type Format } from '../util/format.js';
import { humanBytes } from '../util/tty.js';
import { CliError, EXIT } from './errors.js';

import type { Args } from './commands/cache.js';

export function run(args: Args): void {
  const dir = cacheDirPath();
  if (!existsSync(dir)) {
    if (args.action === 'list') process.stdout.write(listing([], args.format, dir));
    else process.stderr.write(`contxray: the cache (${dir}) is empty\n`);
    return;
  }
  const why = untrusted(dir);
  if (why) throw new CliError(`not using the cache directory ${dir}: ${why}`, EXIT.environment);
  if (args.action === 'clear') {
    const { entries, bytes } = clearCache(dir);
    process.stderr.write(`contxray: removed ${entries} cache entr${entries === 1 ? 'y' : 'ies'} (${humanBytes(bytes)}) from ${dir}\n`);
    return;
  }
  process.stdout.write(listing(listEntries(dir), args.format, dir));
}

function listing(entries: ReturnType<typeof listEntries>, format: Format, dir: string): string {
  const human = format === 'table';
  const columns = ['entry', 'captures', 'events', human ? 'size' : 'bytes', 'last_used', 'created'];
  const rows = entries.map((e) => [
    e.key,
    e.absolute ?? e.captures.map((c) => c.path),
    e.events,
    human ? humanBytes(e.bytes) : e.bytes,
    new Date(e.lastUsedMs).toISOString(),
    e.created,
  ]);
  const table = formatTable({ columns, rows }, format, { maxWidth: 110 });
  if (!human) return table;
  const total = entries.reduce((n, e) => n + e.bytes, 0);
  const bound = maxBytes().bytes;
  return `${table}${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, ${humanBytes(total)} of ${bound === 0 ? 'a disabled cache' : humanBytes(bound)} in ${dir}\n`;
}
