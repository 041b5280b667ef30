/**
 * The pipelined load's source: the load worker (load-worker.ts) reads, decompresses and decodes
 * the captures while this thread puts the rows into the database (load-feed.ts). The feed takes
 * messages inside DuckDB's calls, where it cannot await, so it takes them synchronously:
 * receiveMessageOnPort, and Atomics.wait on the worker's signal while there is none yet.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { CaptureError } from '../util/errors.js';
import type { LoadMessage, LoadUnit } from './load-part.js';
import type { MessageSource } from './load-feed.js';
import { HEARTBEAT_MS, type WorkerInput } from './load-worker.js';

// The worker module compiled beside this one (dist/ in the repo and in an installed package alike).
const WORKER = new URL('./load-worker.js', import.meta.url);
/** Decoded batches in flight: enough that neither side waits on the other, few enough to stay small (~4 MB each). */
const WINDOW = 8;
/** No message and no heartbeat from a running worker for this long: it is gone. */
const WORKER_LOST_MS = 60_000;

/** Runs `fn` with the messages of a load worker decoding `units`; the worker is gone when it returns. */
export async function withWorker<T>(units: LoadUnit[], shimDir: string | null, fn: (source: MessageSource) => Promise<T>): Promise<T> {
  const { port1, port2 } = new MessageChannel();
  const signal = new Int32Array(new SharedArrayBuffer(8));
  const input: WorkerInput = { units, shimDir, window: WINDOW, port: port2, signal: signal.buffer as SharedArrayBuffer };
  const worker = new Worker(WORKER, { workerData: input, transferList: [port2] });
  let failed: Error | null = null;
  worker.once('error', (err) => (failed ??= new CaptureError('load-failed', `load worker failed: ${err.message}`, { cause: err })));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  try {
    await started(signal, exited, () => failed);
    return await fn(new WorkerSource(port1, signal, () => failed));
  } finally {
    port1.close();
    await worker.terminate();
    await exited;
  }
}

/** Resolves once the worker has sent its first message (its modules loaded), without blocking this thread. */
async function started(signal: Int32Array, exited: Promise<void>, failed: () => Error | null): Promise<void> {
  const wait = waitAsync(signal, 0, 0);
  if (wait.async) await Promise.race([wait.value, exited]);
  const err = failed();
  if (err) throw err;
  if (Atomics.load(signal, 0) === 0) throw new CaptureError('load-failed', 'load worker exited before it started');
}

// Atomics.waitAsync is in Node ≥ 16; TypeScript lists it from lib es2024 on.
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, timeout?: number): { async: boolean; value: Promise<string> | string } }).waitAsync;

class WorkerSource implements MessageSource {
  /** Taken by ready(), not yet returned by next(). */
  private readonly held: LoadMessage[] = [];

  constructor(
    private readonly port: MessagePort,
    private readonly signal: Int32Array,
    private readonly failed: () => Error | null,
  ) {}

  /** A credit: one more batch may be decoded. */
  taken(): void {
    this.port.postMessage(1);
  }

  /** Resolves once a message is there, waiting without blocking this thread (Atomics.waitAsync). */
  async ready(): Promise<void> {
    const alive = this.watch();
    while (this.held.length === 0) {
      const seen = Atomics.load(this.signal, 0);
      const got = this.poll();
      if (got) this.held.push(got);
      else {
        const wait = waitAsync(this.signal, 0, seen, HEARTBEAT_MS * 5);
        if ((wait.async ? await wait.value : wait.value) === 'timed-out') alive();
      }
    }
  }

  /** The next message, waiting for it. */
  next(): LoadMessage {
    const held = this.held.shift();
    if (held) return held;
    const alive = this.watch();
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      const got = this.poll();
      if (got) return got;
      if (Atomics.wait(this.signal, 0, seen, HEARTBEAT_MS * 5) === 'timed-out') alive();
    }
  }

  /** A message if one is there; throws the worker's failure. */
  private poll(): LoadMessage | null {
    const got = receiveMessageOnPort(this.port);
    if (got) return got.message as LoadMessage;
    const failed = this.failed();
    if (failed) throw failed;
    return null;
  }

  /** A check to call after each wait that timed out: throws once the worker's heartbeat has stopped for WORKER_LOST_MS. */
  private watch(): () => void {
    let beat = Atomics.load(this.signal, 1);
    let quietSince = performance.now();
    return () => {
      const now = Atomics.load(this.signal, 1);
      if (now !== beat) [beat, quietSince] = [now, performance.now()];
      else if (performance.now() - quietSince > WORKER_LOST_MS) throw new CaptureError('load-failed', `the load worker stopped answering (nothing for ${WORKER_LOST_MS / 1000} s)`);
    };
  }
}
