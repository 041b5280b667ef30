/**
 * Interactive speed, lake part: `top-syscalls` straight over a Parquet lake (no load step) vs
 * loading the same captures, and over a lake of 100M events (default `--events`).
 *
 * Side by side, interleaved rounds, medians (bench/lib/measure.ts), time and peak RSS of whole
 * `contxray analyze … -q top-syscalls` commands:
 *   load     the captures (`--load-events`, default 10M, over `--hosts` synthetic captures), loaded
 *   lake     the same captures exported by `contxray export --parquet` (the real layout), in place
 *   lake-big the lake grown to `--events` by copying its syscall rows to later days with DuckDB
 *            (same files, columns, types and partitioning as export: lake mode refuses anything
 *            else), since writing and loading 100M events of captures is too slow and large here.
 * Run: node -e "import('./dist/bench/interactive/lake.js').then(m=>m.main(process.argv.slice(1)))" -- [--events N] [--load-events N] [--hosts N] [--rounds N]
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api } from '../../src/analyze/duckdb.js';
import { openAnalysis } from '../../src/analyze/db.js';
import { scanLake } from '../../src/analyze/lake.js';
import { exportParquet } from '../../src/cli/export.js';
import { privateTempDir, removeTempDir } from '../../src/util/outfile.js';
import { writeSyntheticCapture } from '../../test/support/synthetic.js';
import { interleave, median, opt, printRatios, timeCommand, type CommandRun } from '../lib/measure.js';

// the copy of DuckDB's JavaScript contxray runs (src/analyze/duckdb.ts), not a second one
const { DuckDBInstance } = api;

const BIN = fileURLToPath(new URL('../../../bin/contxray.js', import.meta.url));
const DAY_NS = 86_400_000_000_000n;

export async function main(argv: string[]): Promise<void> {
  const events = Number(opt(argv, 'events', '100000000'));
  const loadEvents = Number(opt(argv, 'load-events', String(Math.min(events, 10_000_000))));
  const hosts = Number(opt(argv, 'hosts', '4'));
  const rounds = Number(opt(argv, 'rounds', '3'));
  const dir = privateTempDir('contxray-bench-lake-');
  try {
    const t0 = performance.now();
    const captures: string[] = [];
    for (let h = 0; h < hosts; h++) {
      const path = join(dir, `host${h}.arrow`);
      await writeSyntheticCapture(path, { events: Math.ceil(loadEvents / hosts), hostname: `node-${h}`, seed: 7 + h, containers: 16 });
      captures.push(path);
    }
    const lake = join(dir, 'lake');
    const analysis = await openAnalysis(captures);
    try {
      await exportParquet(analysis, lake, false);
    } finally {
      analysis.close();
    }
    const big = join(dir, 'lake-big');
    const bigEvents = events > loadEvents ? await growLake(lake, big, events) : 0;
    console.log(`prepared in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${hosts} captures, ${await lakeEvents(lake)} events exported${bigEvents ? `; big lake ${bigEvents} events` : ''}`);

    const noCache = spawnSync(process.execPath, [BIN, 'analyze', '--help'], { encoding: 'utf8' }).stdout.includes('--no-cache') ? ['--no-cache'] : [];
    const query = (inputs: string[], extra: string[] = []) => () =>
      timeCommand(process.execPath, [BIN, 'analyze', ...inputs, '-q', 'top-syscalls', '-f', 'csv', ...extra]);
    const variants = [
      { name: `load ${fmt(loadEvents)} (captures)`, run: query(captures, noCache) },
      { name: `lake ${fmt(loadEvents)} (same captures, exported)`, run: query([lake]) },
      ...(bigEvents ? [{ name: `lake ${fmt(bigEvents)}`, run: query([big]) }] : []),
    ];
    const results = await interleave<CommandRun>(rounds, variants, (r, name, res) =>
      console.log(`  round ${r + 1}  ${name}: ${res.seconds.toFixed(2)} s, peak ${res.maxRssMb.toFixed(0)} MB`),
    );
    const outputs = [...results.values()].map((runs) => runs[0]!.stdout.split('\n').length);
    console.log(`rows of top-syscalls: ${outputs.join(' / ')}`);
    const medians = Object.fromEntries([...results].map(([k, runs]) => [k, median(runs.map((x) => x.seconds))]));
    printRatios(`top-syscalls, median of ${rounds} rounds (time; ratio to loading the captures)`, medians, variants[0]!.name);
    const rss = Object.fromEntries([...results].map(([k, runs]) => [k, median(runs.map((x) => x.maxRssMb))]));
    printRatios('peak RSS (median)', rss, variants[0]!.name, 'MB');
  } finally {
    removeTempDir(dir);
  }
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(0)}M` : `${(n / 1e3).toFixed(0)}k`;
}

/** Events in a lake: rows of every kind except the derived ones (processes, connections, containers, captures). */
async function lakeEvents(lake: string): Promise<number> {
  const a = await openAnalysis([lake]);
  try {
    const [row] = await a.all(
      `SELECT (SELECT count(*) FROM syscalls) + (SELECT count(*) FROM execs) + (SELECT count(*) FROM opens) + (SELECT count(*) FROM net_events) AS n`,
    );
    return Number(row!.n);
  } finally {
    a.close();
  }
}

/**
 * Copies the exported lake and adds copies of its syscall rows a day later each, as export writes
 * them (same columns and types, zstd, host/date partitions, host_name), until it holds `events`.
 */
async function growLake(lake: string, big: string, events: number): Promise<number> {
  const cp = spawnSync('cp', ['-r', lake, big]);
  if (cp.status !== 0) throw new Error(`cp failed: ${cp.stderr}`);
  const base = await lakeEvents(lake);
  const syscallFiles = scanLake(lake).files.get('syscall')!;
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const rows = Number((await conn.runAndReadAll(`SELECT count(*) FROM read_parquet(${list(syscallFiles)})`)).getRows()[0]![0]);
    const copies = Math.max(0, Math.ceil((events - base) / rows));
    for (let k = 1; k <= copies; k++) {
      const shift = BigInt(k) * DAY_NS;
      // The same statement as export's COPY, over rows read back with their partition columns.
      await conn.run(
        `COPY (SELECT * EXCLUDE (kind) REPLACE (make_timestamp_ns(epoch_ns(ts) + ${shift}) AS ts, strftime(make_timestamp_ns(epoch_ns(ts) + ${shift}), '%Y-%m-%d') AS date) ` +
          `FROM read_parquet(${list(syscallFiles)}, hive_partitioning = true, hive_types = {'kind': VARCHAR, 'host': VARCHAR, 'date': VARCHAR}) ` +
          `) TO '${join(big, 'kind=syscall')}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (host, date), FILENAME_PATTERN 'copy${k}_{i}', OVERWRITE_OR_IGNORE)`,
      );
    }
    return base + copies * rows;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Our own scratch paths (no quotes in them: mkdtemp names), as a SQL list. */
function list(files: string[]): string {
  for (const f of files) if (f.includes("'")) throw new Error(`unexpected path ${f}`);
  return `[${files.map((f) => `'${f}'`).join(', ')}]`;
}
