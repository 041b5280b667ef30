/**
 * `contxray grafana -o DIR`: the dashboard JSON and Grafana provisioning files (datasource and
 * dashboard provider) for a Prometheus holding contxray metrics, backfilled or live.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildDashboard } from '../metrics/dashboard.js';
import { createOutput } from '../util/outfile.js';
import { dashboardProviderYaml, datasourceYaml } from '../metrics/provisioning.js';
import { errorMessage } from '../util/errors.js';
import { CliError, EXIT } from './errors.js';
import { parseStep } from './metrics.js';
import type { Args } from './commands/grafana.js';

export const GRAFANA_FILES = {
  dashboard: 'dashboards/contxray.json',
  datasource: 'provisioning/datasources/contxray.yaml',
  provider: 'provisioning/dashboards/contxray.yaml',
} as const;

export function run(args: Args): void {
    parseStep(args.step);
    let url: URL;
    try {
      url = new URL(args.prometheusUrl);
    } catch {
      throw new CliError(`--prometheus-url: '${args.prometheusUrl}' is not a URL`, EXIT.usage);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError('--prometheus-url must be http:// or https://', EXIT.usage);
    const opts = { prometheusUrl: args.prometheusUrl, step: args.step, dashboardsPath: args.dashboardsPath ?? resolve(args.out, 'dashboards') };
    const files: [string, string][] = [
      [GRAFANA_FILES.dashboard, `${JSON.stringify(buildDashboard(), null, 2)}\n`],
      [GRAFANA_FILES.datasource, datasourceYaml(opts)],
      [GRAFANA_FILES.provider, dashboardProviderYaml(opts)],
    ];
    for (const [rel, text] of files) {
      const path = join(args.out, rel);
      try {
        mkdirSync(join(path, '..'), { recursive: true });
      } catch (err) {
        throw new CliError(`cannot create ${join(path, '..')}: ${errorMessage(err)}`, EXIT.usage);
      }
      // Not event data, and Grafana's own user must read them: 0644.
      const out = createOutput(path, { force: Boolean(args.force), mode: 0o644 });
      out.write(text);
      out.commit();
    }
    process.stderr.write(`wrote ${files.map(([rel]) => join(args.out, rel)).join(', ')}\n`);
}
