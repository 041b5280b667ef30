/**
 * `contxray export`: its options. What it does is in ../export.ts, imported when it runs (commands.ts).
 */
import type { Argv, CommandModule } from 'yargs';
import { CliError, EXIT } from '../errors.js';
import { withCaptures } from '../options.js';

export interface Args {
  captures?: string[];
  db?: string;
  cache?: boolean;
  parquet?: string;
  ndjson?: string;
  force?: boolean;
}

export const command: CommandModule<object, Args> = {
  command: 'export [captures..]',
  describe: 'Export captures as hive-partitioned Parquet (kind/host/date) or NDJSON',
  builder: (y: Argv) =>
    withCaptures(y)
      .option('parquet', { type: 'string', describe: 'write Parquet files under DIR/kind=…/host=…/date=…/' })
      .option('ndjson', { type: 'string', describe: 'write every event as one JSON object per line to FILE' })
      .option('force', { type: 'boolean', describe: 'replace an existing FILE / DIR (atomically, once the export is complete; links not followed)' })
      .check((a) => {
        if (!a.parquet && !a.ndjson) throw new CliError('give --parquet DIR and/or --ndjson FILE', EXIT.usage);
        return true;
      })
      .example('$0 export trace.arrow --parquet lake/', "then: duckdb -c \"SELECT * FROM read_parquet('lake/kind=exec/*/*/*.parquet', hive_partitioning=true)\"")
      .example('$0 export trace.arrow --ndjson events.ndjson', 'one JSON object per event') as unknown as Argv<Args>,
  handler: async (args) => (await import('../export.js')).run(args),
};
