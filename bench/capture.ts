/**
 * Capture format and analysis load, side by side in one run (issue: capture format):
 *  (a) bytes per event: our capture vs the same events as NDJSON;
 *  (b) load into DuckDB: `contxray analyze` (Arrow → appender by column copy) vs DuckDB reading
 *      the same rows from Parquet with read_parquet (the floor), rows/s and peak RSS;
 *  (c) a group-by end to end (process start to answer): contxray vs jq over the NDJSON.
 * Each measurement runs in its own process so peak RSS is its own.
 *
 *   npm run bench -- capture [--events 10000000] [--jq-events 2000000]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticCapture } from '../test/support/synthetic.js';

const BIN = fileURLToPath(new URL('../../bin/contxray.js', import.meta.url));
const HELPER = fileURLToPath(new URL('./capture-child.js', import.meta.url));

function arg(argv: string[], name: string, def: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
}

/** Runs a command; wall seconds and peak RSS (MB) from GNU time. */
function timed(cmd: string, args: string[]): { seconds: number; rssMb: number; stdout: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const last = r.stderr.trim().split('\n').pop()!.split(' ');
  return { seconds: Number(last[0]), rssMb: Number(last[1]) / 1024, stdout: r.stdout };
}

function child(mode: string, ...args: string[]): { seconds: number; rssMb: number } {
  const r = spawnSync(process.execPath, [HELPER, mode, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${mode}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const events = arg(argv, 'events', 10_000_000);
  const jqEvents = arg(argv, 'jq-events', Math.min(events, 2_000_000));
  const dir = mkdtempSync(join(tmpdir(), 'contxray-bench-'));
  try {
    const cap = join(dir, 'trace.arrow');
    let t = performance.now();
    const { events: n, bytes } = await writeSyntheticCapture(cap, { events });
    console.error(`generated ${n} events in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // (a) size
    const ndjson = join(dir, 'trace.ndjson');
    timed(process.execPath, [BIN, 'export', cap, '--ndjson', ndjson]);
    const ndBytes = statSync(ndjson).size;

    // (b) load: ours vs the Parquet floor (the same raw tables, as Parquet)
    const parquetDir = join(dir, 'parquet');
    child('to-parquet', cap, parquetDir);
    const ours = child('load-capture', cap);
    const floor = child('load-parquet', parquetDir);

    // (c) group-by end to end
    const sql = 'SELECT container, name, sum(count) AS calls FROM syscalls GROUP BY ALL ORDER BY calls DESC LIMIT 5';
    const q = timed(process.execPath, [BIN, 'analyze', cap, '--sql', sql, '-f', 'csv']);
    // jq is slow: run it on a prefix and scale, saying so.
    const small = join(dir, 'small.ndjson');
    spawnSync('bash', ['-c', `head -n ${jqEvents} ${ndjson} > ${small}`]);
    const jqProgram = 'reduce (inputs | select(.kind == "syscall")) as $e ({}; .[($e.container // "") + "/" + ($e.name // "")] += $e.count) | to_entries | sort_by(-.value) | .[:5]';
    const jq = timed('jq', ['-n', jqProgram, small]);
    const jqScaled = (jq.seconds * n) / Math.min(n, jqEvents);

    const rows: string[][] = [
      ['capture size', `${(bytes / n).toFixed(2)} B/event (${(bytes / 1e6).toFixed(1)} MB)`, `NDJSON ${(ndBytes / n).toFixed(1)} B/event (${(ndBytes / 1e6).toFixed(0)} MB)`, `${(ndBytes / bytes).toFixed(1)}× smaller`],
      ['load into DuckDB', `${(n / ours.seconds / 1e6).toFixed(2)} M rows/s (${ours.seconds.toFixed(2)} s), peak ${ours.rssMb.toFixed(0)} MB`, `read_parquet ${(n / floor.seconds / 1e6).toFixed(2)} M rows/s (${floor.seconds.toFixed(2)} s), peak ${floor.rssMb.toFixed(0)} MB`, `${(ours.seconds / floor.seconds).toFixed(2)}× the floor's time`],
      ['group-by end to end', `${q.seconds.toFixed(2)} s`, `jq ${jqScaled.toFixed(1)} s (measured ${jq.seconds.toFixed(1)} s on ${Math.min(n, jqEvents)} events, scaled)`, `${(jqScaled / q.seconds).toFixed(0)}× faster`],
    ];
    console.log(`\n${n} events (synthetic: mostly syscall aggregates, with exec/fork/exit/open/TCP events)\n`);
    console.log('| measure | contxray | peer / floor | ratio |\n|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
