/**
 * `contxray analyze --list`: the named queries and their one-line descriptions, read from the
 * headers in queries/ only. It must not load DuckDB (test/unit/cli-lazy.test.ts): nothing here
 * imports src/cli/common.ts or src/analyze/db.ts.
 */
import { listQueries } from '../analyze/queries.js';
import { formatTable } from '../util/format.js';
import type { Args } from './commands/analyze.js';

export async function run(args: Args): Promise<void> {
  const rows = listQueries().map((q) => [q.name, q.description, q.params.map((p) => `$${p}`).join(' ')]);
  const text = formatTable({ columns: ['query', 'description', 'params'], rows }, args.format, { maxWidth: 110 });
  // src/util/outfile.js (and node:crypto, ~15 ms) only when writing a file
  if (args.out) (await import('../util/outfile.js')).writeOutputFile(args.out, text, { force: args.force });
  else process.stdout.write(text);
}
