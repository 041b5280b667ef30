/**
 * `contxray analyze`: its options. What it does is in ../analyze.ts (and ../analyze-list.ts for
 * --list, which reads the queries/ headers only), imported when it runs: see commands.ts.
 */
import type { Argv, CommandModule } from 'yargs';
import type { Format } from '../../util/format.js';
import { withCaptures, withContainers, withForce, withOutput } from '../options.js';

export interface Args {
  captures?: string[];
  db?: string;
  cache?: boolean;
  sql?: string;
  query?: string;
  list?: boolean;
  format: Format;
  out?: string;
  force?: boolean;
  container?: string[];
  since?: string;
  until?: string;
  limit?: number;
}

export const command: CommandModule<object, Args> = {
  command: 'analyze [captures..]',
  describe: 'Query captures with DuckDB SQL: summary, named queries, or your own SQL',
  builder: (y: Argv) =>
    withContainers(withForce(withOutput(withCaptures(y))), {
      describe: 'limit the summary and named queries to this container: exact name, full id or unique id prefix; repeatable; bound as $container_ids (resolved ids)',
    })
      .option('sql', { type: 'string', describe: 'run this SQL over the views (captures, containers, syscalls, execs, processes, opens, connections, net_events, stats)' })
      .option('query', { alias: 'q', type: 'string', describe: 'run a named query from queries/ (see --list)' })
      .option('list', { type: 'boolean', describe: 'list the named queries with a one-line description' })
      .option('since', { type: 'string', describe: 'named queries: events at or after this time (ISO 8601); bound as $since' })
      .option('until', { type: 'string', describe: 'named queries: events before this time (ISO 8601); bound as $until' })
      .option('limit', { type: 'number', describe: 'named queries: rows per group where the query takes $limit' })
      .conflicts('sql', 'query')
      .example('$0 analyze trace.arrow', 'summary: hosts, time span, containers, drops')
      .example("$0 analyze host1.arrow 'day2/*.arrow' -q top-syscalls -c web", 'a named query over many captures')
      .example(`$0 analyze trace.arrow --sql "SELECT name, sum(count) FROM syscalls GROUP BY 1 ORDER BY 2 DESC"`, 'your own SQL')
      .example('$0 analyze trace.arrow -q exec-timeline -f csv -o execs.csv', 'CSV to a file')
      .example('$0 analyze trace.arrow --db trace.duckdb', 'keep the loaded database for repeated queries') as unknown as Argv<Args>,
  handler: async (args) => {
    if (args.list) return (await import('../analyze-list.js')).run(args);
    return (await import('../analyze.js')).run(args);
  },
};
