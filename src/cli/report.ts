/**
 * `contxray report`: one self-contained, offline HTML report of one or many captures.
 * Static SVG charts by default; --interactive inlines vega for tooltips and zoom.
 */
import { basename } from 'node:path';
import { generateReport } from '../report/index.js';
import { anomalyInput } from '../report/anomaly-input.js';
import { loadSeries, readModel } from './detect.js';
import { trainModel } from '../detect/detect.js';
import { DEFAULT_OPTIONS } from '../detect/model.js';
import type { ModelFile } from '../detect/model-file.js';
import { CliError, EXIT } from './errors.js';
import { checkOutput, writeOutputFile } from '../util/outfile.js';
import { openCaptures } from './common.js';
import type { Args } from './commands/report.js';

export async function run(args: Args): Promise<void> {
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
}

/** The detector's defaults (10 s windows, match by name then image), as `contxray detect --baseline`. */
async function trainFrom(baseline: string[], cache?: boolean): Promise<ModelFile> {
  const windowMs = 10_000;
  return trainModel(await loadSeries(baseline, windowMs, undefined, { cache }), windowMs, 'name', DEFAULT_OPTIONS);
}
