import { createRequire } from 'node:module';
import type { FactoryProvider } from '@nestjs/common';
import type * as PromClient from 'prom-client';
import type { Subscription } from 'rxjs';
import { InvalidSchedulerOptionError, SchedulerError } from '../../core/errors.js';
import { ofType } from '../../core/events/of-type.js';
import type { RunTally, RunTallySource } from '../../core/events/run-tally.js';
import type { SchedulerEventType } from '../../core/events/scheduler-events.js';
import type { Scheduler } from '../../core/scheduler.js';
import { readOptions, type OptionErrorFactory } from '../../utils/option-checks.js';
import { SchedulerService } from '../../scheduler.service.js';
import { CounterFamily, HistogramFamily, type Observations } from './run-statistics.js';

// prom-client is an optional peer dependency: it is required when a SchedulerMetrics is made, not
// when the admin entry loads, so an application without metrics need not install it. It is
// CommonJS, required from this package's location as a static import would be: the application's copy.

type Prom = typeof PromClient;

/**
 * A prom-client Registry (declared by shape, so the admin entry's types do not need prom-client).
 * @publicApi
 */
export interface MetricsRegistry {
  registerMetric(metric: never): void;
  getSingleMetric(name: string): unknown;
  removeSingleMetric(name: string): void;
}

/** @publicApi */
export interface SchedulerMetricsOptions {
  /** The prom-client Registry to register on. Default: prom-client's default registry (`register`). */
  registry?: MetricsRegistry;
  /** Put before every metric name. Default 'scheduler_'. */
  prefix?: string;
  /**
   * Label the run counters (runs_total, lost_runs_total) by job id (`job`). Default true. false
   * drops the label, for schedulers with many short-lived jobs: every job id is a series per outcome.
   */
  jobLabel?: boolean;
  /**
   * Label the histograms by job id too. Default false: each job would add 19 series per histogram
   * and outcome, and prom-client formats about 100,000 lines a second, so 10,000 jobs would make
   * every scrape block the event loop (and the fires) for seconds. Turn it on for a few jobs.
   */
  histogramsByJob?: boolean;
  /** Buckets of run_duration_seconds. Default 5 ms to 1 h. */
  durationBuckets?: number[];
  /** Buckets of run_lateness_seconds. Default 1 ms to 1 min. */
  latenessBuckets?: number[];
}

export const DEFAULT_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
export const DEFAULT_LATENESS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

const METRIC_NAMES = [
  'runs_total',
  'run_duration_seconds',
  'run_lateness_seconds',
  'lost_runs_total',
  'store_errors_total',
  'runs_in_progress',
  'runs_queued',
  'jobs',
];

const OPTION_KEYS: ReadonlySet<string> = new Set([
  'registry',
  'prefix',
  'jobLabel',
  'histogramsByJob',
  'durationBuckets',
  'latenessBuckets',
]);
const fail: OptionErrorFactory = (field, value, allowed) => new InvalidSchedulerOptionError(`SchedulerMetrics.${field}`, value, allowed);

let prom: Prom | undefined;

function loadPromClient(): Prom {
  if (prom) return prom;
  try {
    prom = createRequire(import.meta.url)('prom-client') as Prom;
  } catch (error) {
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    if (code !== 'MODULE_NOT_FOUND' || typeof message !== 'string' || !message.includes("'prom-client'")) throw error;
    throw new Error(
      "SchedulerMetrics needs the 'prom-client' package (^15), an optional peer dependency of nestjs-apscheduler that is not installed: npm install prom-client",
      { cause: error },
    );
  }
  return prom;
}

/** The series one job's runs add to. */
interface JobSeries {
  executed: { value: number };
  error: { value: number };
  executedDuration: Observations;
  errorDuration: Observations;
  lateness: Observations;
  /** The job id when runs are labelled by job, otherwise ''. */
  key: string;
  labels: (extra: Record<string, string>) => () => Record<string, string>;
}

/** What the gauges read at scrape time; queryJobs when the scheduler has it (one COUNT per store and state). */
interface Readable {
  health: Scheduler['health'];
  getJobs: Scheduler['getJobs'];
  queryJobs?: (query: { store?: string; paused?: boolean; limit?: number }) => Promise<{ total: number }>;
}

/**
 * Prometheus metrics of a scheduler, through prom-client (names with the default prefix):
 *
 * | metric | type | labels |
 * |---|---|---|
 * | scheduler_runs_total | counter | job, outcome (executed, error, missed, max_instances) |
 * | scheduler_run_duration_seconds | histogram | outcome (executed, error); job with histogramsByJob |
 * | scheduler_run_lateness_seconds | histogram | start time minus scheduled time; job with histogramsByJob |
 * | scheduler_lost_runs_total | counter | job: runs of a dead instance this one marked lost |
 * | scheduler_store_errors_total | counter | store |
 * | scheduler_runs_in_progress | gauge | executor |
 * | scheduler_runs_queued | gauge | executor: waiting for a free slot |
 * | scheduler_jobs | gauge | store, state (scheduled, paused) |
 *
 * Counters and histograms follow the event stream (of this process: with several replicas, sum
 * over instances); gauges are read when scraped. close() unsubscribes and unregisters them.
 * In Nest: `providers: [SchedulerMetrics.provider({ registry })]`, closed with the application.
 * @publicApi
 */
export class SchedulerMetrics {
  private readonly subscription: Subscription;
  private readonly untally: (() => void) | undefined;
  private readonly registry: MetricsRegistry;
  private readonly names: string[] = [];
  private closed = false;

  /** A Nest provider of SchedulerMetrics for the application's SchedulerService. */
  static provider(options: SchedulerMetricsOptions = {}): FactoryProvider<SchedulerMetrics> {
    return {
      provide: SchedulerMetrics,
      useFactory: (scheduler: SchedulerService) => new SchedulerMetrics(scheduler, options),
      inject: [SchedulerService],
    };
  }

  constructor(scheduler: Pick<Scheduler, 'events$' | 'health' | 'getJobs'>, input: SchedulerMetricsOptions = {}) {
    const client = loadPromClient();
    const options = readOptions(input, OPTION_KEYS, 'SchedulerMetrics', fail) as SchedulerMetricsOptions;
    const prefix = options.prefix ?? 'scheduler_';
    if (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$|^$/.test(prefix)) {
      throw fail('prefix', prefix, 'allowed: a Prometheus metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*), such as "scheduler_"');
    }
    for (const field of ['jobLabel', 'histogramsByJob'] as const) {
      if (options[field] !== undefined && typeof options[field] !== 'boolean') throw fail(field, options[field], 'allowed: true or false');
    }
    const durationBuckets = buckets('durationBuckets', options.durationBuckets) ?? DEFAULT_DURATION_BUCKETS;
    const latenessBuckets = buckets('latenessBuckets', options.latenessBuckets) ?? DEFAULT_LATENESS_BUCKETS;
    const registry = options.registry ?? (client.register as unknown as MetricsRegistry);
    if (typeof registry?.registerMetric !== 'function' || typeof registry.removeSingleMetric !== 'function') {
      throw fail('registry', registry, "allowed: a prom-client Registry (new Registry() or prom-client's register)");
    }
    this.registry = registry;
    const registers = [registry as unknown as PromClient.Registry];
    const byJob = options.jobLabel ?? true;
    const histogramsByJob = options.histogramsByJob ?? false;
    const name = (base: string) => `${prefix}${base}`;
    const taken = METRIC_NAMES.map(name).filter((full) => registry.getSingleMetric(full) !== undefined);
    if (taken.length > 0) {
      throw new SchedulerError(
        `SchedulerMetrics: the registry already has ${taken.join(', ')} (a second SchedulerMetrics on it? close() the first, or give another prefix)`,
      );
    }
    const readable = scheduler as unknown as Readable;

    const register = <M extends CounterFamily | HistogramFamily>(metric: M): M => {
      registry.registerMetric(metric as never);
      return this.created(metric);
    };
    const runs = register(
      new CounterFamily(
        name('runs_total'),
        'Runs of scheduled jobs by outcome: executed, error, missed (past misfireGraceTime), max_instances (skipped)',
      ),
    );
    const duration = register(
      new HistogramFamily(name('run_duration_seconds'), 'How long runs took, from the handler call until it settled', durationBuckets),
    );
    const lateness = register(
      new HistogramFamily(name('run_lateness_seconds'), 'How late runs started: start time minus scheduled run time', latenessBuckets),
    );
    const lost = register(
      new CounterFamily(name('lost_runs_total'), 'Running executions of dead instances (no heartbeat) that this instance marked lost'),
    );
    const storeErrors = register(new CounterFamily(name('store_errors_total'), 'Job store failures (jobstore_error events)'));
    this.created(
      new client.Gauge({
        name: name('runs_in_progress'),
        help: 'Submissions running now, per executor',
        labelNames: ['executor'],
        registers,
        collect() {
          this.reset();
          for (const e of readable.health().executors) this.set({ executor: e.alias }, e.running);
        },
      }),
    );
    this.created(
      new client.Gauge({
        name: name('runs_queued'),
        help: 'Submissions waiting for a free executor slot, per executor',
        labelNames: ['executor'],
        registers,
        collect() {
          this.reset();
          for (const e of readable.health().executors) this.set({ executor: e.alias }, e.queued);
        },
      }),
    );
    this.created(
      new client.Gauge({
        name: name('jobs'),
        help: 'Jobs per store: scheduled (with a next run time) or paused',
        labelNames: ['store', 'state'],
        registers,
        async collect() {
          // A store that cannot answer (database down) keeps its last values: the scrape still works.
          try {
            const counts = await countJobs(readable);
            this.reset();
            for (const { store, scheduled, paused } of counts) {
              this.set({ store, state: 'scheduled' }, scheduled);
              this.set({ store, state: 'paused' }, paused);
            }
          } catch {
            // Left as they were.
          }
        },
      }),
    );

    // Per job, the series a run adds to, found with one Map lookup (see run-statistics.ts).
    const perJob = new Map<string, JobSeries>();
    const seriesOf = (id: string): JobSeries => {
      const key = byJob ? id : '';
      let series = perJob.get(key);
      if (series === undefined) {
        const labels = (extra: Record<string, string>) => () => (byJob ? { job: id, ...extra } : extra);
        const histogramKey = histogramsByJob ? id : '';
        const histogramLabels = (extra: Record<string, string>) => () => (histogramsByJob ? { job: id, ...extra } : extra);
        series = {
          executed: runs.series(`${key}\0executed`, labels({ outcome: 'executed' })),
          error: runs.series(`${key}\0error`, labels({ outcome: 'error' })),
          executedDuration: duration.series(`${histogramKey}\0executed`, histogramLabels({ outcome: 'executed' })),
          errorDuration: duration.series(`${histogramKey}\0error`, histogramLabels({ outcome: 'error' })),
          lateness: lateness.series(histogramKey, histogramLabels({})),
          key,
          labels,
        };
        perJob.set(key, series);
      }
      return series;
    };
    const executed = (jobId: string, durationMs: number, latenessMs: number): void => {
      const series = seriesOf(jobId);
      series.executed.value++;
      series.executedDuration.observe(Math.max(0, durationMs) / 1000);
      series.lateness.observe(Math.max(0, latenessMs) / 1000);
    };
    // Runs that ended well are counted from the scheduler's run tally when its events$ has one (the
    // core then builds no job_executed event for metrics: ~8 µs a fire at 10,000 fires a second,
    // bench/ admin-cost), from job_executed events otherwise. The rarer outcomes are events.
    const source = scheduler.events$ as Partial<RunTallySource>;
    const tally: RunTally = {
      executed: (jobId, _store, scheduled, startedAt, durationMs) => executed(jobId, durationMs, startedAt - scheduled),
    };
    this.untally = typeof source.tallyRuns === 'function' ? source.tallyRuns(tally) : undefined;
    const types: SchedulerEventType[] = ['job_error', 'job_missed', 'job_max_instances', 'job_lost', 'jobstore_error'];
    if (this.untally === undefined) types.push('job_executed');
    this.subscription = scheduler.events$
      .pipe(ofType(...(types as ['job_executed', 'job_error', 'job_missed', 'job_max_instances', 'job_lost', 'jobstore_error'])))
      .subscribe((event) => {
        switch (event.type) {
          case 'job_executed':
            executed(event.jobId, event.durationMs, event.startedAt.getTime() - event.scheduledRunTime.getTime());
            break;
          case 'job_error': {
            const series = seriesOf(event.jobId);
            series.error.value++;
            series.errorDuration.observe(Math.max(0, event.durationMs) / 1000);
            series.lateness.observe(Math.max(0, event.startedAt.getTime() - event.scheduledRunTime.getTime()) / 1000);
            break;
          }
          case 'job_missed': {
            const series = seriesOf(event.jobId);
            runs.series(`${series.key}\0missed`, series.labels({ outcome: 'missed' })).value++;
            break;
          }
          case 'job_max_instances': {
            const series = seriesOf(event.jobId);
            runs.series(`${series.key}\0max_instances`, series.labels({ outcome: 'max_instances' })).value +=
              event.scheduledRunTimes.length;
            break;
          }
          case 'job_lost': {
            const series = seriesOf(event.jobId);
            lost.series(series.key, series.labels({})).value++;
            break;
          }
          case 'jobstore_error':
            storeErrors.series(event.store, () => ({ store: event.store })).value++;
            break;
        }
      });
  }

  /** A metric registered: close() removes it. */
  private created<M extends object>(metric: M): M {
    // Every prom-client metric has its name (not in its typings).
    this.names.push((metric as unknown as { name: string }).name);
    return metric;
  }

  /** Unsubscribes from the scheduler and removes the metrics from the registry. A second call does nothing. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subscription.unsubscribe();
    this.untally?.();
    for (const name of this.names) this.registry.removeSingleMetric(name);
  }

  /** Nest closes it with the application. */
  onModuleDestroy(): void {
    this.close();
  }
}

async function countJobs(scheduler: Readable): Promise<{ store: string; scheduled: number; paused: number }[]> {
  const stores = scheduler.health().stores.map((s) => s.alias);
  if (typeof scheduler.queryJobs === 'function') {
    const query = scheduler.queryJobs.bind(scheduler);
    return Promise.all(
      stores.map(async (store) => {
        const [scheduled, paused] = await Promise.all([
          query({ store, paused: false, limit: 0 }),
          query({ store, paused: true, limit: 0 }),
        ]);
        return { store, scheduled: scheduled.total, paused: paused.total };
      }),
    );
  }
  const counts = new Map(stores.map((store) => [store, { store, scheduled: 0, paused: 0 }]));
  for (const job of await scheduler.getJobs()) {
    const entry = counts.get(job.store);
    if (entry === undefined) continue;
    if (job.nextRunTime === null) entry.paused++;
    else entry.scheduled++;
  }
  return [...counts.values()];
}

function buckets(field: string, value: unknown): number[] | undefined {
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((b, i) => typeof b === 'number' && Number.isFinite(b) && b > 0 && (i === 0 || b > value[i - 1]))
  ) {
    throw fail(field, value, 'allowed: a non-empty array of increasing positive numbers of seconds');
  }
  return [...(value as number[])];
}
