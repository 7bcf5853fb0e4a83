import { wallNow } from '../support/clock.js';
import { createOurScheduler, countMissed } from '../support/ours.js';
import { FireLedger } from '../support/fire-ledger.js';
import { runIfMain, type ChildResult, type ScenarioDefinition } from '../support/scenario.js';

const JOBS = Number(process.env.BENCH_LATENESS_JOBS ?? 10_000);
const WINDOW_S = Number(process.env.BENCH_LATENESS_SECONDS ?? 10);
/** After the window, time for late fires to arrive before counting what is missing. */
const DRAIN_MS = 1500;

async function runOurs(): Promise<ChildResult> {
  FireLedger.warmUp();
  const scheduler = createOurScheduler();
  const missedEvents = countMissed(scheduler);
  await scheduler.start();
  const ledger = new FireLedger(JOBS, WINDOW_S);
  const handler = (job: number, ctx: { scheduledRunTime: Date }) => {
    const started = wallNow();
    ledger.record(job, ctx.scheduledRunTime.getTime(), started);
  };
  const t0 = Date.now();
  for (let i = 0; i < JOBS; i++) {
    await scheduler.addJob({ id: `j${i}`, handler, args: [i], trigger: '* * * * * *' });
  }
  const registerMs = Date.now() - t0;
  // The window starts at least 1 s after the last job was added: every job is armed well before it.
  const cpuMsPerSecond = await ledger.watchWindow(1000, DRAIN_MS);
  await scheduler.shutdown({ wait: false });
  return ledger.result({ registerMs, cpuMsPerSecond, jobMissedEvents: missedEvents.count });
}

async function runNestSchedule(): Promise<ChildResult> {
  const { bootNestSchedule } = await import('../support/nest-schedule.js');
  const { CronJob } = await import('cron');
  FireLedger.warmUp();
  const { app, registry } = await bootNestSchedule();
  const ledger = new FireLedger(JOBS, WINDOW_S);
  const t0 = Date.now();
  for (let i = 0; i < JOBS; i++) {
    const job = CronJob.from({
      cronTime: '* * * * * *',
      timeZone: 'UTC',
      start: false,
      onTick: () => {
        const started = wallNow();
        // cron does not expose the fire time; it fires at or after the second boundary, so the
        // boundary it belongs to is floor(start). (A fire >= 1 s late would be misattributed.)
        ledger.record(i, Math.floor(started / 1000) * 1000, started);
      },
    });
    registry.addCronJob(`j${i}`, job);
    job.start();
  }
  const registerMs = Date.now() - t0;
  // The window starts at least 1 s after the last job was added: every job is armed well before it.
  const cpuMsPerSecond = await ledger.watchWindow(1000, DRAIN_MS);
  await app.close();
  return ledger.result({ registerMs, cpuMsPerSecond });
}

export const scenario: ScenarioDefinition = {
  name: 'fire-lateness',
  title: `Fire lateness: ${JOBS.toLocaleString('en')} jobs firing every second for ${WINDOW_S} s`,
  order: 10,
  description:
    `${JOBS.toLocaleString('en')} jobs with the cron expression \`* * * * * *\` (UTC), noop handlers. Lateness = handler start ` +
    `(performance.now() anchored to the wall clock) minus the scheduled time, over the ${WINDOW_S} whole seconds of a window ` +
    `that starts at least 1 s after the last job was added. Ours: memory store, default AsyncExecutor (no concurrency limit), ` +
    `default misfireGraceTime (1 s); the scheduled time is \`ctx.scheduledRunTime\`. @nestjs/schedule: one \`CronJob\` per job ` +
    `registered through \`SchedulerRegistry.addCronJob\` in a Nest application context; its scheduled time is the second ` +
    `boundary (floor of the start time), so a peer fire 1 s late or more counts as a miss of its own second plus a duplicate ` +
    `of the next. Missed = (job, second) pairs of the window that never ran; duplicates = pairs that ran more than once ` +
    `(worst run shown).`,
  variants: [
    { id: 'ours', role: 'ours', label: 'ours (cron, memory store)' },
    { id: 'peer', role: 'peer', label: '@nestjs/schedule (CronJob per job)' },
  ],
  metrics: [
    { key: 'p50', label: 'lateness p50', unit: 'ms', better: 'lower', digits: 2 },
    {
      key: 'p99',
      label: 'lateness p99',
      unit: 'ms',
      better: 'lower',
      digits: 2,
      target: { text: '< 5 ms and ≤ peer', lessThan: 5, noWorseThanPeer: true },
    },
    { key: 'max', label: 'lateness max', unit: 'ms', better: 'lower', digits: 2 },
    {
      key: 'missed',
      label: 'missed fires (worst run)',
      unit: '',
      better: 'lower',
      aggregate: 'max',
      digits: 0,
      target: { text: '0', atMost: 0 },
    },
    {
      key: 'duplicates',
      label: 'duplicated fires (worst run)',
      unit: '',
      better: 'lower',
      aggregate: 'max',
      digits: 0,
      target: { text: '0', atMost: 0 },
    },
    { key: 'fires', label: 'fires counted', unit: '', better: 'higher', digits: 0 },
  ],
  timeoutMs: 90_000,
  run: (variant) => (variant === 'ours' ? runOurs() : runNestSchedule()),
};

runIfMain(import.meta.url, scenario);
