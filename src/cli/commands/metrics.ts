/**
 * `contxray metrics`: its options. What it does is in ../metrics.ts, imported when it runs (commands.ts).
 */
import type { Argv, CommandModule } from 'yargs';
import { withCaptures } from '../options.js';

export interface Args {
  captures?: string[];
  db?: string;
  cache?: boolean;
  out: string;
  step: string;
  force?: boolean;
}

export const command: CommandModule<object, Args> = {
  command: 'metrics [captures..]',
  describe: 'Write the Prometheus metrics of captures as OpenMetrics (for promtool backfill)',
  builder: (y: Argv) =>
    withCaptures(y)
      .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'OpenMetrics file to create (FILE.om)' })
      .option('step', { type: 'string', default: '15s', describe: 'one sample per series every STEP (set the Grafana datasource timeInterval to it)' })
      .option('force', { type: 'boolean', describe: 'replace FILE if it exists (atomically)' })
      .example('$0 metrics host1.arrow host2.arrow -o captures.om', 'then: promtool tsdb create-blocks-from openmetrics --max-block-duration=24h captures.om data/') as unknown as Argv<Args>,
  handler: async (args) => (await import('../metrics.js')).run(args),
};
