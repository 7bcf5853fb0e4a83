import { AsyncLocalStorage } from 'node:async_hooks';
import { NEVER } from 'rxjs';
import type { Context, ContextManager } from '@opentelemetry/api';
import { AsyncExecutor } from '../../lib/executors/async.executor.js';
import { Scheduler } from '../../lib/core/scheduler.js';
import type { RunInstrumentation } from '../../lib/core/runs/run-instrumentation.js';
import { MemoryJobStore } from '../../lib/stores/memory.job-store.js';
import { wallNow } from '../support/clock.js';
import { countMissed } from '../support/ours.js';
import { FireLedger } from '../support/fire-ledger.js';
import { runIfMain, type ChildResult, type ScenarioDefinition } from '../support/scenario.js';

const JOBS = Number(process.env.BENCH_ADMIN_JOBS ?? 10_000);
const WINDOW_S = Number(process.env.BENCH_ADMIN_SECONDS ?? 10);
const DRAIN_MS = 1500;
/** How often the attached observers are asked, as a probe and a scraper would (harsher than Prometheus' 15 s). */
const SCRAPE_EVERY_MS = Number(process.env.BENCH_ADMIN_SCRAPE_MS ?? 5000);
const PROBE_EVERY_MS = 1000;
/** Which observers are attached (to see what costs what): a comma-separated subset of metrics,health,sse. */
const PARTS = new Set((process.env.BENCH_ADMIN_PARTS ?? 'metrics,health,sse').split(',').map((p) => p.trim()));

/** What the application's OpenTelemetry setup usually has: an AsyncLocalStorage context manager. */
async function asyncContextManager(): Promise<ContextManager> {
  const { ROOT_CONTEXT } = await import('@opentelemetry/api');
  const storage = new AsyncLocalStorage<Context>();
  const manager: ContextManager = {
    active: () => storage.getStore() ?? ROOT_CONTEXT,
    with: (ctx, fn, thisArg, ...args) => storage.run(ctx, () => fn.apply(thisArg, args)),
    bind: (_ctx, target) => target,
    enable: () => manager,
    disable: () => {
      storage.disable();
      return manager;
    },
  };
  return manager;
}

/**
 * Everything of issue 10's observability attached to one scheduler: metrics (prom-client registry,
 * scraped), the health rules (asked as a probe would), an SSE-like subscriber (every event as JSON,
 * as the admin's event stream sends it) and, with `traced`, one span per run through a real
 * OpenTelemetry SDK (batching into an exporter that drops them).
 */
async function attach(scheduler: Scheduler): Promise<{ info: () => Record<string, number>; stop: () => void }> {
  const { Registry } = await import('prom-client');
  const { SchedulerMetrics } = await import('../../lib/admin/metrics/scheduler-metrics.js');
  const { assessSchedulerHealth } = await import('../../lib/admin/health/scheduler-health.rules.js');
  const registry = new Registry();
  const metrics = PARTS.has('metrics') ? new SchedulerMetrics(scheduler, { registry }) : null;
  let sseBytes = 0;
  let sseEvents = 0;
  const sse = (PARTS.has('sse') ? scheduler.events$ : NEVER).subscribe((event) => {
    sseBytes += `data: ${JSON.stringify(event)}\n\n`.length;
    sseEvents++;
  });
  let scrapes = 0;
  let scrapeMs = 0;
  let probes = 0;
  const scrape = setInterval(() => {
    const t0 = performance.now();
    void registry.metrics().then(() => {
      scrapes++;
      scrapeMs = Math.max(scrapeMs, performance.now() - t0);
    });
  }, SCRAPE_EVERY_MS);
  const probe = setInterval(() => {
    if (PARTS.has('health') && assessSchedulerHealth(scheduler.health(), Date.now()).healthy) probes++;
  }, PROBE_EVERY_MS);
  return {
    info: () => ({ sseEvents, sseBytes, scrapes, worstScrapeMs: Math.round(scrapeMs), healthyProbes: probes }),
    stop: () => {
      clearInterval(scrape);
      clearInterval(probe);
      sse.unsubscribe();
      metrics?.close();
    },
  };
}

async function tracing(): Promise<RunInstrumentation> {
  const { context } = await import('@opentelemetry/api');
  const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { openTelemetryInstrumentation } = await import('../../lib/tracing/opentelemetry-instrumentation.js');
  context.setGlobalContextManager(await asyncContextManager());
  const exporter = { export: (_spans: unknown[], done: (result: { code: number }) => void) => done({ code: 0 }), shutdown: async () => {} };
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
  return openTelemetryInstrumentation({ tracerProvider: provider });
}

async function measure(variant: 'ours-bare' | 'ours-observed' | 'ours-traced'): Promise<ChildResult> {
  FireLedger.warmUp();
  const scheduler = new Scheduler({
    timezone: 'UTC',
    stores: { default: new MemoryJobStore() },
    executors: { default: new AsyncExecutor() },
    logger: { log: () => {}, warn: (m: string) => console.error(`[ours] ${m}`), error: (m: string) => console.error(`[ours] ${m}`) },
    ...(variant === 'ours-traced' ? { instrumentation: await tracing() } : {}),
  });
  const missedEvents = countMissed(scheduler);
  const observers = variant === 'ours-bare' ? null : await attach(scheduler);
  await scheduler.start();
  const ledger = new FireLedger(JOBS, WINDOW_S);
  const handler = (job: number, ctx: { scheduledRunTime: Date }) => {
    ledger.record(job, ctx.scheduledRunTime.getTime(), wallNow());
  };
  const t0 = Date.now();
  for (let i = 0; i < JOBS; i++) await scheduler.addJob({ id: `j${i}`, handler, args: [i], trigger: '* * * * * *' });
  const registerMs = Date.now() - t0;
  const cpuMsPerSecond = await ledger.watchWindow(1000, DRAIN_MS);
  await scheduler.shutdown({ wait: false });
  const info = observers?.info() ?? {};
  observers?.stop();
  const result = ledger.result({ registerMs, cpuMsPerSecond, jobMissedEvents: missedEvents.count, ...info });
  // CPU per fire: the process's CPU time in the window over the fires it should have made.
  result.metrics.cpuUsPerFire = (cpuMsPerSecond * 1000) / JOBS;
  return result;
}

const n = JOBS.toLocaleString('en');

export const scenario: ScenarioDefinition = {
  name: 'admin-cost',
  title: `Cost of observability: ${n} fires per second with metrics, health, an event stream and tracing attached`,
  order: 15,
  description:
    `${n} jobs with \`* * * * * *\` (memory store, default AsyncExecutor, noop handlers) for ${WINDOW_S} s, as in fire-lateness, ` +
    `without anything attached (the baseline, shown as "peer") and with issue 10's observers: \`SchedulerMetrics\` on a ` +
    `prom-client Registry (job label on, scraped every ${SCRAPE_EVERY_MS / 1000} s), the health rules asked every second, ` +
    `and an SSE-like subscriber turning every event into a \`data: <json>\` frame; "traced" adds one OpenTelemetry span per ` +
    `run (sdk-trace-base BasicTracerProvider, BatchSpanProcessor into an exporter that drops them, an AsyncLocalStorage ` +
    `context manager). Lateness as in fire-lateness; CPU per fire = process CPU time over the window ÷ fires due.`,
  variants: [
    { id: 'ours-observed', role: 'ours', label: 'ours + metrics, health, SSE-like subscriber' },
    { id: 'ours-traced', role: 'ours', label: 'ours + metrics, health, SSE-like subscriber, tracing' },
    { id: 'ours-bare', role: 'peer', label: 'ours, nothing attached (baseline)' },
  ],
  metrics: [
    { key: 'p50', label: 'lateness p50', unit: 'ms', better: 'lower', digits: 2 },
    { key: 'p99', label: 'lateness p99', unit: 'ms', better: 'lower', digits: 2, target: { text: 'within 10% of the baseline' } },
    { key: 'max', label: 'lateness max', unit: 'ms', better: 'lower', digits: 2 },
    { key: 'cpuUsPerFire', label: 'CPU per fire', unit: 'µs', better: 'lower', digits: 2, target: { text: 'within 10% of the baseline' } },
    {
      key: 'missed',
      label: 'missed fires (worst run)',
      unit: '',
      better: 'lower',
      aggregate: 'max',
      digits: 0,
      target: { text: '0', atMost: 0 },
    },
    { key: 'fires', label: 'fires counted', unit: '', better: 'higher', digits: 0 },
  ],
  timeoutMs: 120_000,
  run: (variant) => measure(variant as 'ours-bare' | 'ours-observed' | 'ours-traced'),
};

runIfMain(import.meta.url, scenario);
