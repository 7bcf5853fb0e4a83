import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Controller, Get, Module, type DynamicModule, type INestApplication, type Provider, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Context, ContextManager, TracerProvider } from '@opentelemetry/api';
import { MemoryJobStore } from '../../lib/stores/memory.job-store.js';
import { SchedulerModule } from '../../lib/scheduler.module.js';
import { SchedulerService } from '../../lib/scheduler.service.js';
import { wallNow } from '../support/clock.js';
import { countMissed } from '../support/ours.js';
import { FireLedger } from '../support/fire-ledger.js';
import { runIfMain, type ChildResult, type ScenarioDefinition } from '../support/scenario.js';

const JOBS = Number(process.env.BENCH_ADMIN_JOBS ?? 10_000);
const WINDOW_S = Number(process.env.BENCH_ADMIN_SECONDS ?? 10);
const DRAIN_MS = 1500;
/** How often Prometheus scrapes `/metrics` (its default is 15 s; 5 s is a common tighter setting). */
const SCRAPE_EVERY_MS = Number(process.env.BENCH_ADMIN_SCRAPE_MS ?? 5000);
/** How often a probe (Kubernetes, a load balancer) asks `/health`. */
const PROBE_EVERY_MS = 1000;
/** Open `/scheduler/api/events` streams, as dashboards open in browsers. */
const SSE_CLIENTS = Number(process.env.BENCH_ADMIN_SSE_CLIENTS ?? 2);

type Part = 'metrics' | 'health' | 'sse' | 'tracing';
const VARIANT_PARTS: Record<string, Part[]> = {
  'ours-none': [],
  'ours-metrics': ['metrics'],
  'ours-health': ['health'],
  'ours-sse': ['sse'],
  'ours-all': ['metrics', 'health', 'sse'],
  'ours-traced': ['metrics', 'health', 'sse', 'tracing'],
};

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

/** A real OpenTelemetry SDK batching into an exporter that drops the spans. */
async function tracerProvider(): Promise<TracerProvider> {
  const { context } = await import('@opentelemetry/api');
  const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  context.setGlobalContextManager(await asyncContextManager());
  const exporter = { export: (_spans: unknown[], done: (result: { code: number }) => void) => done({ code: 0 }), shutdown: async () => {} };
  return new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
}

/**
 * The application: SchedulerModule (memory store, default executor) on Express, and per part what
 * an application would add: `/metrics` (SchedulerMetrics on a prom-client Registry, the job label
 * on), `/health` (TerminusModule, SchedulerHealthIndicator), SchedulerAdminModule (its event stream).
 */
async function boot(parts: ReadonlySet<Part>): Promise<INestApplication> {
  const imports: (DynamicModule | Type)[] = [
    SchedulerModule.forRoot({
      stores: { default: new MemoryJobStore() },
      timezone: 'UTC',
      ...(parts.has('tracing') ? { tracing: { tracerProvider: await tracerProvider() } } : {}),
    }),
  ];
  const controllers: Type[] = [];
  const providers: Provider[] = [];
  if (parts.has('sse')) {
    const { SchedulerAdminModule } = await import('../../lib/admin/index.js');
    imports.push(SchedulerAdminModule.forRoot({ allowAnonymous: true }));
  }
  if (parts.has('metrics')) {
    const { Registry } = await import('prom-client');
    const { SchedulerMetrics } = await import('../../lib/admin/metrics/scheduler-metrics.js');
    const registry = new Registry();
    providers.push(SchedulerMetrics.provider({ registry }));
    @Controller('metrics')
    class MetricsController {
      // Nest needs the SchedulerMetrics instance made: injected here.
      constructor(readonly metrics: InstanceType<typeof SchedulerMetrics>) {}
      @Get()
      scrape(): Promise<string> {
        return registry.metrics();
      }
    }
    Reflect.defineMetadata('design:paramtypes', [SchedulerMetrics], MetricsController);
    controllers.push(MetricsController);
  }
  if (parts.has('health')) {
    const { TerminusModule, HealthCheckService } = await import('@nestjs/terminus');
    const { SchedulerHealthIndicator } = await import('../../lib/admin/index.js');
    imports.push(TerminusModule);
    providers.push(SchedulerHealthIndicator);
    @Controller('health')
    class HealthController {
      constructor(
        readonly health: InstanceType<typeof HealthCheckService>,
        readonly scheduler: InstanceType<typeof SchedulerHealthIndicator>,
      ) {}
      @Get()
      check() {
        return this.health.check([() => this.scheduler.isHealthy('scheduler')]);
      }
    }
    Reflect.defineMetadata('design:paramtypes', [HealthCheckService, SchedulerHealthIndicator], HealthController);
    controllers.push(HealthController);
  }
  @Module({ imports, controllers, providers })
  class BenchApp {}
  const app = await NestFactory.create(BenchApp, { logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

/**
 * The clients, in a process of their own (as a browser and Prometheus are elsewhere): each SSE
 * client reads the stream as EventSource does (split into messages, every data line JSON.parse'd),
 * the scraper GETs /metrics every SCRAPE_EVERY_MS, the probe GETs /health every second. On
 * SIGTERM it prints what it saw as one JSON line.
 */
const CLIENTS = String.raw`
const [url, parts, sseClients, scrapeMs, probeMs] = [process.argv[1], new Set(process.argv[2].split(',')), +process.argv[3], +process.argv[4], +process.argv[5]];
const seen = { sseEvents: 0, sseOverflows: 0, sseDropped: 0, sseBytes: 0, scrapes: 0, scrapeBytes: 0, worstScrapeMs: 0, probes: 0, healthyProbes: 0, errors: 0 };
const ready = [];
if (parts.has('sse')) for (let c = 0; c < sseClients; c++) ready.push((async () => {
  const response = await fetch(url + '/scheduler/api/events');
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let rest = '';
  void (async () => { for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    seen.sseBytes += value.length;
    rest += decoder.decode(value, { stream: true });
    const messages = rest.split('\n\n');
    rest = messages.pop();
    for (const message of messages) {
      let type = 'message';
      for (const line of message.split('\n')) {
        if (line.startsWith('event: ')) type = line.slice(7);
        else if (line.startsWith('data: ')) {
          const data = JSON.parse(line.slice(6));
          if (type === 'overflow') { seen.sseOverflows++; seen.sseDropped += data.dropped; } else seen.sseEvents++;
        }
      }
    }
  } })().catch(() => seen.errors++);
})());
const get = async (path) => { const r = await fetch(url + path); const body = await r.text(); return { status: r.status, body }; };
if (parts.has('metrics')) setInterval(async () => {
  const t0 = performance.now();
  try { const { body } = await get('/metrics'); seen.scrapes++; seen.scrapeBytes = body.length; seen.worstScrapeMs = Math.max(seen.worstScrapeMs, Math.round(performance.now() - t0)); } catch { seen.errors++; }
}, scrapeMs);
if (parts.has('health')) setInterval(async () => {
  try { const { status } = await get('/health'); seen.probes++; if (status === 200) seen.healthyProbes++; } catch { seen.errors++; }
}, probeMs);
Promise.all(ready).then(() => process.stdout.write('ready\n'), (e) => { console.error(e); process.exit(1); });
process.on('SIGTERM', () => process.stdout.write(JSON.stringify(seen) + '\n', () => process.exit(0)));
`;

interface Clients {
  stop(): Promise<Record<string, number>>;
}

async function startClients(url: string, parts: ReadonlySet<Part>): Promise<Clients> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['-e', CLIENTS, url, [...parts].join(','), String(SSE_CLIENTS), String(SCRAPE_EVERY_MS), String(PROBE_EVERY_MS)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const check = () => (out.includes('ready\n') ? resolve() : undefined);
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`the clients' process exited (${code}) before it was ready`)));
  });
  return {
    stop: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      return line ? (JSON.parse(line) as Record<string, number>) : {};
    },
  };
}

async function measure(variant: string): Promise<ChildResult> {
  const parts = new Set(VARIANT_PARTS[variant]);
  FireLedger.warmUp();
  const app = await boot(parts);
  const scheduler = app.get(SchedulerService);
  const missedEvents = countMissed(scheduler);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const clients = parts.size > 0 && !(parts.size === 1 && parts.has('tracing')) ? await startClients(url, parts) : null;
  const ledger = new FireLedger(JOBS, WINDOW_S);
  const handler = (job: number, ctx: { scheduledRunTime: Date }) => {
    ledger.record(job, ctx.scheduledRunTime.getTime(), wallNow());
  };
  const t0 = Date.now();
  for (let i = 0; i < JOBS; i++) await scheduler.addJob({ id: `j${i}`, handler, args: [i], trigger: '* * * * * *' });
  const registerMs = Date.now() - t0;
  const cpuMsPerSecond = await ledger.watchWindow(1000, DRAIN_MS);
  const seen = (await clients?.stop()) ?? {};
  await app.close();
  const result = ledger.result({ registerMs, cpuMsPerSecond, jobMissedEvents: missedEvents.count, ...seen });
  // CPU per fire: the scheduler process's CPU time in the window over the fires it should have made
  // (the clients' process is not counted: a browser or Prometheus runs elsewhere).
  result.metrics.cpuUsPerFire = (cpuMsPerSecond * 1000) / JOBS;
  return result;
}

const n = JOBS.toLocaleString('en');
// Tracing is outside the target; the four others are held to it.
const target = {
  text: 'within 10% of "nothing attached"',
  withinPeerRatio: 1.1,
  variants: ['ours-all', 'ours-metrics', 'ours-health', 'ours-sse'],
};

export const scenario: ScenarioDefinition = {
  name: 'admin-cost',
  title: `Cost of observability: ${n} fires per second with the admin event stream, metrics and health attached`,
  order: 15,
  description:
    `${n} jobs with \`* * * * * *\` for ${WINDOW_S} s in a Nest application (Express, \`SchedulerModule\` on the memory ` +
    `store, default AsyncExecutor, noop handlers), as in fire-lateness, listening on HTTP. "nothing attached" is the ` +
    `baseline (shown as "peer"); the others add what an operator would: **metrics**, \`SchedulerMetrics\` on a prom-client ` +
    `Registry (job label on) served at \`/metrics\` and scraped over HTTP every ${SCRAPE_EVERY_MS / 1000} s; **health**, ` +
    `\`@nestjs/terminus\` with \`SchedulerHealthIndicator\` at \`/health\`, probed every second; **sse**, ` +
    `\`SchedulerAdminModule\` with ${SSE_CLIENTS} clients reading \`/scheduler/api/events\` as EventSource does (every message ` +
    `parsed); **all**, the three. The clients run in a process of their own. "traced" adds one OpenTelemetry span per run ` +
    `(not part of the target). Lateness as in fire-lateness; CPU per fire = the application process's CPU time over the ` +
    `window ÷ fires due.`,
  variants: [
    { id: 'ours-all', role: 'ours', label: 'ours + metrics, health, admin with 2 SSE clients' },
    { id: 'ours-metrics', role: 'ours', label: 'ours + metrics (scraped)' },
    { id: 'ours-health', role: 'ours', label: 'ours + health (probed)' },
    { id: 'ours-sse', role: 'ours', label: 'ours + admin with 2 SSE clients' },
    { id: 'ours-traced', role: 'ours', label: 'ours + all of the above and tracing' },
    { id: 'ours-none', role: 'peer', label: 'ours, nothing attached (baseline)' },
  ],
  comparisons: ['ours-all', 'ours-metrics', 'ours-health', 'ours-sse', 'ours-traced'].map((ours) => ({ ours, peer: 'ours-none' })),
  metrics: [
    { key: 'p50', label: 'lateness p50', unit: 'ms', better: 'lower', digits: 2 },
    { key: 'p99', label: 'lateness p99', unit: 'ms', better: 'lower', digits: 2, target },
    { key: 'max', label: 'lateness max', unit: 'ms', better: 'lower', digits: 2 },
    { key: 'cpuUsPerFire', label: 'CPU per fire', unit: 'µs', better: 'lower', digits: 2, target },
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
  run: (variant) => measure(variant),
};

runIfMain(import.meta.url, scenario);
