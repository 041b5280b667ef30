/**
 * `contxray metrics` export time vs the analysis load of the same capture (issue 10: export ≤ 2×
 * the load). Each measurement runs in its own process; rounds interleave load and export; medians.
 * "export" = the load plus computing and writing every OpenMetrics sample (what the command does).
 *
 *   npm run bench -- metrics [--events 10000000] [--rounds 3] [--step 15s]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticCapture } from '../test/support/synthetic.js';
import { Analysis } from '../src/analyze/db.js';
import { writeOpenMetrics } from '../src/metrics/openmetrics.js';
import { createOutput } from '../src/util/outfile.js';
import { parseStep } from '../src/cli/metrics.js';

const SELF = fileURLToPath(import.meta.url);

function opt(argv: string[], name: string, def: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : def;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One measurement in this process: prints {seconds, rssMb, samples}. */
async function child(mode: string, capture: string, out: string, step: string): Promise<void> {
  const t = performance.now();
  const an = await Analysis.open([capture]);
  let samples = 0;
  if (mode === 'export') {
    const file = createOutput(out, { force: true });
    samples = (await writeOpenMetrics(an.connection, parseStep(step), (s) => file.write(s))).samples;
    file.commit();
  }
  const seconds = (performance.now() - t) / 1000;
  an.close();
  console.log(JSON.stringify({ seconds, rssMb: process.resourceUsage().maxRSS / 1024, samples }));
}

function measure(mode: string, capture: string, out: string, step: string): { seconds: number; rssMb: number; samples: number } {
  const r = spawnSync(process.execPath, [SELF, '--child', mode, capture, out, step], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${mode}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const events = Number(opt(argv, 'events', '10000000'));
  const rounds = Number(opt(argv, 'rounds', '3'));
  const step = opt(argv, 'step', '15s');
  const dir = mkdtempSync(join(tmpdir(), 'contxray-bench-metrics-'));
  try {
    const cap = join(dir, 'trace.arrow');
    const out = join(dir, 'trace.om');
    const { events: n } = await writeSyntheticCapture(cap, { events });
    const load: number[] = [];
    const exp: number[] = [];
    let last = { seconds: 0, rssMb: 0, samples: 0 };
    let loadRss = 0;
    for (let r = 0; r < rounds; r++) {
      const l = measure('load', cap, out, step);
      load.push(l.seconds);
      loadRss = Math.max(loadRss, l.rssMb);
      last = measure('export', cap, out, step);
      exp.push(last.seconds);
      console.error(`round ${r + 1}: load ${l.seconds.toFixed(2)} s, export ${last.seconds.toFixed(2)} s`);
    }
    const [lm, em] = [median(load), median(exp)];
    // On a shared machine the rounds differ several-fold; the per-round ratio is the steadier figure.
    const ratios = load.map((l, i) => exp[i]! / l);
    console.log(`\n${n} events (synthetic), step ${step}, ${rounds} interleaved rounds, medians\n`);
    console.log('| measure | contxray metrics (load + export) | analyze load (floor) | ratio |\n|---|---|---|---|');
    console.log(
      `| time | ${em.toFixed(2)} s, peak ${last.rssMb.toFixed(0)} MB, ${last.samples} samples, ${(statSync(out).size / 1e6).toFixed(2)} MB | ` +
        `${lm.toFixed(2)} s, peak ${loadRss.toFixed(0)} MB | ${median(ratios).toFixed(2)}× the load, median of rounds ${ratios.map((r) => r.toFixed(2)).join(', ')} (goal ≤ 2×) |`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') await child(argv[1]!, argv[2]!, argv[3]!, argv[4]!);
  else await main(argv);
}
