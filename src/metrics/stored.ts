/**
 * prom-client metrics whose per-container series live in our own objects, so that a flush updates a
 * series with one addition instead of prom-client's `inc(labels)`, which rebuilds a label hash
 * string and looks it up in a 30,000-key object for every series at every flush (100 containers ×
 * 100 syscalls: ~180 ms per flush, measured in bench/live-scrape.ts).
 *
 * prom-client still does all the exposition: `get()` hands the registry our samples next to its
 * own (the self-metrics use the ordinary inc/set API), and the registry formats them. A sample
 * carries all its labels as `sharedLabels`, one object for the series' life: the registry caches
 * the formatted (escaped) label set per such object (a WeakMap), so a render formats each series'
 * labels once in its life instead of at every scrape.
 *
 * The live exporter renders from a snapshot of `samples` (render.ts) rather than through `get()`;
 * `get()` stays what prom-client's own `registry.metrics()` reads (the tests compare both).
 */
import { Counter, Gauge, type CounterConfiguration, type GaugeConfiguration } from 'prom-client';

export type Labels = Record<string, string>;

/** One series: its value and labels, as prom-client's registry reads them. */
export interface StoredSample {
  value: number;
  /** Always empty: the labels are in sharedLabels. */
  labels: Labels;
  /** All labels of the series (host, container_id, container, syscall …), in one object for its life. */
  sharedLabels: Labels;
}

type Got = Awaited<ReturnType<Counter<string>['get']>>;

function withSamples(got: Got, samples: Set<StoredSample>): Got {
  // An array spread, not push(...): 100,000s of series must not become call arguments.
  return samples.size === 0 ? got : { ...got, values: [...got.values, ...samples] };
}

export class StoredCounter extends Counter<string> {
  readonly samples = new Set<StoredSample>();
  /** prom-client's own fields (not in its typings): the registry reads the family from them. */
  declare name: string;
  declare help: string;
  declare type: 'counter';
  /** The name of its samples (`…_total`), whatever an OpenMetrics rendering did to `name`. */
  readonly sampleName: string;

  constructor(config: CounterConfiguration<string>) {
    super(config);
    this.sampleName = config.name;
  }

  /** An OpenMetrics rendering strips `_total` from `name` for good (prom-client 15.1.3 mutates the
   *  metric), after which the text format would serve `contxray_syscalls` instead of
   *  `contxray_syscalls_total`: call this before each text rendering. */
  restoreName(): void {
    this.name = this.sampleName;
  }

  override async get(): Promise<Got> {
    return withSamples(await super.get(), this.samples);
  }
}

export class StoredGauge extends Gauge<string> {
  readonly samples = new Set<StoredSample>();
  declare help: string;
  declare type: 'gauge';
  readonly sampleName: string;

  constructor(config: GaugeConfiguration<string>) {
    super(config);
    this.sampleName = config.name;
  }

  override async get(): Promise<Got> {
    return withSamples(await super.get(), this.samples);
  }
}

export type StoredMetric = StoredCounter | StoredGauge;
