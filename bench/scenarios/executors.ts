import { Piscina } from 'piscina';
import { AsyncExecutor } from '../../lib/executors/async.executor.js';
import type { Executor } from '../../lib/executors/executor.js';
import { ProcessExecutor } from '../../lib/executors/process.executor.js';
import { WorkerThreadExecutor } from '../../lib/executors/worker-thread.executor.js';
import { Scheduler } from '../../lib/core/scheduler.js';
import type { JobContext } from '../../lib/core/jobs/job-options.js';
import { MemoryJobStore } from '../../lib/stores/memory.job-store.js';
import { sleep, sleepUntil, wallNow } from '../support/clock.js';
import { spin } from '../support/executor-jobs.js';
import { summarize } from '../support/stats.js';
import { runIfMain, type ChildResult, type ScenarioDefinition } from '../support/scenario.js';

const SECONDS = Number(process.env.BENCH_EXECUTORS_SECONDS ?? 8);
const CPU_JOBS = 4;
const CPU_MS = 1000;
const CALLS = Number(process.env.BENCH_EXECUTORS_CALLS ?? 2000);
const BURST = Number(process.env.BENCH_EXECUTORS_BURST ?? 2000);
const JOBS_MODULE = new URL('../support/executor-jobs.js', import.meta.url);
const HANDLERS = { 'bench.spin': { module: JOBS_MODULE, export: 'spin' }, 'bench.noop': { module: JOBS_MODULE, export: 'noop' } };

type Kind = 'async' | 'threads' | 'processes';

function executorOf(kind: Kind, workers: number, nice = 0): Executor {
  if (kind === 'threads') return new WorkerThreadExecutor({ maxWorkers: workers, minWorkers: workers, nice, handlers: HANDLERS });
  if (kind === 'processes') return new ProcessExecutor({ maxWorkers: workers, minWorkers: workers, nice, handlers: HANDLERS });
  return new AsyncExecutor();
}

function schedulerWith(kind: Kind, workers: number, nice = 0): Scheduler {
  const executors: Record<string, Executor> = { default: new AsyncExecutor() };
  if (kind !== 'async') executors.work = executorOf(kind, workers, nice);
  return new Scheduler({ timezone: 'UTC', stores: { default: new MemoryJobStore() }, executors, logging: false });
}

/** A 1-second in-process job every second while 4 one-second CPU jobs run on `kind`. */
async function lateness(kind: Kind, nice: number): Promise<ChildResult> {
  const scheduler = schedulerWith(kind, CPU_JOBS, nice);
  scheduler.registry.register('inline.spin', (ms: number) => spin(ms));
  await scheduler.start();
  const late: number[] = [];
  const start = Math.ceil((Date.now() + 1500) / 1000) * 1000;
  const executor = kind === 'async' ? 'default' : 'work';
  const handler = kind === 'async' ? 'inline.spin' : 'bench.spin';
  for (let i = 0; i < CPU_JOBS; i++) {
    // Started 500 ms off the tick: each CPU run then spans one tick of the 1-second job.
    await scheduler.addJob({
      id: `cpu${i}`,
      handler,
      args: [CPU_MS],
      executor,
      trigger: { type: 'interval', seconds: 1, startDate: start - 500 },
      misfireGraceTime: null,
    });
  }
  let cpuRuns = 0;
  scheduler.executed$.subscribe((e) => {
    if (e.jobId.startsWith('cpu')) cpuRuns++;
  });
  await scheduler.addJob({
    id: 'tick',
    handler: (ctx: JobContext) => void late.push(wallNow() - ctx.scheduledRunTime.getTime()),
    trigger: { type: 'interval', seconds: 1, startDate: start },
    // Every fire time runs, however late, so each one's lateness is counted (none is coalesced away).
    coalesce: false,
    misfireGraceTime: null,
  });
  await sleepUntil(start + SECONDS * 1000 + 200);
  await scheduler.shutdown({ wait: false });
  const s = summarize(late);
  return { metrics: { latenessP99: s.p99, latenessP50: s.p50 }, info: { ticks: s.n, maxMs: Math.round(s.max * 10) / 10, cpuRuns } };
}

/** Noop runs: sequential round trips through the executor, then a burst through the scheduler. */
async function overhead(kind: Kind): Promise<ChildResult> {
  const workers = 2;
  // Round trip: the scheduler's call of a handler (invoke for the worker executors), one at a time.
  const executor = executorOf(kind, workers);
  executor.start();
  const ctx = {
    jobId: 'noop',
    jobName: 'noop',
    scheduledRunTime: new Date(),
    instanceId: 'bench',
    attempt: 1,
    signal: new AbortController().signal,
  };
  const target = { module: JOBS_MODULE.href, export: 'noop' };
  const call = (): unknown =>
    executor.invoke
      ? executor.invoke({ handler: 'bench.noop', target, args: [], ctx: { ...ctx, signal: new AbortController().signal } })
      : undefined;
  for (let i = 0; i < 200; i++) await call();
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) await call();
  const roundTripUs = ((performance.now() - t0) * 1000) / CALLS;
  const lanesUsPerRun = await lanes(call);
  await executor.shutdown();

  // Burst: BURST one-off jobs due at one instant through the whole scheduler (records, events).
  const scheduler = schedulerWith(kind, workers);
  scheduler.registry.register('inline.noop', () => undefined);
  await scheduler.start();
  let done = 0;
  let last = 0;
  scheduler.executed$.subscribe(() => {
    done++;
    last = wallNow();
  });
  const executorAlias = kind === 'async' ? 'default' : 'work';
  // Warm the workers up first.
  for (let i = 0; i < 20; i++)
    await scheduler.addJob({ handler: kind === 'async' ? 'inline.noop' : 'bench.noop', executor: executorAlias });
  while (done < 20) await sleep(5);
  done = 0;
  const at = Date.now() + 1000;
  for (let i = 0; i < BURST; i++) {
    await scheduler.addJob({
      handler: kind === 'async' ? 'inline.noop' : 'bench.noop',
      executor: executorAlias,
      trigger: { type: 'date', runDate: at },
      misfireGraceTime: null,
    });
  }
  while (done < BURST && Date.now() < at + 60_000) await sleep(5);
  const burstUsPerRun = ((last - at) * 1000) / BURST;
  await scheduler.shutdown({ wait: false });
  return { metrics: { roundTripUs, lanesUsPerRun, burstUsPerRun }, info: { calls: CALLS, burst: BURST, workers, completed: done } };
}

/** CALLS calls, two at a time (one per worker), µs per call. */
async function lanes(call: () => unknown): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const lane = async () => {
    while (next++ < CALLS) await call();
  };
  await Promise.all([lane(), lane()]);
  return ((performance.now() - t0) * 1000) / CALLS;
}

/** piscina called directly: the same noop module, two threads, the same two measurements. */
async function bare(): Promise<ChildResult> {
  const pool = new Piscina({ filename: JOBS_MODULE.href, name: 'piscinaNoop', minThreads: 2, maxThreads: 2, idleTimeout: 60_000 });
  for (let i = 0; i < 200; i++) await pool.run(null);
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) await pool.run(null);
  const roundTripUs = ((performance.now() - t0) * 1000) / CALLS;
  const lanesUsPerRun = await lanes(() => pool.run(null));
  await pool.destroy();
  return { metrics: { roundTripUs, lanesUsPerRun }, info: { calls: CALLS } };
}

export const scenario: ScenarioDefinition = {
  name: 'executors',
  title: 'Executors: CPU-bound jobs off the event loop, and the cost of a run in a worker',
  order: 70,
  description:
    `**Lateness**: a 1-second in-process job every second (its lateness = when its handler ran − its scheduled time), for ` +
    `${SECONDS} s, while ${CPU_JOBS} CPU-bound jobs (a ${CPU_MS} ms busy loop, each every second, offset by 500 ms) run on ` +
    `AsyncExecutor (in process), WorkerThreadExecutor or ProcessExecutor (${CPU_JOBS} workers each; "nice: 10" lowers the ` +
    `workers' CPU priority, so that on a busy machine the event loop gets the CPU first). p99 of ~${SECONDS} fires is ` +
    `their maximum. **Overhead of a noop run**: round trip = ${CALLS} sequential handler calls through the executor ` +
    `(\`invoke()\` for the worker executors, the scheduler's seam; nothing for AsyncExecutor), and two lanes = the same ` +
    `calls two at a time (2 workers), against \`piscina.run()\` on a pool of 2 threads calling the same module directly; ` +
    `burst = ${BURST} one-off noop jobs due at one instant through the whole scheduler (claim, records, events) with 2 ` +
    `workers, µs per run from the instant to the last job_executed. With a worker executor the scheduler claims only what ` +
    `a free worker can start, so the burst is one loop pass per freed worker: that, not the worker, is its cost.`,
  variants: [
    { id: 'ours-async-cpu', role: 'ours', label: 'CPU jobs on AsyncExecutor' },
    { id: 'ours-threads-cpu', role: 'ours', label: 'CPU jobs on WorkerThreadExecutor' },
    { id: 'ours-processes-cpu', role: 'ours', label: 'CPU jobs on ProcessExecutor' },
    { id: 'ours-threads-cpu-nice', role: 'ours', label: 'CPU jobs on WorkerThreadExecutor, nice: 10' },
    { id: 'ours-processes-cpu-nice', role: 'ours', label: 'CPU jobs on ProcessExecutor, nice: 10' },
    { id: 'ours-async-noop', role: 'ours', label: 'noop on AsyncExecutor (in process)' },
    { id: 'ours-threads-noop', role: 'ours', label: 'noop on WorkerThreadExecutor' },
    { id: 'ours-processes-noop', role: 'ours', label: 'noop on ProcessExecutor' },
    { id: 'peer-piscina', role: 'peer', label: 'piscina.run() directly' },
  ],
  comparisons: [
    { ours: 'ours-async-cpu', peer: null, metrics: ['latenessP99', 'latenessP50'] },
    { ours: 'ours-threads-cpu', peer: null, metrics: ['latenessP99', 'latenessP50'] },
    { ours: 'ours-processes-cpu', peer: null, metrics: ['latenessP99', 'latenessP50'] },
    { ours: 'ours-threads-cpu-nice', peer: null, metrics: ['latenessP99', 'latenessP50'] },
    { ours: 'ours-processes-cpu-nice', peer: null, metrics: ['latenessP99', 'latenessP50'] },
    { ours: 'ours-async-noop', peer: null, metrics: ['burstUsPerRun'] },
    { ours: 'ours-threads-noop', peer: 'peer-piscina', metrics: ['roundTripUs', 'lanesUsPerRun'] },
    { ours: 'ours-processes-noop', peer: 'peer-piscina', metrics: ['roundTripUs', 'lanesUsPerRun'] },
    { ours: 'ours-threads-noop', peer: null, metrics: ['burstUsPerRun'] },
    { ours: 'ours-processes-noop', peer: null, metrics: ['burstUsPerRun'] },
  ],
  metrics: [
    {
      key: 'latenessP99',
      label: 'lateness of the 1-second job, p99',
      unit: 'ms',
      better: 'lower',
      digits: 1,
      target: {
        text: '< 10 ms',
        lessThan: 10,
        variants: ['ours-threads-cpu', 'ours-processes-cpu', 'ours-threads-cpu-nice', 'ours-processes-cpu-nice'],
      },
    },
    { key: 'latenessP50', label: 'lateness of the 1-second job, p50', unit: 'ms', better: 'lower', digits: 1 },
    {
      key: 'roundTripUs',
      label: 'noop round trip, sequential',
      unit: 'µs',
      better: 'lower',
      digits: 0,
      target: { text: 'within 20% of bare piscina', withinPeerRatio: 1.2, variants: ['ours-threads-noop'] },
    },
    {
      key: 'lanesUsPerRun',
      label: 'noop calls two at a time, per call',
      unit: 'µs',
      better: 'lower',
      digits: 1,
      target: { text: 'within 20% of bare piscina', withinPeerRatio: 1.2, variants: ['ours-threads-noop'] },
    },
    { key: 'burstUsPerRun', label: 'noop burst through the scheduler, per run', unit: 'µs', better: 'lower', digits: 1 },
  ],
  timeoutMs: 120_000,
  async run(variant) {
    const [, kind, what, nice] = variant.split('-') as [string, Kind, string, string | undefined];
    if (variant === 'peer-piscina') return bare();
    return what === 'cpu' ? lateness(kind, nice === 'nice' ? 10 : 0) : overhead(kind);
  },
};

runIfMain(import.meta.url, scenario);
