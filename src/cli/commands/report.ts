/**
 * `contxray report`: its options. What it does is in ../report.ts, imported when it runs (commands.ts):
 * handlebars and vega are loaded only then.
 */
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_MAX_CONTAINERS, DEFAULT_MAX_ROWS } from '../../report/limits.js';
import { CACHE_HELP, DB_HELP, withContainers, withForce } from '../options.js';

export interface Args {
  captures?: string[];
  db?: string;
  cache?: boolean;
  out: string;
  force?: boolean;
  container?: string[];
  interactive?: boolean;
  title?: string;
  'max-rows': number;
  'max-containers': number;
  baseline?: string[];
  model?: string;
}

export const command: CommandModule<object, Args> = {
  command: 'report [captures..]',
  describe: 'Write a self-contained HTML report (charts, findings, per-container activity)',
  builder: (y: Argv) =>
    withContainers(withForce(y))
      .positional('captures', { type: 'string', array: true, describe: "capture files or quoted globs ('day2/*.arrow')" })
      .option('db', { type: 'string', describe: DB_HELP })
      .option('cache', { type: 'boolean', default: true, describe: CACHE_HELP })
      .option('out', { alias: 'o', type: 'string', default: 'report.html', describe: 'the HTML file to write (mode 0600; refused if it exists, see --force)' })
      .option('interactive', { type: 'boolean', default: false, describe: 'inline vega (~830 KB) for tooltips and zoom; still offline' })
      .option('title', { type: 'string', describe: 'page title (default: the capture names)' })
      .option('max-rows', { type: 'number', default: DEFAULT_MAX_ROWS, describe: 'rows per long table; the rest is counted as "N more"' })
      .option('max-containers', {
        type: 'number',
        default: DEFAULT_MAX_CONTAINERS,
        describe: 'containers with a section of their own: those with findings first, then the busiest; the rest are rows of the containers table',
      })
      .option('baseline', { alias: 'b', type: 'string', array: true, describe: 'normal recordings: add an anomaly section (contxray detect against them)' })
      .option('model', { alias: 'm', type: 'string', describe: 'a model saved by `contxray detect --save-model`: add an anomaly section' })
      .example('$0 report trace.arrow --baseline normal.arrow', 'with the anomaly section: score timeline and reasons per container')
      .example('$0 report trace.arrow -o report.html', 'static report, no JavaScript')
      .example('$0 report host1.arrow host2.arrow --container web --container db --interactive', 'two hosts, two containers, interactive charts') as unknown as Argv<Args>,
  handler: async (args) => (await import('../report.js')).run(args),
};
