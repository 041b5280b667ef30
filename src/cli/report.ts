/**
 * `contxray report`: one self-contained, offline HTML report of one or many captures.
 * Static SVG charts by default; --interactive inlines vega for tooltips and zoom.
 */
import { basename } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { generateReport, DEFAULT_MAX_CONTAINERS, DEFAULT_MAX_ROWS } from '../report/index.js';
import { anomalyInput } from '../report/anomaly-input.js';
import { loadSeries, readModel } from './detect.js';
import { trainModel } from '../detect/detect.js';
import { DEFAULT_OPTIONS } from '../detect/model.js';
import type { ModelFile } from '../detect/model-file.js';
import { CliError, EXIT } from './errors.js';
import { checkOutput, writeOutputFile } from '../util/outfile.js';
import { CACHE_HELP, DB_HELP, openCaptures, withContainers, withForce } from './common.js';

interface Args {
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
  handler: async (args) => {
    const maxRows = args['max-rows'];
    if (!Number.isFinite(maxRows) || maxRows < 1) throw new CliError('--max-rows must be a number ≥ 1', EXIT.usage);
    const maxContainers = args['max-containers'];
    if (!Number.isFinite(maxContainers) || maxContainers < 1) throw new CliError('--max-containers must be a number ≥ 1', EXIT.usage);
    if (args.model && args.baseline) throw new CliError('give --baseline or --model, not both', EXIT.usage);
    checkOutput(args.out, Boolean(args.force));
    const model = args.model ? readModel(args.model) : args.baseline ? await trainFrom(args.baseline, args.cache) : null;
    const analysis = await openCaptures(args.captures, args);
    let result;
    try {
      const anomalies = model ? await anomalyInput(analysis, model, args.model ? `model ${basename(args.model)}` : `baseline ${args.baseline!.map((b) => basename(b)).join(', ')}`) : undefined;
      result = await generateReport(analysis, {
        anomalies,
        captures: (args.captures ?? []).map((p) => basename(p)),
        title: args.title,
        containers: args.container ?? [],
        interactive: args.interactive,
        maxRows,
        maxContainers,
      });
    } finally {
      analysis.close();
    }
    writeOutputFile(args.out, result.html, { force: args.force });
    const kb = (Buffer.byteLength(result.html) / 1024).toFixed(0);
    process.stderr.write(
      `contxray: wrote ${args.out} (${kb} KiB): ${result.containers}${result.inScope > result.containers ? ` of ${result.inScope}` : ''} containers in detail, ${result.charts} charts, ${result.findings} findings\n`,
    );
  },
};

/** The detector's defaults (10 s windows, match by name then image), as `contxray detect --baseline`. */
async function trainFrom(baseline: string[], cache?: boolean): Promise<ModelFile> {
  const windowMs = 10_000;
  return trainModel(await loadSeries(baseline, windowMs, undefined, { cache }), windowMs, 'name', DEFAULT_OPTIONS);
}
