import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { ChildCache } from './child-cache.ts';

/**
 * Labelled metrics whose hot path is plain JavaScript: each label combination is resolved once (by
 * ChildCache's nested maps) to a slot object holding a number (counters, gauges) or bucket counts,
 * sum and count (histograms); `inc`/`set`/`observe` only touch that slot. prom-client still owns
 * names, help, types, label names and the exposition: the values are handed to it at scrape time
 * (counters and gauges through the public `collect` hook, histograms by a subclass that builds the
 * same sample list prom-client's own Histogram builds). prom-client instead builds a label hash
 * string, looks it up and validates the labels on every inc/observe, even through a child.
 */

type Labels = Readonly<Record<string, string>>;

export interface SeriesOptions<T extends string> {
  /** The metric's name. */
  readonly name: string;
  /** Its HELP text. */
  readonly help: string;
  /** Its labels, in the order `get` and `labels` take their values. */
  readonly labelNames: readonly T[];
  /**
   * Labels left out of the exposition (`telemetry.tenant_labels: false`). Their values are still
   * passed in place (the positions do not move); the caller passes one constant for them, so the
   * series that differ only there are one series.
   */
  readonly omittedLabels?: readonly T[] | undefined;
}

/** The label names a series exposes: its label names but the omitted ones. */
function exposedNames<T extends string>(options: SeriesOptions<T>): T[] {
  const omitted = options.omittedLabels ?? [];
  return options.labelNames.filter((name) => !omitted.includes(name));
}

function labelsOf(names: readonly string[], exposed: readonly string[], values: readonly string[]): Labels {
  const labels: Record<string, string> = {};
  names.forEach((name, index) => {
    if (exposed.includes(name)) labels[name] = values[index] ?? '';
  });
  return labels;
}

/** A value that must be a finite number (prom-client rejects the others too). */
function finite(value: number): number {
  if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${String(value)}`);
  return value;
}

/** Label sets in first-use order (the order prom-client would expose them in) and their slots. */
class Slots<S> {
  readonly list: S[] = [];
  readonly #cache: ChildCache<S>;
  readonly #depth: number;

  constructor(labelNames: readonly string[], exposed: readonly string[], create: (labels: Labels) => S) {
    this.#depth = labelNames.length;
    this.#cache = new ChildCache(labelNames.length, (values) => {
      const slot = create(labelsOf(labelNames, exposed, values));
      this.list.push(slot);
      return slot;
    });
  }

  get(a: string, b?: string, c?: string, d?: string, e?: string, f?: string): S {
    return this.#cache.get(a, b, c, d, e, f);
  }

  /** prom-client's `labels(...values)`: the slot for these values, in label order. */
  labels(values: readonly string[]): S {
    if (values.length !== this.#depth) {
      throw new Error(`Invalid number of arguments (${values.length}) for ${this.#depth} labels`);
    }
    const [a = '', b, c, d, e, f] = values;
    return this.#cache.get(a, b, c, d, e, f);
  }
}

export class CounterSlot {
  value = 0;
  readonly labels: Labels;
  constructor(labels: Labels) {
    this.labels = labels;
  }
  inc(by = 1): void {
    if (!(finite(by) >= 0)) throw new Error('It is not possible to decrease a counter');
    this.value += by;
  }
}

export class GaugeSlot {
  value = 0;
  readonly labels: Labels;
  constructor(labels: Labels) {
    this.labels = labels;
  }
  inc(by = 1): void {
    this.value += finite(by);
  }
  dec(by = 1): void {
    this.value -= finite(by);
  }
  set(value: number): void {
    this.value = finite(value);
  }
}

export class HistogramSlot {
  /** Observations per bucket (not cumulative), index i for `value <= bounds[i]`; above all: count only. */
  readonly buckets: Float64Array;
  sum = 0;
  count = 0;
  readonly labels: Labels;
  readonly #bounds: readonly number[];
  constructor(labels: Labels, bounds: readonly number[]) {
    this.labels = labels;
    this.#bounds = bounds;
    this.buckets = new Float64Array(bounds.length);
  }
  observe(value: number): void {
    finite(value);
    const bounds = this.#bounds;
    for (let index = 0; index < bounds.length; index++) {
      if (value <= (bounds[index] ?? Infinity)) {
        this.buckets[index] = (this.buckets[index] ?? 0) + 1;
        break;
      }
    }
    this.sum += value;
    this.count += 1;
  }
}

export class CounterSeries<T extends string> {
  readonly #slots: Slots<CounterSlot>;
  constructor(registry: Registry, options: SeriesOptions<T>) {
    const labelNames = exposedNames(options);
    const slots = new Slots(options.labelNames, labelNames, (labels) => new CounterSlot(labels));
    this.#slots = slots;
    new Counter<string>({
      name: options.name,
      help: options.help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const slot of slots.list) this.inc(slot.labels, slot.value);
      },
    });
  }
  get(a: string, b?: string, c?: string, d?: string, e?: string, f?: string): CounterSlot {
    return this.#slots.get(a, b, c, d, e, f);
  }
  labels(...values: string[]): CounterSlot {
    return this.#slots.labels(values);
  }
}

export class GaugeSeries<T extends string> {
  readonly #slots: Slots<GaugeSlot>;
  constructor(registry: Registry, options: SeriesOptions<T>) {
    const labelNames = exposedNames(options);
    const slots = new Slots(options.labelNames, labelNames, (labels) => new GaugeSlot(labels));
    this.#slots = slots;
    new Gauge<string>({
      name: options.name,
      help: options.help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const slot of slots.list) this.set(slot.labels, slot.value);
      },
    });
  }
  get(a: string, b?: string, c?: string, d?: string, e?: string, f?: string): GaugeSlot {
    return this.#slots.get(a, b, c, d, e, f);
  }
  labels(...values: string[]): GaugeSlot {
    return this.#slots.labels(values);
  }
}

/** One exposition sample as prom-client's Histogram hands it to the Registry (labels + shared set). */
interface HistogramSample {
  readonly labels: Record<string, string | number>;
  readonly sharedLabels: Labels;
  readonly value: number;
  readonly metricName: string;
  /** What prom-client puts there without exemplars (null on buckets, undefined on sum and count). */
  readonly exemplar: null | undefined;
}

/**
 * prom-client's Histogram with the samples built from slots. The Registry formats a histogram from
 * `getForPromString()` (and prom-client's `get()`, used by getMetricsAsJSON, derives from it), so
 * that is the one method replaced; it yields the same samples in the same order as the original.
 */
class SlotHistogram<T extends string> extends Histogram<T> {
  readonly #slots: () => readonly HistogramSlot[];
  readonly #options: SeriesOptions<T> & { readonly buckets: readonly number[] };

  constructor(
    registry: Registry,
    options: SeriesOptions<T> & { readonly buckets: readonly number[] },
    slots: () => readonly HistogramSlot[],
  ) {
    super({
      name: options.name,
      help: options.help,
      labelNames: exposedNames(options),
      buckets: [...options.buckets],
      registers: [registry],
    });
    this.#options = options;
    this.#slots = slots;
  }

  getForPromString(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    values: HistogramSample[];
    aggregator: 'sum';
  }> {
    const { name, help, buckets } = this.#options;
    const bucketName = `${name}_bucket`;
    const values: HistogramSample[] = [];
    for (const slot of this.#slots()) {
      const sharedLabels = slot.labels;
      let cumulative = 0;
      buckets.forEach((bound, index) => {
        cumulative += slot.buckets[index] ?? 0;
        values.push({
          labels: { le: bound },
          sharedLabels,
          value: cumulative,
          metricName: bucketName,
          exemplar: null,
        });
      });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels, value: slot.count, metricName: bucketName, exemplar: null },
        { labels: {}, sharedLabels, value: slot.sum, metricName: `${name}_sum`, exemplar: undefined },
        { labels: {}, sharedLabels, value: slot.count, metricName: `${name}_count`, exemplar: undefined },
      );
    }
    return Promise.resolve({ name, help, type: 'histogram', values, aggregator: 'sum' });
  }
}

export class HistogramSeries<T extends string> {
  readonly #slots: Slots<HistogramSlot>;
  constructor(registry: Registry, options: SeriesOptions<T> & { readonly buckets: readonly number[] }) {
    const bounds = [...options.buckets];
    const slots = new Slots(
      options.labelNames,
      exposedNames(options),
      (labels) => new HistogramSlot(labels, bounds),
    );
    this.#slots = slots;
    new SlotHistogram(registry, options, () => slots.list);
  }
  get(a: string, b?: string, c?: string, d?: string, e?: string, f?: string): HistogramSlot {
    return this.#slots.get(a, b, c, d, e, f);
  }
  labels(...values: string[]): HistogramSlot {
    return this.#slots.labels(values);
  }
}
