/**
 * `contxray grafana`: its options. What it does is in ../grafana.ts, imported when it runs (commands.ts).
 */
import type { Argv, CommandModule } from 'yargs';

export interface Args {
  out: string;
  prometheusUrl: string;
  step: string;
  dashboardsPath?: string;
  force?: boolean;
}

export const command: CommandModule<object, Args> = {
  command: 'grafana',
  describe: 'Write a Grafana dashboard and provisioning files for the contxray metrics',
  builder: (y: Argv) =>
    y
      .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'directory for dashboards/ and provisioning/' })
      .option('prometheus-url', { type: 'string', default: 'http://127.0.0.1:9090', describe: 'the Prometheus Grafana queries' })
      .option('step', { type: 'string', default: '15s', describe: 'datasource timeInterval: the `contxray metrics --step` (or the scrape interval)' })
      .option('dashboards-path', { type: 'string', describe: 'where Grafana will read the dashboard JSON (default: DIR/dashboards, absolute)' })
      .option('force', { type: 'boolean', describe: 'replace files that exist' })
      .example('$0 grafana -o grafana/', 'then: cp -r grafana/provisioning/* /etc/grafana/provisioning/ (see docs/metrics.md)') as unknown as Argv<Args>,
  handler: async (args) => (await import('../grafana.js')).run(args),
};
