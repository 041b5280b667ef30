/**
 * A load worker (worker_threads): appends its units into a DuckDB database of its own (a file in
 * the loader's private scratch dir), with its own string ids, checkpoints and closes it; the main
 * thread then attaches that file and copies it into the analysis database (load-merge.ts).
 * DuckDB objects cannot cross threads, so each worker has its own instance; its appends run on
 * its own core while the main thread appends its share.
 *
 * Messages to the parent: {type:'rows', unit, rows, bytes} per batch, then {type:'done', results}
 * or {type:'error', error} (an ErrorMessage: the CaptureError's code survives the crossing).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DuckDBInstance } from '@duckdb/node-api';
import { GlobalStrings, tableDdl } from './append.js';
import { loadUnits, toErrorMessage, type LoadUnit, type UnitResult } from './load-part.js';

export interface WorkerInput {
  db: string;
  units: LoadUnit[];
}

async function run({ db, units }: WorkerInput): Promise<void> {
  // One thread: the parallelism is across workers; DuckDB's own pool would only contend with them.
  const instance = await DuckDBInstance.create(db, { threads: '1', autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  const conn = await instance.connect();
  let results: UnitResult[];
  try {
    await conn.run(tableDdl());
    const strings = new GlobalStrings();
    results = await loadUnits(conn, units, strings, (unit, rows, bytes) => parentPort!.postMessage({ type: 'rows', unit, rows, bytes }));
    await strings.store(conn);
    await conn.run('CHECKPOINT');
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  // Only once the database is closed: the main thread attaches the file next.
  parentPort!.postMessage({ type: 'done', results });
}

run(workerData as WorkerInput).catch((err: unknown) => parentPort!.postMessage({ type: 'error', error: toErrorMessage(err) }));
