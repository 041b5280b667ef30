/**
 * `contxray analyze --list`: the named queries and their one-line descriptions, read from the
 * headers in queries/ only. It must not load DuckDB (test/unit/cli-lazy.test.ts): nothing here
 * imports src/cli/common.ts or src/analyze/db.ts.
 */
import { listQueries } from '../analyze/queries.js';
import { formatTable } from '../util/format.js';
import { writeOutputFile } from '../util/outfile.js';
import type { Args } from './commands/analyze.js';

export function run(args: Args): void {
  const rows = listQueries().map((q) => [q.name, q.description, q.params.map((p) => `$${p}`).join(' ')]);
  const text = formatTable({ columns: ['query', 'description', 'params'], rows }, args.format, { maxWidth: 110 });
  if (args.out) writeOutputFile(args.out, text, { force: args.force });
  else process.stdout.write(text);
}
