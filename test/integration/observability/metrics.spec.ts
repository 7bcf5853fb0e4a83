import 'reflect-metadata';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { SchedulerMetrics } from '../../../lib/admin/index.js';
import { Scheduler, TypeOrmJobStore } from '../../../lib/index.js';
import { schedulerEntityList } from '../../../lib/stores/typeorm/schema/scheduler-entities.js';
import { TestDatabase, uniquePrefix } from '../../support/databases.js';
import { startObservabilityApp, type ObservabilityApp } from './observability-app.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Parses Prometheus text exposition format 0.0.4, refusing any line that is not a HELP, a TYPE or a
 * sample: `name{label="value",...} value`.
 */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sample = new RegExp(`^(${name})(?:\\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\.)*",?)*)\\})? (\\S+)$`);
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      expect(line).toMatch(new RegExp(`^# HELP ${name} .+$`));
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [, metric, type] = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line) ?? [];
      expect(metric).toBeDefined();
      types.set(metric, type);
      continue;
    }
    const match = sample.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    const value = match[3] === '+Inf' ? Infinity : Number(match[3]);
    expect(Number.isNaN(value)).toBe(false);
    samples.push({ name: match[1], labels, value });
  }
  return { samples, types };
}

const db = new TestDatabase('sqlite');
afterAll(() => db.dispose());

describe('SchedulerMetrics through /metrics (prom-client, Express)', () => {
  let app: ObservabilityApp | undefined;
  afterAll(async () => app?.close());

  it('exposes text that parses, with counters equal to the executions table', async () => {
    const prefix = uniquePrefix('met');
    const dataSource = await db.dataSource({ entities: schedulerEntityList(prefix), synchronize: true });
    const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix });
    app = await startObservabilityApp(
      { timezone: 'UTC', pollInterval: 100, stores: { default: store } },
      { metrics: { histogramsByJob: true } },
    );
    const { scheduler } = app;
    scheduler.registry.register('ok', () => 'fine');
    scheduler.registry.register('bad', () => {
      throw new Error('kaput');
    });
    scheduler.registry.register('slow', () => sleep(130));
    await scheduler.addJob({ id: 'ok', handler: 'ok', trigger: { type: 'interval', milliseconds: 100 } });
    await scheduler.addJob({ id: 'bad', handler: 'bad', trigger: { type: 'interval', milliseconds: 150 } });
    await scheduler.addJob({ id: 'slow', handler: 'slow', maxInstances: 1, trigger: { type: 'interval', milliseconds: 50 } });
    await scheduler.addJob({
      id: 'late',
      handler: 'ok',
      misfireGraceTime: 1000,
      trigger: { type: 'date', runDate: new Date(Date.now() - 10_000) },
    });
    await sleep(1200);

    // While running: the gauges are read at scrape time.
    const live = await app.get('/metrics');
    expect(live.status).toBe(200);
    expect(live.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const during = parseExposition(live.body).samples;
    const gauge = (name: string, labels: Record<string, string>) =>
      during.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(gauge('scheduler_jobs', { store: 'default', state: 'scheduled' })).toBe(3);
    expect(gauge('scheduler_jobs', { store: 'default', state: 'paused' })).toBe(0);
    expect(gauge('scheduler_runs_in_progress', { executor: 'default' })).toBeGreaterThanOrEqual(0);
    expect(gauge('scheduler_runs_queued', { executor: 'default' })).toBe(0);

    // Stopped, so nothing changes between the scrape and the query of the table.
    await scheduler.shutdown();
    const { samples, types } = parseExposition((await app.get('/metrics')).body);
    expect(Object.fromEntries(types)).toEqual({
      scheduler_runs_total: 'counter',
      scheduler_run_duration_seconds: 'histogram',
      scheduler_run_lateness_seconds: 'histogram',
      scheduler_lost_runs_total: 'counter',
      scheduler_store_errors_total: 'counter',
      scheduler_runs_in_progress: 'gauge',
      scheduler_runs_queued: 'gauge',
      scheduler_jobs: 'gauge',
    });

    const rows = (await dataSource.query(`SELECT job_id, status, COUNT(*) AS n FROM "${prefix}executions" GROUP BY job_id, status`)) as {
      job_id: string;
      status: string;
      n: number;
    }[];
    const table: Record<string, number> = {};
    for (const row of rows) table[`${row.job_id}/${row.status}`] = Number(row.n);
    expect(table['ok/executed']).toBeGreaterThan(5);
    expect(table['bad/error']).toBeGreaterThan(3);
    expect(table['slow/max_instances']).toBeGreaterThan(0);
    expect(table['late/missed']).toBe(1);
    expect(Object.keys(table).filter((k) => k.endsWith('/running'))).toEqual([]);

    const counted: Record<string, number> = {};
    const runsTotal = samples.filter((s) => s.name === 'scheduler_runs_total');
    for (const s of runsTotal) if (s.value > 0) counted[`${s.labels.job}/${s.labels.outcome}`] = s.value;
    expect(counted).toEqual(table);
    expect(runsTotal.every((s) => s.value > 0)).toBe(true);

    // Every executed or failed run is in both histograms, once.
    for (const job of ['ok', 'bad', 'slow']) {
      const ran = (table[`${job}/executed`] ?? 0) + (table[`${job}/error`] ?? 0);
      const durations = samples.filter((s) => s.name === 'scheduler_run_duration_seconds_count' && s.labels.job === job);
      expect(durations.reduce((sum, s) => sum + s.value, 0)).toBe(ran);
      expect(samples.find((s) => s.name === 'scheduler_run_lateness_seconds_count' && s.labels.job === job)?.value).toBe(ran);
      const inf = samples.find((s) => s.name === 'scheduler_run_lateness_seconds_bucket' && s.labels.job === job && s.labels.le === '+Inf');
      expect(inf?.value).toBe(ran);
    }
    const slowSum = samples.find((s) => s.name === 'scheduler_run_duration_seconds_sum' && s.labels.job === 'slow')!.value;
    expect(slowSum / table['slow/executed']).toBeGreaterThan(0.12);
  }, 30_000);
});

describe('SchedulerMetrics', () => {
  it('registers on the given registry with a prefix, without the job label on request, and unregisters on close', async () => {
    const registry = new Registry();
    const scheduler = new Scheduler({ timezone: 'UTC', logging: false });
    const metrics = new SchedulerMetrics(scheduler, { registry, prefix: 'app_jobs_', jobLabel: false });
    scheduler.registry.register('ok', () => undefined);
    await scheduler.start();
    await scheduler.addJob({ id: 'once', handler: 'ok', trigger: { type: 'date', runDate: new Date(Date.now() + 10) } });
    await sleep(80);
    const text = await registry.metrics();
    expect(text).toMatch(/^app_jobs_runs_total\{outcome="executed"\} 1$/m);
    expect(text).not.toMatch(/job="/);
    // Histograms are not split by job unless asked (histogramsByJob).
    const byDefault = new Registry();
    const plain = new SchedulerMetrics(scheduler, { registry: byDefault });
    await scheduler.addJob({ id: 'twice', handler: 'ok', trigger: { type: 'date', runDate: new Date(Date.now() + 10) } });
    await sleep(80);
    const defaults = await byDefault.metrics();
    expect(defaults).toMatch(/^scheduler_runs_total\{job="twice",outcome="executed"\} 1$/m);
    expect(defaults).toMatch(/^scheduler_run_duration_seconds_count\{outcome="executed"\} 1$/m);
    expect(defaults).toMatch(/^scheduler_run_lateness_seconds_count 1$/m);
    plain.close();
    expect(() => new SchedulerMetrics(scheduler, { registry, prefix: 'app_jobs_' })).toThrow(
      /^SchedulerMetrics: the registry already has app_jobs_runs_total, .*, app_jobs_jobs \(a second SchedulerMetrics on it\? close\(\) the first, or give another prefix\)$/,
    );
    metrics.close();
    metrics.close();
    expect((await registry.metrics()).trim()).toBe('');
    await scheduler.shutdown();
  });

  it('refuses bad options with the field named', () => {
    const scheduler = new Scheduler({ logging: false });
    expect(() => new SchedulerMetrics(scheduler, { prefix: 'bad prefix' })).toThrow(
      /'SchedulerMetrics.prefix': "bad prefix"; allowed: a Prometheus metric name prefix/,
    );
    expect(() => new SchedulerMetrics(scheduler, { durationBuckets: [1, 0.5] })).toThrow(
      /'SchedulerMetrics.durationBuckets'.*increasing positive/,
    );
    expect(() => new SchedulerMetrics(scheduler, { registry: {} as never })).toThrow(/'SchedulerMetrics.registry'/);
    expect(() => new SchedulerMetrics(scheduler, { buckets: [] } as never)).toThrow(
      /'SchedulerMetrics.buckets'.*not a SchedulerMetrics option/,
    );
  });
});
