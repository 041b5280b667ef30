/**
 * `contxray metrics`: the metric families of docs/metrics.md computed from captures, as an
 * OpenMetrics file for `promtool tsdb create-blocks-from openmetrics`.
 */
import { writeOpenMetrics, secondsText } from '../metrics/openmetrics.js';
import { createOutput } from '../util/outfile.js';
import { parseDuration } from '../util/duration.js';
import { errorMessage } from '../util/errors.js';
import { CliError, EXIT, isUserError } from './errors.js';
import { humanCount } from '../util/tty.js';
import { openCaptures } from './common.js';
import type { Args } from './commands/metrics.js';
import { refuseLake } from '../analyze/lake.js';

const MAX_STEP_MS = 24 * 3_600_000;

export function parseStep(text: string): bigint {
  const ms = parseDuration(text, '--step');
  if (ms < 1 || ms > MAX_STEP_MS) throw new CliError(`--step: '${text}' must be between 1ms and 24h`, EXIT.usage);
  return BigInt(ms) * 1_000_000n;
}

export async function run(args: Args): Promise<void> {
  refuseLake(args.captures, 'metrics');
    const stepNs = parseStep(args.step);
    const out = createOutput(args.out, { force: Boolean(args.force) });
    let done = false;
    try {
      const analysis = await openCaptures(args.captures, args);
      try {
        const stats = await writeOpenMetrics(analysis.connection, stepNs, (t) => out.write(t));
        out.commit();
        done = true;
        const span = stats.firstNs === null ? 'no samples' : `${new Date(Number(stats.firstNs / 1_000_000n)).toISOString()} … ${new Date(Number(stats.lastNs! / 1_000_000n)).toISOString()} (${secondsText(stats.firstNs)} … ${secondsText(stats.lastNs!)})`;
        process.stderr.write(
          `wrote ${humanCount(stats.samples)} samples of ${stats.series} series in ${stats.families} families to ${args.out}: ${span}\n` +
            `next: promtool tsdb create-blocks-from openmetrics --max-block-duration=24h ${args.out} DATA_DIR\n`,
        );
      } finally {
        analysis.close();
      }
    } catch (err) {
      if (!done) out.abort();
      if (isUserError(err)) throw err;
      throw new CliError(`metrics failed: ${errorMessage(err)}`, EXIT.input);
    } finally {
      if (!done) out.abort();
    }
}
