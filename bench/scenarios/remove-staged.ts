import { runIfMain, type ChildResult, type MetricDefinition, type ScenarioDefinition } from '../support/scenario.js';

const JOBS = Number(process.env.BENCH_REMOVE_JOBS ?? 10_000);

/** Resolves when the wall clock is `ms` into a second (at least 2 s from now). */
async function untilMsIntoSecond(ms: number): Promise<void> {
  const now = Date.now();
  const target = Math.ceil(now / 1000) * 1000 + 2000 + ms;
  await new Promise((resolve) => setTimeout(resolve, target - now));
}

async function runOurs(window: 'staged' | 'outside'): Promise<ChildResult> {
  const { createOurScheduler } = await import('../support/ours.js');
  const scheduler = createOurScheduler();
  await scheduler.start();
  let fired = 0;
  const ids: string[] = [];
  for (let i = 0; i < JOBS; i++) {
    const job = await scheduler.addJob({ handler: () => void fired++, trigger: '* * * * * *' });
    ids.push(job.id);
  }
  // 'staged': 40 ms before a whole second, every job's next run is claimed ahead and waits for
  // its instant; 'outside': mid-second, nothing is claimed yet.
  await untilMsIntoSecond(window === 'staged' ? 960 : 400);
  const firedBefore = fired;
  const t0 = performance.now();
  for (const id of ids) await scheduler.removeJob(id);
  const ms = performance.now() - t0;
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const firedAfter = fired - firedBefore;
  await scheduler.shutdown();
  return { metrics: { ms }, info: { jobs: JOBS, window, firedAfterRemovalStarted: firedAfter } };
}

async function runCroner(): Promise<ChildResult> {
  const { Cron } = await import('croner');
  const jobs = Array.from({ length: JOBS }, () => new Cron('* * * * * *', () => {}));
  await untilMsIntoSecond(960);
  const t0 = performance.now();
  for (const job of jobs) job.stop();
  return { metrics: { ms: performance.now() - t0 }, info: { jobs: JOBS } };
}

const metrics: MetricDefinition[] = [
  { key: 'ms', label: `removing ${JOBS.toLocaleString('en')} jobs one by one`, unit: 'ms', better: 'lower', digits: 1 },
];

export const scenario: ScenarioDefinition = {
  name: 'remove-staged',
  title: 'Removing jobs whose next run is already claimed ahead',
  order: 35,
  description:
    `${JOBS.toLocaleString('en')} jobs on \`* * * * * *\` (memory store), then \`removeJob\` of each, one by one, awaited. ` +
    '"staged": 40 ms before a whole second, when every next run has been claimed ahead and waits for its instant ' +
    '(each removal takes its run back); "outside": mid-second, nothing claimed. Taking a run back used to scan every ' +
    'staged run (quadratic: 1.4-1.5 s for 10,000). Peer: croner, `stop()` of each `Cron` at the same moment.',
  variants: [
    { id: 'ours-staged', role: 'ours', label: 'ours, while staged' },
    { id: 'ours-outside', role: 'ours', label: 'ours, nothing staged' },
    { id: 'peer-croner', role: 'peer', label: 'croner (stop)' },
  ],
  metrics,
  timeoutMs: 120_000,
  run: (variant) => (variant === 'peer-croner' ? runCroner() : runOurs(variant === 'ours-staged' ? 'staged' : 'outside')),
};

runIfMain(import.meta.url, scenario);
