/**
 * The load worker (worker_threads): reads, decompresses and decodes the captures while the main
 * thread puts what it sends into the database (load-pipeline.ts). It numbers the dictionary
 * strings (one id space, so its ids are the analysis database's), and sends each batch's column
 * buffers as transferred ArrayBuffers (no copy crossing threads), with the strings that batch
 * numbered first. At most `window` batches are in flight: the main thread sends a credit per batch
 * it took, so a fast reader never piles up decoded batches in memory.
 *
 * The main thread takes the messages synchronously, inside DuckDB's calls for the next rows
 * (receiveMessageOnPort on `port`), so after every message this worker bumps `signal[0]` and wakes
 * it (Atomics.notify); `signal[1]` is a heartbeat, so a worker that died without a word is noticed.
 * The decoding modules are imported after the heartbeat starts, so even a failed import is a message.
 *
 * Messages on `port`: decodeUnits()'s (load-part.ts), or {type:'error', error} (an ErrorMessage:
 * a CaptureError's code survives the crossing). No DuckDB here.
 */
import { isMainThread, workerData, type MessagePort } from 'node:worker_threads';
import type { LoadMessage, LoadUnit } from './load-part.js';

export interface WorkerInput {
  units: LoadUnit[];
  /** The directory the bulk kind's deferred batches go to (load-shim.ts), or null. */
  shimDir: string | null;
  /** Batches sent and not yet taken, at most. */
  window: number;
  port: MessagePort;
  /** Int32 [messages sent, heartbeat]. */
  signal: SharedArrayBuffer;
}


/** How often the heartbeat beats. */
export const HEARTBEAT_MS = 200;

async function run({ units, shimDir, window, port, signal }: WorkerInput): Promise<void> {
  const sig = new Int32Array(signal);
  const send = (message: LoadMessage, transfer: ArrayBuffer[] = []) => {
    port.postMessage(message, transfer);
    Atomics.add(sig, 0, 1);
    Atomics.notify(sig, 0);
  };
  const beat = setInterval(() => Atomics.add(sig, 1, 1), HEARTBEAT_MS);
  let credits = window;
  let wake: (() => void) | null = null;
  port.on('message', () => {
    credits++;
    wake?.();
    wake = null;
  });
  try {
    await (await import('../capture/zstd.js')).useZstd();
    const { GlobalStrings, transferList } = await import('./load-decode.js');
    const { decodeUnits } = await import('./load-part.js');
    for (const m of decodeUnits(units, new GlobalStrings(), true, shimDir)) {
      if (m.type !== 'batch') {
        send(m);
        continue;
      }
      send(m, transferList(m.batch));
      credits--;
      while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
    }
  } catch (err) {
    const { toErrorMessage } = await import('./load-part.js').catch(() => ({ toErrorMessage: (e: unknown) => ({ name: 'Error', message: String(e) }) }));
    send({ type: 'error', error: toErrorMessage(err) });
  } finally {
    clearInterval(beat);
    port.close(); // and the worker exits
  }
}

// Imported by the main thread too, for HEARTBEAT_MS and the types.
if (!isMainThread) void run(workerData as WorkerInput);
