/**
 * One measured load per process (so peak RSS is its own), for bench/interactive/load.ts (kept
 * outside bench/interactive/, whose files are all bench parts). Prints JSON {seconds, rows,
 * threads} of the measured step only.
 *
 *   load-child contxray CAPTURE…        Analysis.open (threads from CONTXRAY_LOAD_THREADS)
 *   load-child parquet DIR              read_parquet DIR/ev_<kind>.parquet into a file-backed database
 *   load-child to-parquet DIR CAPTURE…  writes the loaded tables as DIR/ev_<kind>.parquet
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api } from '../src/analyze/duckdb.js';
import { Analysis } from '../src/analyze/db.js';
import { KINDS } from '../src/capture/schema.js';

// the copy of DuckDB's JavaScript contxray runs (src/analyze/duckdb.ts), not a second one
const { DuckDBInstance } = api;

const [mode, ...args] = process.argv.slice(2);
const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

if (mode === 'contxray') {
  const t = performance.now();
  const an = await Analysis.open(args);
  const seconds = (performance.now() - t) / 1000;
  console.log(JSON.stringify({ seconds, rows: an.load!.rows, threads: an.load!.threads }));
  an.close();
} else if (mode === 'parquet') {
  // The same kind of database contxray loads into without --db: a file in a scratch dir.
  const dir = mkdtempSync(join(tmpdir(), 'contxray-bench-pq-'));
  try {
    const inst = await DuckDBInstance.create(join(dir, 'floor.duckdb'), { autoinstall_known_extensions: 'false' });
    const c = await inst.connect();
    const t = performance.now();
    let rows = 0;
    for (const k of KINDS) {
      await c.run(`CREATE TABLE ev_${k} AS SELECT * FROM read_parquet(${quote(join(args[0]!, `ev_${k}.parquet`))})`);
      rows += Number((await c.runAndReadAll(`SELECT count(*) FROM ev_${k}`)).getRows()[0]![0]);
    }
    const seconds = (performance.now() - t) / 1000;
    console.log(JSON.stringify({ seconds, rows, threads: 0 }));
    c.closeSync();
    inst.closeSync();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else if (mode === 'to-parquet') {
  const [out, ...captures] = args;
  const an = await Analysis.open(captures);
  mkdirSync(out!, { recursive: true });
  for (const k of KINDS) await an.connection.run(`COPY ev_${k} TO ${quote(join(out!, `ev_${k}.parquet`))} (FORMAT parquet)`);
  console.log(JSON.stringify({ seconds: 0, rows: an.load!.rows, threads: an.load!.threads }));
  an.close();
} else {
  throw new Error(`unknown mode ${mode}`);
}
