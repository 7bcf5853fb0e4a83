/**
 * Counts and histograms kept per label set in plain numbers, and shown to prom-client as metrics
 * of their own (`get()`, as prom-client's registry reads every metric). prom-client's Counter and
 * Histogram hash and validate their labels on every call; at ten thousand runs a second that is
 * most of what metrics cost, so the runs' metrics count here (a Map lookup and a few additions per
 * run) and are turned into samples only when scraped.
 */

/** One label set's observations: count, sum and a count per bucket (not cumulative). */
export class Observations {
  count = 0;
  sum = 0;
  readonly buckets: Float64Array;

  constructor(private readonly bounds: readonly number[]) {
    this.buckets = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    this.count++;
    this.sum += value;
    const { bounds } = this;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]) {
        this.buckets[i]++;
        return;
      }
    }
  }
}

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
  /** Labels prom-client formats once per object and caches (by identity) for the text exposition. */
  sharedLabels?: Record<string, string>;
}

/**
 * For the text exposition (registry.metrics() asks getForPromString() when a metric has it), each
 * series' labels are given as `sharedLabels`: prom-client formats and escapes such an object once
 * and keeps the text, where it formats `labels` afresh on every scrape. At 10,000 jobs the run
 * counter's scrape then takes ~5-8 ms instead of ~35 ms, a stretch in which the loop fires nothing
 * (bench/, scenario admin-cost). get() (getMetricsAsJSON, cluster aggregation) keeps plain labels.
 */
const NO_LABELS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** What prom-client's registry asks of a metric. */
export interface RegistrableMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }>;
  getForPromString(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }>;
  reset(): void;
}

/** A counter per label set (the labels given as a record, built once per set by the caller). */
export class CounterFamily implements RegistrableMetric {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  private readonly counts = new Map<string, { labels: Record<string, string>; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** The counter of a label set, by a key the caller makes unique per set. */
  series(key: string, labels: () => Record<string, string>): { value: number } {
    let entry = this.counts.get(key);
    if (entry === undefined) {
      entry = { labels: labels(), value: 0 };
      this.counts.set(key, entry);
    }
    return entry;
  }

  get() {
    return this.samples(false);
  }

  getForPromString() {
    return this.samples(true);
  }

  private async samples(shared: boolean) {
    const values: Sample[] = [];
    // A series still at 0 (a job's error count before it failed) is left out: at 10,000 jobs its
    // lines would double what every scrape formats.
    for (const { labels, value } of this.counts.values()) {
      if (value > 0) values.push(shared ? { labels: NO_LABELS, sharedLabels: labels, value } : { labels, value });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.counts.clear();
  }
}

/** A histogram per label set, exposed as prom-client exposes one: _bucket (cumulative, le), _sum, _count. */
export class HistogramFamily implements RegistrableMetric {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series_ = new Map<string, { labels: Record<string, string>; observations: Observations }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {}

  series(key: string, labels: () => Record<string, string>): Observations {
    let entry = this.series_.get(key);
    if (entry === undefined) {
      entry = { labels: labels(), observations: new Observations(this.bounds) };
      this.series_.set(key, entry);
    }
    return entry.observations;
  }

  get() {
    return this.samples(false);
  }

  getForPromString() {
    return this.samples(true);
  }

  private async samples(shared: boolean) {
    const values: Sample[] = [];
    const { name, bounds } = this;
    const bucket = `${name}_bucket`;
    for (const { labels, observations } of this.series_.values()) {
      // A series nothing was observed in yet (the error durations of a job that never failed) is
      // left out: 19 lines of zeros per job would be most of a large scheduler's scrape.
      if (observations.count === 0) continue;
      const line = (le: number | string | null, value: number, metricName: string): Sample =>
        shared
          ? { labels: le === null ? NO_LABELS : { le }, sharedLabels: labels, value, metricName }
          : { labels: le === null ? labels : { ...labels, le }, value, metricName };
      let cumulative = 0;
      for (let i = 0; i < bounds.length; i++) {
        cumulative += observations.buckets[i];
        values.push(line(bounds[i], cumulative, bucket));
      }
      values.push(line('+Inf', observations.count, bucket));
      values.push(line(null, observations.sum, `${name}_sum`));
      values.push(line(null, observations.count, `${name}_count`));
    }
    return { name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series_.clear();
  }
}
