/**
 * The load worker (worker_threads): reads, decompresses and decodes the captures while the main
 * thread appends what it sends (load-pipeline.ts). It numbers the dictionary strings (one id space,
 * so its ids are the analysis database's), and sends each batch's column buffers as transferred
 * ArrayBuffers (no copy crossing threads), with the strings that batch numbered first. At most
 * `window` batches are in flight: the main thread sends a credit per batch appended, so a fast
 * reader never piles up decoded batches in memory.
 *
 * Messages to the parent: {type:'batch', unit, batch, strings, bytes} per batch, {type:'unit',
 * result} per capture, then {type:'done'} or {type:'error', error} (an ErrorMessage: a
 * CaptureError's code survives the crossing). No DuckDB here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeBatch, GlobalStrings, transferList } from './load-decode.js';
import { readUnit, toErrorMessage, type LoadUnit } from './load-part.js';

export interface WorkerInput {
  units: LoadUnit[];
  /** Batches sent and not yet appended, at most. */
  window: number;
}

async function run({ units, window }: WorkerInput): Promise<void> {
  const port = parentPort!;
  let credits = window;
  let wake: (() => void) | null = null;
  port.on('message', () => {
    credits++;
    wake?.();
    wake = null;
  });
  const strings = new GlobalStrings();
  for (const [index, unit] of units.entries()) {
    const result = await readUnit(unit, strings, async (kind, batch, state, bytes) => {
      while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
      credits--;
      const decoded = decodeBatch(kind, batch, state, true);
      port.postMessage({ type: 'batch', unit: index, batch: decoded, strings: strings.takeNew(), bytes }, transferList(decoded));
    });
    port.postMessage({ type: 'unit', result });
  }
  port.postMessage({ type: 'done' });
  port.removeAllListeners('message'); // and the worker exits
}

run(workerData as WorkerInput).catch((err: unknown) => parentPort!.postMessage({ type: 'error', error: toErrorMessage(err) }));
