/**
 * One measurement per process (so peak RSS is its own) for bench/capture.ts. Prints JSON
 * {seconds, rssMb} of the measured step only (RSS is the process peak).
 */
import { mkdirSync } from 'node:fs';
import { api } from '../src/analyze/duckdb.js';
import { Analysis } from '../src/analyze/db.js';
import { KINDS } from '../src/capture/schema.js';

// the copy of DuckDB's JavaScript contxray runs (src/analyze/duckdb.ts), not a second one
const { DuckDBInstance } = api;

const [mode, a, b] = process.argv.slice(2);
const report = (seconds: number) => console.log(JSON.stringify({ seconds, rssMb: process.resourceUsage().maxRSS / 1024 }));

if (mode === 'load-capture') {
  const t = performance.now();
  const an = await Analysis.open([a!]);
  report((performance.now() - t) / 1000);
  an.close();
} else if (mode === 'to-parquet') {
  const an = await Analysis.open([a!]);
  mkdirSync(b!, { recursive: true });
  for (const k of KINDS) await an.connection.run(`COPY ev_${k} TO '${b}/ev_${k}.parquet' (FORMAT parquet)`);
  an.close();
  report(0);
} else if (mode === 'load-parquet') {
  const inst = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' });
  const c = await inst.connect();
  const t = performance.now();
  for (const k of KINDS) await c.run(`CREATE TABLE ev_${k} AS SELECT * FROM read_parquet('${a}/ev_${k}.parquet')`);
  report((performance.now() - t) / 1000);
} else {
  throw new Error(`unknown mode ${mode}`);
}
