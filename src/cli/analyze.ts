/**
 * `contxray analyze`: load captures into DuckDB and answer questions — a summary by default,
 * the user's SQL (--sql), or a named query from queries/ (--query). Its options are in
 * commands/analyze.ts; --list is analyze-list.ts.
 */
import type { Analysis } from '../analyze/db.js';
import { formatTable, type ResultTable } from '../util/format.js';
import { CliError, EXIT } from './errors.js';
import { checkOutput } from '../util/outfile.js';
import { bold, warn } from '../util/tty.js';
import { containerIdsParam, resolveContainers } from '../analyze/select.js';
import { openCaptures, userQuery, writeOutput } from './common.js';
import type { Args } from './commands/analyze.js';

export async function run(args: Args): Promise<void> {
    checkOutput(args.out, Boolean(args.force));
    const analysis = await openCaptures(args.captures, args);
    try {
      if (args.sql !== undefined) {
        if (args.sql.trim() === '') throw new CliError('--sql is empty', EXIT.usage);
        const t = await userQuery(() => analysis.table(args.sql!));
        writeOutput(formatTable(t, args.format), args.out, args.force);
      } else if (args.query !== undefined) {
        const params = { container_ids: await containerIds(analysis, args.container), since: isoTime(args.since, '--since'), until: isoTime(args.until, '--until'), limit: args.limit };
        const t = await userQuery(() => analysis.namedTable(args.query!, params));
        writeOutput(formatTable(t, args.format), args.out, args.force);
      } else {
        writeOutput(await summary(analysis, args), args.out, args.force);
      }
    } finally {
      analysis.close();
    }
}

/** A time the user gave, as ISO text DuckDB casts to TIMESTAMP_NS; refused early when it is not one. */
function isoTime(text: string | undefined, option: string): string | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new CliError(`${option}: '${text}' is not a time (ISO 8601, e.g. 2026-11-29T10:00:00Z)`, EXIT.usage);
  return new Date(ms).toISOString();
}

/**
 * --container as the `$container_ids` the queries bind (null: every container). A question about a
 * container that is not there has an empty answer: a warning, not an error; an ambiguous prefix is one.
 */
async function containerIds(analysis: Analysis, selectors: string[] | undefined): Promise<string | null> {
  return containerIdsParam(await resolveContainers(analysis, selectors, { onUnknown: warn }));
}

const SECTIONS: [string, string][] = [
  ['Captures', 'summary-captures'],
  ['Containers', 'summary-containers'],
  ['Lost, cut or unknown', 'summary-drops'],
];

async function summary(analysis: Analysis, args: Args): Promise<string> {
  const tables: Record<string, ResultTable> = {};
  const container_ids = await containerIds(analysis, args.container);
  for (const [title, name] of SECTIONS) tables[title] = await analysis.namedTable(name, { container_ids });
  if (args.format === 'table') {
    return SECTIONS.map(([title]) => {
      const t = tables[title]!;
      const body = title.startsWith('Lost') && t.rows.length === 0 ? 'nothing was dropped or truncated\n' : formatTable(t, 'table');
      return `${bold(title)}\n${body}`;
    }).join('\n');
  }
  if (args.format === 'json' || args.format === 'ndjson') {
    const obj = Object.fromEntries(
      SECTIONS.map(([title, name]) => [name.replace('summary-', ''), JSON.parse(formatTable(tables[title]!, 'json'))]),
    );
    return `${JSON.stringify(obj, null, args.format === 'json' ? 2 : undefined)}\n`;
  }
  return formatTable(tables['Containers']!, args.format);
}
