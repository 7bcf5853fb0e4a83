import { PerformanceObserver } from 'node:perf_hooks';
import { collectGarbage, cpuMs, heapUsed, sleep } from '../support/clock.js';
import { farExpression, farHourUtc } from '../support/expressions.js';
import { createOurScheduler } from '../support/ours.js';
import { runIfMain, type ChildResult, type ScenarioDefinition } from '../support/scenario.js';

const JOBS = Number(process.env.BENCH_REGISTER_JOBS ?? 100_000);
const IDLE_MS = Number(process.env.BENCH_IDLE_SECONDS ?? 10) * 1000;
const SETTLE_MS = 500;
const WARMUP = 1000;
/** Jobs added before start() wait in a pending list; timed for two sizes to show how it grows. */
const PRESTART = Number(process.env.BENCH_PRESTART_JOBS ?? 4000);

/**
 * Both measurements need the same 100,000 registered jobs, so one child does both: register
 * (wall time, heap per job), then idle (CPU time while none is due).
 */
interface Registrar {
  add(id: string, expression: string, fn: () => void): Promise<void> | void;
  remove(id: string): Promise<void> | void;
  count(): Promise<number> | number;
  close(): Promise<void>;
}

async function measure(registrar: Registrar): Promise<ChildResult> {
  const hour = farHourUtc();
  let fired = 0;
  const fn = () => void fired++;
  // Warm-up (JIT) on ids removed again, the same on both sides.
  for (let i = 0; i < WARMUP; i++) await registrar.add(`w${i}`, farExpression(i, hour), fn);
  for (let i = 0; i < WARMUP; i++) await registrar.remove(`w${i}`);
  const before = heapUsed();
  const t0 = performance.now();
  for (let i = 0; i < JOBS; i++) await registrar.add(`j${i}`, farExpression(i, hour), fn);
  const wallMs = performance.now() - t0;
  const after = heapUsed();
  const jobs = await registrar.count();
  // Idle: nothing is due for hours. Three windows back to back. The major GCs above arm V8's
  // memory reducer, which shrinks the heap once or twice (it frees nothing here) 8-16 s later,
  // depending on what V8 sees of the allocation rate: a one-off after registering, in the first
  // or the second window. The third is what having the jobs registered costs from then on.
  collectGarbage();
  await sleep(SETTLE_MS);
  const first = await idleWindow();
  const second = await idleWindow();
  const steady = await idleWindow();
  await sleep(0);
  await registrar.close();
  return {
    metrics: {
      wallMs,
      bytesPerJob: (after - before) / JOBS,
      idleCpuMs: steady.cpuMs,
      firstIdleCpuMs: first.cpuMs,
      secondIdleCpuMs: second.cpuMs,
    },
    info: {
      jobs,
      heapDeltaMB: Math.round((after - before) / 1e5) / 10,
      idleWindowMs: Math.round(steady.windowMs),
      idleGcCount: steady.gcCount,
      idleGcPauseMs: Math.round(steady.gcMs),
      firstWindowGcCount: first.gcCount,
      firstWindowGcPauseMs: Math.round(first.gcMs),
      secondWindowGcCount: second.gcCount,
      secondWindowGcPauseMs: Math.round(second.gcMs),
      firedDuringRun: fired,
    },
  };
}

/** Process CPU time over IDLE_MS, with the garbage collections inside the window. */
async function idleWindow(): Promise<{ cpuMs: number; windowMs: number; gcCount: number; gcMs: number }> {
  let gcCount = 0;
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcCount++;
      gcMs += entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const cpu0 = cpuMs();
  const w0 = performance.now();
  await sleep(IDLE_MS);
  const cpu = cpuMs() - cpu0;
  const windowMs = performance.now() - w0;
  await sleep(0);
  observer.disconnect();
  return { cpuMs: cpu, windowMs, gcCount, gcMs };
}

async function ours(): Promise<Registrar> {
  const scheduler = createOurScheduler();
  await scheduler.start();
  return {
    add: async (id, expression, fn) => void (await scheduler.addJob({ id, handler: fn, trigger: expression })),
    remove: (id) => scheduler.removeJob(id),
    count: async () => (await scheduler.getJobs()).length,
    close: () => scheduler.shutdown({ wait: false }),
  };
}

async function nestSchedule(): Promise<Registrar> {
  const { bootNestSchedule } = await import('../support/nest-schedule.js');
  const { CronJob } = await import('cron');
  const { app, registry } = await bootNestSchedule();
  return {
    add: (id, expression, fn) => {
      const job = CronJob.from({ cronTime: expression, onTick: fn, start: false, timeZone: 'UTC' });
      registry.addCronJob(id, job);
      job.start();
    },
    remove: (id) => registry.deleteCronJob(id),
    count: () => registry.getCronJobs().size,
    close: () => app.close(),
  };
}

/** Adds `n` jobs to a stopped scheduler, then start(); returns the total ms. */
async function prestart(n: number): Promise<{ ms: number; addMs: number; startMs: number }> {
  const scheduler = createOurScheduler();
  const hour = farHourUtc();
  const fn = () => {};
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await scheduler.addJob({ id: `j${i}`, handler: fn, trigger: farExpression(i, hour) });
  const t1 = performance.now();
  await scheduler.start();
  const t2 = performance.now();
  await scheduler.shutdown({ wait: false });
  return { ms: t2 - t0, addMs: t1 - t0, startMs: t2 - t1 };
}

async function oursPrestart(): Promise<ChildResult> {
  await prestart(WARMUP);
  const small = await prestart(PRESTART);
  const large = await prestart(2 * PRESTART);
  return {
    metrics: { prestartMs: large.ms, prestartGrowth: large.ms / small.ms },
    info: {
      [`${PRESTART} jobs ms`]: Math.round(small.ms),
      [`${2 * PRESTART} jobs: add while stopped ms`]: Math.round(large.addMs),
      [`${2 * PRESTART} jobs: start() ms`]: Math.round(large.startMs),
    },
  };
}

const n = JOBS.toLocaleString('en');

export const scenario: ScenarioDefinition = {
  name: 'register-idle',
  title: `Registering ${n} cron jobs, then idling three times ${IDLE_MS / 1000} s with none due`,
  order: 20,
  description:
    `${n} distinct-ish 6-field crontab expressions (a mix of daily, weekday, monthly and every-n-minutes shapes, all in the UTC ` +
    `hour 12 hours from now, so none is due for hours; the same strings on both sides), added one by one to a running ` +
    `scheduler after 1,000 warm-up jobs added and removed. **Wall time** of the adding loop; **heap per job** = (heapUsed ` +
    `after − before, each after \`global.gc()\`) ÷ jobs. Then, in the same child (registering twice would double the run ` +
    `time), \`global.gc()\`, ${SETTLE_MS} ms settle and the **process CPU time** (\`process.cpuUsage()\`, user + system) over ` +
    `three ${IDLE_MS / 1000} s windows back to back. The major GCs arm V8's memory reducer, which shrinks the heap once ` +
    `or twice 8–16 s later (here; it depends on what V8 sees of the allocation rate): a one-off after registering, larger ` +
    `with a larger heap, in the first or the second window ("first/second idle window"). The third ("idle") is the steady ` +
    `cost of having the jobs registered. Garbage collections inside each window are in the details (idleGcCount/` +
    `idleGcPauseMs for the third, firstWindowGc*/secondWindowGc* for the others: main-thread pause time; their concurrent ` +
    `marking threads add CPU time too). Ours: \`scheduler.addJob({ id, handler, trigger })\` (awaited) on the memory store. @nestjs/schedule: ` +
    `\`CronJob.from({ cronTime, onTick, timeZone: 'UTC' })\`, \`SchedulerRegistry.addCronJob\`, \`job.start()\`, in a Nest ` +
    `application context with \`ScheduleModule.forRoot()\`. The last row adds ${(2 * PRESTART).toLocaleString('en')} jobs to ` +
    `our scheduler *before* \`start()\` (as an application adding jobs at bootstrap does) and times adding + \`start()\`; ` +
    `growth = that time ÷ the time for ${PRESTART.toLocaleString('en')} jobs (≈ 2 when linear, ≈ 4 when quadratic).`,
  variants: [
    { id: 'ours', role: 'ours', label: 'ours (addJob, memory store)' },
    { id: 'peer', role: 'peer', label: '@nestjs/schedule (CronJob + addCronJob)' },
    { id: 'ours-prestart', role: 'ours', label: `ours (added before start())` },
  ],
  comparisons: [
    { ours: 'ours', peer: 'peer', metrics: ['wallMs', 'bytesPerJob', 'idleCpuMs', 'firstIdleCpuMs', 'secondIdleCpuMs'] },
    { ours: 'ours-prestart', peer: null, metrics: ['prestartMs', 'prestartGrowth'] },
  ],
  metrics: [
    {
      key: 'wallMs',
      label: `register ${n}: wall time`,
      unit: 'ms',
      better: 'lower',
      digits: 0,
      target: { text: '< 2000 ms', lessThan: 2000 },
    },
    {
      key: 'bytesPerJob',
      label: `register ${n}: heap per job`,
      unit: 'B',
      better: 'lower',
      digits: 0,
      target: { text: '< 1024 B', lessThan: 1024 },
    },
    {
      key: 'idleCpuMs',
      label: `idle: CPU time in ${IDLE_MS / 1000} s (steady)`,
      unit: 'ms',
      better: 'lower',
      digits: 1,
      target: { text: '< 20 ms', lessThan: 20 },
    },
    {
      key: 'firstIdleCpuMs',
      label: `first idle window: CPU time in ${IDLE_MS / 1000} s (V8's memory reducer may fall here)`,
      unit: 'ms',
      better: 'lower',
      digits: 1,
    },
    {
      key: 'secondIdleCpuMs',
      label: `second idle window: CPU time in ${IDLE_MS / 1000} s (or here)`,
      unit: 'ms',
      better: 'lower',
      digits: 1,
    },
    {
      key: 'prestartMs',
      label: `${(2 * PRESTART).toLocaleString('en')} jobs added before start(): wall time`,
      unit: 'ms',
      better: 'lower',
      digits: 0,
    },
    {
      key: 'prestartGrowth',
      label: `… growth for 2× the jobs`,
      unit: '×',
      better: 'lower',
      digits: 2,
      target: { text: '≤ 2.5 (linear)', atMost: 2.5 },
    },
  ],
  timeoutMs: 240_000,
  run: async (variant) =>
    variant === 'ours' ? measure(await ours()) : variant === 'peer' ? measure(await nestSchedule()) : oursPrestart(),
};

runIfMain(import.meta.url, scenario);
