/**
 * The exposition of the live exporter, rendered off the scrape path (after a flush) without
 * blocking the recorder's event loop, which also polls the BPF ring buffer.
 *
 * prom-client still formats every line: `Registry.getMetricsAsString()` is handed a family's
 * samples in slices of at most `sliceSeries`, and the event loop runs between slices. What is ours
 * is only the seams, exactly as `registry.metrics()` joins them (checked byte for byte against it
 * in test/unit/metrics-render.test.ts):
 * - a family rendered in several slices repeats its `# HELP`/`# TYPE` header in each: the header
 *   is kept once (the first slice's) and cut from the others;
 * - families are joined by a blank line (text) or a newline plus `# EOF` at the end (OpenMetrics);
 * - OpenMetrics counters are declared without `_total` (prom-client's `registry.metrics()` does
 *   it by renaming the metric for good; here it is the name handed to the formatter).
 *
 * A rendering works on a snapshot taken synchronously when it starts (every family's series and
 * values): a flush that lands between two slices changes nothing in it, so no scrape ever sees a
 * half-updated exposition. The bytes go into a buffer that is reused from one rendering to the
 * next: a fresh multi-megabyte buffer costs ~16 ms of page faults per rendering on this host.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Registry, type RegistryContentType } from 'prom-client';
import type { StoredMetric, StoredSample } from './stored.js';

interface FamilySnapshot {
  name: string;
  help: string;
  type: string;
  samples: StoredSample[];
  values: Float64Array;
}

/** Every family's series and their values at one instant (no await: nothing runs in between). */
export type Snapshot = FamilySnapshot[];

export function snapshot(metrics: readonly StoredMetric[]): Snapshot {
  return metrics.map((m) => {
    const samples = [...m.samples];
    const values = new Float64Array(samples.length);
    for (let i = 0; i < samples.length; i++) values[i] = samples[i]!.value;
    return { name: m.sampleName, help: m.help, type: m.type, samples, values };
  });
}

/** Grows by doubling; its buffer is handed back for the next rendering once nobody reads it. */
export class ByteSink {
  length = 0;
  constructor(public buffer: Buffer) {}

  write(text: string): void {
    if (this.buffer.length - this.length < text.length * 3) {
      const need = this.length + Buffer.byteLength(text, 'utf8');
      if (need > this.buffer.length) {
        const bigger = Buffer.allocUnsafeSlow(Math.max(need, this.buffer.length * 2));
        this.buffer.copy(bigger, 0, 0, this.length);
        this.buffer = bigger;
      }
    }
    this.length += this.buffer.write(text, this.length, 'utf8');
  }
}

export interface RenderStats {
  /** CPU time of this process during the slices (user + system, all threads), ms; NaN unless
   *  asked for (`measureCpu`: two getrusage calls per slice, ~5 % of a rendering). */
  cpuMs: number;
  /** From the snapshot to the last byte, event-loop turns in between included, ms. */
  wallMs: number;
  slices: number;
  /** The longest slice: the longest the event loop was held by this rendering, ms. */
  maxSliceMs: number;
}

/** `Registry.getMetricsAsString(metric)`: public in prom-client 15, missing from its typings. */
interface Formatter {
  getMetricsAsString(metric: { get(): Promise<unknown> }): Promise<string>;
}

function formatter(contentType: RegistryContentType): Formatter {
  const r = new Registry<RegistryContentType>();
  r.setContentType(contentType);
  return r as unknown as Formatter;
}

/** Formatting-only registries (nothing registered): one per content type, never switched. */
const FORMATTERS = {
  text: formatter(Registry.PROMETHEUS_CONTENT_TYPE),
  openMetrics: formatter(Registry.OPENMETRICS_CONTENT_TYPE),
};

const processCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Writes the exposition of `snap` into `sink`, in slices of at most `sliceSeries` series with an
 * event-loop turn between slices (`pause`, replaceable for tests).
 */
export async function render(
  snap: Snapshot,
  openMetrics: boolean,
  sink: ByteSink,
  opts: { sliceSeries: number; pause?: () => Promise<unknown>; measureCpu?: boolean },
): Promise<RenderStats> {
  const fmt = openMetrics ? FORMATTERS.openMetrics : FORMATTERS.text;
  const pause = opts.pause ?? (() => nextTurn());
  const stats: RenderStats = { cpuMs: opts.measureCpu ? 0 : NaN, wallMs: 0, slices: 0, maxSliceMs: 0 };
  const cpuNow = opts.measureCpu ? processCpuMs : () => 0;
  const start = performance.now();
  let sliceStart = start;
  let cpuStart = cpuNow();
  const endSlice = async () => {
    const ms = performance.now() - sliceStart;
    stats.cpuMs += cpuNow() - cpuStart;
    stats.slices++;
    if (ms > stats.maxSliceMs) stats.maxSliceMs = ms;
    await pause();
    sliceStart = performance.now();
    cpuStart = cpuNow();
  };
  let inSlice = 0;
  for (let f = 0; f < snap.length; f++) {
    const fam = snap[f]!;
    const name = openMetrics && fam.type === 'counter' ? fam.name.replace(/_total$/, '') : fam.name;
    const format = (from: number, to: number) => {
      const values: StoredSample[] = [];
      for (let i = from; i < to; i++) values.push({ value: fam.values[i]!, labels: fam.samples[i]!.labels, sharedLabels: fam.samples[i]!.sharedLabels });
      return fmt.getMetricsAsString({ get: async () => ({ name, help: fam.help, type: fam.type, values, aggregator: 'sum' }) });
    };
    if (f > 0) sink.write(openMetrics ? '\n' : '\n\n');
    const header = await format(0, 0);
    for (let from = 0; from < fam.samples.length || from === 0; from += opts.sliceSeries) {
      const to = Math.min(fam.samples.length, from + opts.sliceSeries);
      const text = await format(from, to);
      if (from === 0) sink.write(text);
      else if (text.startsWith(header + '\n')) sink.write(text.slice(header.length));
      else throw new Error(`prom-client rendered ${fam.name} without its header`);
      inSlice += to - from;
      if (inSlice >= opts.sliceSeries) {
        inSlice = 0;
        await endSlice();
      }
      if (to === fam.samples.length) break;
    }
  }
  sink.write(openMetrics ? '\n# EOF\n' : '\n');
  stats.cpuMs += cpuNow() - cpuStart;
  stats.slices++;
  stats.maxSliceMs = Math.max(stats.maxSliceMs, performance.now() - sliceStart);
  stats.wallMs = performance.now() - start;
  return stats;
}
