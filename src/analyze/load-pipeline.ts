/**
 * The pipelined load: the load worker (load-worker.ts) reads, decompresses and decodes the
 * captures in order while this thread appends the decoded batches into the analysis database, so
 * both cores work and every row is appended once, straight into its final table (no second
 * database to copy in). The worker numbers the strings; its new strings arrive with the batch
 * that first uses them and are added to `strings` in the same order, so ids agree.
 */
import { Worker } from 'node:worker_threads';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { appendDecoded, withAppenders, type GlobalStrings } from './append.js';
import type { DecodedBatch } from './load-decode.js';
import type { ErrorMessage, LoadUnit, UnitResult } from './load-part.js';
import type { WorkerInput } from './load-worker.js';
import type { Kind } from '../capture/schema.js';
import { CaptureError, ContxrayError, OutputError, QueryError, RecorderError, SelectionError, UsageError } from '../util/errors.js';

// The worker module compiled beside this one (dist/ in the repo and in an installed package alike).
const WORKER = new URL('./load-worker.js', import.meta.url);
/** Decoded batches in flight: enough that neither side waits on the other, few enough to stay small (~4 MB each). */
const WINDOW = 8;

type Message =
  | { type: 'batch'; unit: number; batch: DecodedBatch; strings: string[]; bytes: number }
  | { type: 'unit'; result: UnitResult }
  | { type: 'done' }
  | { type: 'error'; error: ErrorMessage };

/** Loads `units` (whole captures, in order) into `conn`; `count` is called per appended batch. */
export async function loadPipelined(
  conn: DuckDBConnection,
  units: LoadUnit[],
  strings: GlobalStrings,
  count: (unit: LoadUnit, rows: number, bytes: number) => void,
): Promise<UnitResult[]> {
  return withAppenders(conn, (appenders) => pipeline(appenders, units, strings, count));
}

async function pipeline(appenders: Map<Kind, DuckDBAppender>, units: LoadUnit[], strings: GlobalStrings, count: (unit: LoadUnit, rows: number, bytes: number) => void): Promise<UnitResult[]> {
  const worker = new Worker(WORKER, { workerData: { units, window: WINDOW } satisfies WorkerInput });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  try {
    return await new Promise<UnitResult[]>((resolve, reject) => {
      const results: UnitResult[] = [];
      let done = false;
      worker.on('message', (m: Message) => {
        if (done) return;
        try {
          if (m.type === 'batch') {
            const unit = units[m.unit]!;
            strings.addAll(m.strings);
            appendDecoded(appenders.get(m.batch.kind)!, m.batch, unit.captureId);
            worker.postMessage(1); // a credit: one more batch may be decoded
            count(unit, m.batch.rows, m.bytes);
          } else if (m.type === 'unit') results.push(m.result);
          else if (m.type === 'done') {
            done = true;
            resolve(results);
          } else {
            done = true;
            reject(fromErrorMessage(m.error));
          }
        } catch (err) {
          done = true;
          reject(err);
        }
      });
      worker.once('error', (err) => {
        done = true;
        reject(new CaptureError('load-failed', `load worker failed: ${err.message}`, { cause: err }));
      });
      worker.once('exit', (code) => {
        if (!done) reject(new CaptureError('load-failed', `load worker exited (${code}) before it finished`));
        done = true;
      });
    });
  } finally {
    await worker.terminate();
    await exited;
  }
}

const CLASSES: Record<string, new (code: string, message: string) => ContxrayError> = {
  CaptureError,
  UsageError,
  OutputError,
  QueryError,
  SelectionError,
  RecorderError,
};

/** A worker's error as the domain error it was, code and message intact. */
function fromErrorMessage(e: ErrorMessage): Error {
  const Class = CLASSES[e.name];
  if (Class && e.code) return new Class(e.code, e.message);
  return new CaptureError('load-failed', `loading failed: ${e.message}`);
}
