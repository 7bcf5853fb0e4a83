import { sleep, sleepUntil, wallNow } from '../support/clock.js';
import { createOurScheduler, countMissed } from '../support/ours.js';
import { runIfMain, type ChildResult, type ScenarioDefinition } from '../support/scenario.js';

const JOBS = Number(process.env.BENCH_DISPATCH_JOBS ?? 100_000);
/** node-schedule's scheduleJob grows worse than quadratically (100,000 jobs: ~160 s here), so it gets fewer. */
const SMALL_JOBS = Number(process.env.BENCH_DISPATCH_SMALL_JOBS ?? 5_000);
const PILOT = 2_000;
/** Give up waiting for the last run after this long past the due instant. */
const GIVE_UP_MS = 60_000;

/**
 * Counts runs and remembers the first and last start. The due instant is chosen after a pilot
 * registration (same library, separate instance) so that registering all jobs ends before it.
 */
class Completion {
  runs = 0;
  first = NaN;
  last = NaN;
  private done!: () => void;
  readonly finished = new Promise<void>((resolve) => (this.done = resolve));

  constructor(readonly expected: number) {}

  readonly hit = (): void => {
    const now = wallNow();
    if (this.runs === 0) this.first = now;
    this.last = now;
    if (++this.runs === this.expected) this.done();
  };
}

interface Library {
  /**
   * Adds `count` one-shot jobs due at `at` that call `fn`. Stops early (returning false) when
   * `late()` says the due instant is too close; either way `cleanup` removes what was added.
   */
  register(
    count: number,
    at: number,
    fn: () => void,
    prefix: string,
    late: () => boolean,
  ): Promise<{ complete: boolean; cleanup: () => Promise<void> | void }>;
  info?(): Record<string, number>;
}

/** Registration loops call `late()` this often. */
const CHECK_EVERY = 100;

async function measure(lib: Library, jobs = JOBS, suffix = ''): Promise<ChildResult> {
  // Pilot: how long does registering take here? (Also warms the code paths up.)
  const t0 = performance.now();
  const pilot = await lib.register(
    PILOT,
    Date.now() + 3_600_000,
    () => {},
    'pilot',
    () => false,
  );
  const perJob = (performance.now() - t0) / PILOT;
  await pilot.cleanup();
  // Registering may grow faster than linearly (node-schedule does): when the due instant comes
  // too close, give up, remove the jobs and try again with a longer lead.
  let lead = 500 + perJob * jobs * 2;
  for (let attempt = 1; ; attempt++) {
    const due = Math.ceil(Date.now() + lead);
    const completion = new Completion(jobs);
    const r0 = performance.now();
    const { complete, cleanup } = await lib.register(jobs, due, completion.hit, `d${attempt}-`, () => Date.now() > due - 500);
    const registerMs = performance.now() - r0;
    if (!complete) {
      if (attempt === 3) throw new Error(`registration did not finish within ${Math.round(lead)} ms in 3 attempts`);
      await cleanup();
      lead = Math.max(lead * 3, registerMs * 3);
      continue;
    }
    const slackMs = due - Date.now();
    await sleepUntil(due);
    await Promise.race([completion.finished, sleep(due + GIVE_UP_MS - Date.now())]);
    // No shutdown: the child exits right after printing (closing 100,000 peer jobs can take long).
    return {
      metrics: {
        [`allRunMs${suffix}`]: completion.runs === jobs ? completion.last - due : NaN,
        [`firstMs${suffix}`]: completion.first - due,
        [`runs${suffix}`]: completion.runs,
      },
      info: { registerMs: Math.round(registerMs), slackBeforeDueMs: slackMs, attempts: attempt, ...(lib.info?.() ?? {}) },
    };
  }
}

function ours(maxConcurrency?: number): Library {
  const scheduler = createOurScheduler({ maxConcurrency });
  const missed = countMissed(scheduler);
  let started = false;
  return {
    async register(count, at, fn, prefix, late) {
      if (!started) await scheduler.start();
      started = true;
      const runDate = new Date(at);
      const cleanup = () => scheduler.removeAllJobs();
      for (let i = 0; i < count; i++) {
        if (i % CHECK_EVERY === 0 && late()) return { complete: false, cleanup };
        // misfireGraceTime null: a run waiting in the executor queue must not turn into a miss.
        await scheduler.addJob({ id: `${prefix}${i}`, handler: fn, trigger: { type: 'date', runDate }, misfireGraceTime: null });
      }
      return { complete: true, cleanup };
    },
    info: () => ({ jobMissedEvents: missed.count }),
  };
}

async function nodeSchedule(): Promise<Library> {
  const schedule = (await import('node-schedule')).default;
  return {
    async register(count, at, fn, _prefix, late) {
      const date = new Date(at);
      const jobs: ({ cancel(): unknown } | null)[] = [];
      const cleanup = () => jobs.forEach((job) => job?.cancel());
      for (let i = 0; i < count; i++) {
        if (i % CHECK_EVERY === 0 && late()) return { complete: false, cleanup };
        jobs.push(schedule.scheduleJob(date, fn));
      }
      return { complete: true, cleanup };
    },
  };
}

async function nestTimeouts(): Promise<Library> {
  const { bootNestSchedule } = await import('../support/nest-schedule.js');
  const { registry } = await bootNestSchedule();
  return {
    async register(count, at, fn, prefix, late) {
      let added = 0;
      const cleanup = () => {
        for (let i = 0; i < added; i++) registry.deleteTimeout(`${prefix}${i}`);
      };
      for (let i = 0; i < count; i++, added++) {
        if (i % CHECK_EVERY === 0 && late()) return { complete: false, cleanup };
        registry.addTimeout(`${prefix}${i}`, setTimeout(fn, at - Date.now()));
      }
      return { complete: true, cleanup };
    },
  };
}

const n = JOBS.toLocaleString('en');
const small = SMALL_JOBS.toLocaleString('en');

export const scenario: ScenarioDefinition = {
  name: 'dispatch',
  title: `Dispatch throughput: ${n} one-shot jobs due at the same instant`,
  order: 40,
  description:
    `${n} one-shot date jobs, all due at the same instant, noop handlers. Measured: time from the due instant until the ` +
    `last handler has started (all have run). The instant is set after a ${PILOT.toLocaleString('en')}-job pilot ` +
    `registration (which also warms up) so that registration ends before it; when it does not, the jobs are removed and ` +
    `registration is retried with a longer lead. Ours: memory store, \`{ type: 'date', runDate }\`, ` +
    `\`misfireGraceTime: null\` (so runs queued in the executor are not dropped as misfires), with the default AsyncExecutor ` +
    `(no concurrency limit) and with maxConcurrency 1,000. @nestjs/schedule: \`SchedulerRegistry.addTimeout(name, ` +
    `setTimeout(fn, due − now))\`. node-schedule: \`scheduleJob(date, fn)\`; its registration grows worse than ` +
    `quadratically (100,000 jobs took ~160 s here), so it is compared with ours at ${small} jobs.`,
  variants: [
    { id: 'ours', role: 'ours', label: 'ours (default executor, no limit)' },
    { id: 'ours-c1000', role: 'ours', label: 'ours (maxConcurrency 1,000)' },
    { id: 'peer', role: 'peer', label: '@nestjs/schedule (addTimeout + setTimeout)' },
    { id: 'ours-small', role: 'ours', label: `ours (${small} jobs, default executor)` },
    { id: 'peer-node-schedule', role: 'peer', label: `node-schedule (${small} jobs, scheduleJob(date, fn))` },
  ],
  comparisons: [
    { ours: 'ours', peer: 'peer', metrics: ['allRunMs', 'firstMs', 'runs'] },
    { ours: 'ours-c1000', peer: 'peer', metrics: ['allRunMs', 'firstMs', 'runs'] },
    { ours: 'ours-small', peer: 'peer-node-schedule', metrics: ['allRunMsSmall', 'runsSmall'] },
  ],
  metrics: [
    {
      key: 'allRunMs',
      label: `${n} jobs: due → all run`,
      unit: 'ms',
      better: 'lower',
      digits: 0,
      target: { text: '< 2000 ms', lessThan: 2000 },
    },
    { key: 'firstMs', label: `${n} jobs: due → first run`, unit: 'ms', better: 'lower', digits: 1 },
    { key: 'runs', label: `${n} jobs: runs (worst run)`, unit: '', better: 'higher', aggregate: 'min', digits: 0 },
    { key: 'allRunMsSmall', label: `${small} jobs: due → all run`, unit: 'ms', better: 'lower', digits: 0 },
    { key: 'runsSmall', label: `${small} jobs: runs (worst run)`, unit: '', better: 'higher', aggregate: 'min', digits: 0 },
  ],
  timeoutMs: 150_000,
  run: async (variant) => {
    switch (variant) {
      case 'ours':
        return measure(ours());
      case 'ours-c1000':
        return measure(ours(1000));
      case 'peer':
        return measure(await nestTimeouts());
      case 'ours-small':
        return measure(ours(), SMALL_JOBS, 'Small');
      default:
        return measure(await nodeSchedule(), SMALL_JOBS, 'Small');
    }
  },
};

runIfMain(import.meta.url, scenario);
