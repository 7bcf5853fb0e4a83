import type { JobStore, RetryPlanFunction } from '../../lib/stores/job-store.js';
import { sleep, sleepUntil, wallNow } from '../support/clock.js';
import { runIfMain, type ChildResult, type ScenarioDefinition } from '../support/scenario.js';
import { createStoreScheduler, databaseAvailable, STORE_LABEL, type StoreKind } from '../support/stores.js';

const JOBS = Number(process.env.BENCH_RETRIES_JOBS ?? 10_000);
/** ms between a failed first run and its retry (`retry.delay`); 0: due as soon as the failure is written. */
const RETRY_DELAY_MS = Number(process.env.BENCH_RETRIES_DELAY_MS ?? 0);
const MAX_CONCURRENCY = 100;
/** Pilot adds (timed, then removed) to choose the due instant; also warms up. */
const PILOT = 1000;
/** The due instant is this long after the last add is expected to end. */
const LEAD_MS = 2000;
const GIVE_UP_MS = 60_000;
const KINDS: StoreKind[] = ['postgres', 'sqlite', 'memory'];

/** `ours-retry-postgres` -> { retries: true, kind: 'postgres' }; null for an id of no variant here. */
function variantKind(variant: string): { retries: boolean; kind: StoreKind } | null {
  const match = /^ours-(retry|noretry)-(\w+)$/.exec(variant);
  if (!match || !KINDS.includes(match[2] as StoreKind)) return null;
  return { retries: match[1] === 'retry', kind: match[2] as StoreKind };
}

/**
 * What the handlers and the events saw. The handler counts every (job, attempt) it is called for;
 * job_error is timed per attempt (the run's outcome is known, and for a first run with a retry
 * policy, its retry is being written with it); job_retry_scheduled says the retry is persisted.
 */
class Tally {
  /** Handler calls per job, first runs and retries (attempt 2). */
  readonly first = new Uint8Array(JOBS);
  readonly second = new Uint8Array(JOBS);
  /** Handler calls of an attempt above 2, or of a job index that is not one of the measured jobs. */
  stray = 0;
  firstErrors = 0;
  retryErrors = 0;
  firstStart = NaN;
  lastFirstError = NaN;
  lastRetryError = NaN;
  firstRetryStart = NaN;
  retriesScheduled = 0;
  lastRetryScheduled = NaN;
  /** The earliest retryAt job_error announced (epoch ms). */
  earliestRetryAt = Infinity;
  /** job_error events of a first run whose retryAt was null although the variant retries (or the other way round). */
  wrongRetryAt = 0;
  executed = 0;
  private done!: () => void;
  readonly finished = new Promise<void>((resolve) => (this.done = resolve));

  constructor(readonly retries: boolean) {}

  handled(job: number, attempt: number): void {
    if (!(job >= 0 && job < JOBS)) this.stray++;
    else if (attempt === 1) {
      if (this.firstStart !== this.firstStart) this.firstStart = wallNow();
      this.first[job]++;
    } else if (attempt === 2) {
      if (this.firstRetryStart !== this.firstRetryStart) this.firstRetryStart = wallNow();
      this.second[job]++;
    } else this.stray++;
  }

  errored(attempt: number, retryAt: Date | null): void {
    const now = wallNow();
    if (attempt === 1) {
      if ((retryAt !== null) !== this.retries) this.wrongRetryAt++;
      if (retryAt !== null && retryAt.getTime() < this.earliestRetryAt) this.earliestRetryAt = retryAt.getTime();
      if (++this.firstErrors === JOBS) {
        this.lastFirstError = now;
        if (!this.retries) this.done();
      }
    } else {
      if (retryAt !== null) this.wrongRetryAt++;
      if (++this.retryErrors === JOBS) {
        this.lastRetryError = now;
        if (this.retries) this.done();
      }
    }
  }

  /** (job, attempt) pairs that did not run exactly once: missing, doubled, or not expected at all. */
  wrongRuns(): number {
    let wrong = this.stray;
    for (let i = 0; i < JOBS; i++) {
      if (this.first[i] !== 1) wrong++;
      if (this.retries ? this.second[i] !== 1 : this.second[i] !== 0) wrong++;
    }
    return wrong;
  }

  count(runs: Uint8Array): number {
    let n = 0;
    for (let i = 0; i < JOBS; i++) if (runs[i] === 1) n++;
    return n;
  }
}

async function runOurs(kind: StoreKind, retries: boolean): Promise<ChildResult> {
  const ours = await createStoreScheduler(kind, 'r', { maxConcurrency: MAX_CONCURRENCY });
  const { scheduler } = ours;
  let tally = new Tally(retries);
  let missed = 0;
  scheduler.missed$.subscribe(() => missed++);
  let storeErrors = 0;
  scheduler.events$.subscribe((e) => {
    if (e.type === 'jobstore_error') storeErrors++;
    else if (e.type === 'job_executed') tally.executed++;
    else if (e.type === 'job_retry_scheduled') {
      tally.retriesScheduled++;
      tally.lastRetryScheduled = wallNow();
    }
  });
  scheduler.error$.subscribe((e) => tally.errored(e.attempt, e.retryAt));
  const passes = watchClaims(ours.store);
  // Every run fails: the handler throws (an Error with its stack, as a real failure has).
  scheduler.registry.register('fail', (job: number, ctx: { attempt: number }) => {
    tally.handled(job, ctx.attempt);
    throw new Error('bench: this run fails');
  });
  const retry = retries ? { attempts: 1, delay: RETRY_DELAY_MS } : null;
  try {
    await scheduler.start();
    const add = (id: string, runDate: Date, job: number) =>
      scheduler.addJob({ id, handler: 'fail', args: [job], trigger: { type: 'date', runDate }, misfireGraceTime: null, retry });
    // The first half of the pilot warms up (JIT, connections); the second half is timed.
    const far = new Date(Date.now() + 3_600_000);
    let p0 = performance.now();
    for (let i = 0; i < PILOT; i++) {
      if (i === PILOT / 2) p0 = performance.now();
      await add(`p${i}`, far, -1);
    }
    const perJob = (performance.now() - p0) / (PILOT / 2);
    await scheduler.removeAllJobs();
    let lead = LEAD_MS + perJob * JOBS;
    for (let attempt = 1; ; attempt++) {
      tally = new Tally(retries);
      const due = Math.ceil(Date.now() + lead);
      const runDate = new Date(due);
      const a0 = performance.now();
      let complete = true;
      for (let i = 0; i < JOBS; i++) {
        if (i % 100 === 0 && Date.now() > due - LEAD_MS / 2) {
          complete = false;
          break;
        }
        await add(`a${attempt}-${i}`, runDate, i);
      }
      const addMs = performance.now() - a0;
      if (!complete) {
        if (attempt === 3) throw new Error(`adding ${JOBS} jobs did not end ${LEAD_MS / 2} ms before the due instant in 3 attempts`);
        await scheduler.removeAllJobs();
        lead = LEAD_MS + addMs * 3;
        continue;
      }
      const slackMs = due - Date.now();
      passes.reset();
      const records = retries ? 2 * JOBS : JOBS;
      const recorded = ours.recorded(records).catch(() => NaN);
      await sleepUntil(due);
      await Promise.race([tally.finished, sleep(due + GIVE_UP_MS - Date.now())]);
      const recordedAt = await Promise.race([recorded, sleep(Math.max(0, due + GIVE_UP_MS - Date.now())).then(() => NaN)]);
      // What the store holds once every record is written: no job (a one-off job kept for its
      // retry is deleted after it) and no record waiting or running.
      const jobsLeft = (await scheduler.getJobs()).length;
      const byStatus: Record<string, number> = {};
      for (const status of ['error', 'retry_pending', 'running', 'missed'] as const) {
        byStatus[status] = (await scheduler.queryExecutions({ status, limit: 0 })).total;
      }
      return {
        metrics: metrics(tally, due, recordedAt),
        info: {
          addMs: Math.round(addMs),
          addPerJobMs: Math.round((addMs / JOBS) * 1000) / 1000,
          slackBeforeDueMs: slackMs,
          attempts: attempt,
          firstHandlerStartMs: round(tally.firstStart - due),
          ...(retries
            ? {
                retryDelayMs: RETRY_DELAY_MS,
                firstRetryDueMs: round(tally.earliestRetryAt - due),
                firstRetryStartMs: round(tally.firstRetryStart - due),
                retriesScheduled: tally.retriesScheduled,
                lastRetryScheduledMs: round(tally.lastRetryScheduled - due),
              }
            : {}),
          ...passes.info(),
          firstRunErrors: tally.firstErrors,
          retryErrors: tally.retryErrors,
          wrongRetryAt: tally.wrongRetryAt,
          jobExecutedEvents: tally.executed,
          jobMissedEvents: missed,
          jobstoreErrors: storeErrors,
          jobsLeft,
          ...Object.fromEntries(Object.entries(byStatus).map(([status, n]) => [`records_${status}`, n])),
        },
      };
    }
  } finally {
    await ours.close();
  }
}

/**
 * Counts what the loop asks of the store from the due instant on (wrapping claimDueJobs): claim
 * calls, the claims they return (first runs, retries), and how often a due retry was planned and
 * left (planRetry answered null: no executor slot), which the store then looks at again.
 */
function watchClaims(store: JobStore) {
  let calls = 0;
  let jobClaims = 0;
  let retryClaims = 0;
  let emptyCalls = 0;
  let retryPlans = 0;
  let retryPlansLeft = 0;
  let claimMs = 0;
  let nextRunTimeCalls = 0;
  let retryClaimCalls = 0;
  let retryClaimMs = 0;
  let removeCalls = 0;
  let removeMs = 0;
  const claim = store.claimDueJobs.bind(store);
  store.claimDueJobs = async (now, limit, plan, planRetry, retryLimit) => {
    calls++;
    const counted: RetryPlanFunction | undefined =
      planRetry &&
      ((job, retry, at) => {
        retryPlans++;
        const decision = planRetry(job, retry, at);
        if (decision === null) retryPlansLeft++;
        return decision;
      });
    const t0 = performance.now();
    const claims = await claim(now, limit, plan, counted, retryLimit);
    const ms = performance.now() - t0;
    claimMs += ms;
    if (claims.length === 0) emptyCalls++;
    const retried = claims.filter((c) => c.retry === true).length;
    retryClaims += retried;
    if (retried > 0) {
      retryClaimCalls++;
      retryClaimMs += ms;
    }
    jobClaims += claims.length;
    return claims;
  };
  const next = store.getNextRunTime.bind(store);
  store.getNextRunTime = () => {
    nextRunTimeCalls++;
    return next();
  };
  // The job a retry was kept for is deleted once the retry has ended (RunDispatcher.removeFinished).
  const remove = store.removeJob.bind(store);
  store.removeJob = async (jobId) => {
    removeCalls++;
    const t0 = performance.now();
    try {
      return await remove(jobId);
    } finally {
      removeMs += performance.now() - t0;
    }
  };
  return {
    reset() {
      calls = jobClaims = retryClaims = emptyCalls = retryPlans = retryPlansLeft = claimMs = nextRunTimeCalls = 0;
      retryClaimCalls = retryClaimMs = removeCalls = removeMs = 0;
    },
    info: () => ({
      claimCalls: calls,
      claimCallsEmpty: emptyCalls,
      claimsFirstRuns: jobClaims - retryClaims,
      claimsRetries: retryClaims,
      retryPlans,
      retryPlansLeftForLater: retryPlansLeft,
      claimMsTotal: Math.round(claimMs),
      claimCallsWithRetries: retryClaimCalls,
      claimMsWithRetries: Math.round(retryClaimMs),
      removeJobCalls: removeCalls,
      removeJobMsTotal: Math.round(removeMs),
      getNextRunTimeCalls: nextRunTimeCalls,
    }),
  };
}

const round = (n: number) => (Number.isFinite(n) ? Math.round(n * 10) / 10 : String(n));

function metrics(tally: Tally, due: number, recordedAt: number): ChildResult['metrics'] {
  const firstMs = tally.firstErrors === JOBS ? tally.lastFirstError - due : NaN;
  const out: ChildResult['metrics'] = {
    firstPerSecond: (JOBS * 1000) / firstMs,
    firstMs,
    recordedMs: Number.isFinite(recordedAt) ? recordedAt - due : NaN,
    firstRuns: tally.count(tally.first),
    wrongRuns: tally.wrongRuns(),
    // The scheduling cost per run, every attempt counted: the no-retries baseline runs 10,000.
    msPerThousandRuns: firstMs / (JOBS / 1000),
  };
  if (tally.retries) {
    const retriesMs = tally.retryErrors === JOBS ? tally.lastRetryError - due : NaN;
    // From the first retry's start (never before its retryAt) to the last retry's failure.
    out.retryPerSecond = (JOBS * 1000) / (tally.lastRetryError - tally.firstRetryStart);
    out.retriesMs = retriesMs;
    out.allPerSecond = (2 * JOBS * 1000) / retriesMs;
    out.retryRuns = tally.count(tally.second);
    out.msPerThousandRuns = retriesMs / ((2 * JOBS) / 1000);
  }
  return out;
}

const n = JOBS.toLocaleString('en');
const RETRY_METRICS = ['retryPerSecond', 'retriesMs', 'allPerSecond', 'recordedMs', 'retryRuns'];

export const scenario: ScenarioDefinition = {
  name: 'retries',
  title: `Retry scheduling cost: ${n} failing runs retried, fires per second vs. no retries`,
  order: 54,
  description:
    `${n} date jobs (\`{ type: 'date', runDate }\`, \`misfireGraceTime: null\`) all due at the same instant, added ` +
    `beforehand with \`addJob\` through the started scheduler as in store-dispatch (the due instant chosen from a ` +
    `${PILOT}-add pilot, ~${LEAD_MS / 1000} s after the last add); every handler (registered by name) throws. Default ` +
    `executor = AsyncExecutor with maxConcurrency ${MAX_CONCURRENCY}; default claimBatchSize (1,000) and pollInterval (1 s). ` +
    `"no retries" is the baseline (shown as "peer"): the jobs have no \`retry\` option. "retries" gives each ` +
    `\`retry: { attempts: 1, delay: ${RETRY_DELAY_MS} }\`: every failed first run writes a \`retry_pending\` record in the ` +
    `same write as its \`error\` record, and the loop claims the retries as they come due and runs them (attempt 2), ` +
    `alongside the first runs still waiting (so they share the executor's slots with them). Measured from the due ` +
    `instant, on each store: the scheduling cost per run = ms per 1,000 runs from the due instant to the last run's ` +
    `failure, every attempt counted (${n} runs without retries, ${(2 * JOBS).toLocaleString('en')} with; target: the ` +
    `retries variant within 1.5× of the baseline); first runs per second = ${n} ÷ (due → the ${n}th \`job_error\` ` +
    `of attempt 1, slower with retries because retries due meanwhile take slots); retries per second = ${n} ÷ (the first retry's start → the ${n}th \`job_error\` ` +
    `of attempt 2); all runs per second = ${(2 * JOBS).toLocaleString('en')} ÷ (due → last retry failed); and the moment ` +
    `the last execution record was written (timed by wrapping the store's finishExecution(s)). The handler counts every ` +
    `(job, attempt) it is called for: each first run and (with retries) each attempt 2 must run exactly once, and ` +
    `nothing else. The details count, from the due instant on, the store's claimDueJobs calls and the claims they ` +
    `returned, how often a due retry was planned and left for want of an executor slot (\`retryPlansLeftForLater\`), ` +
    `the removeJob calls that delete each one-off job after its retry, and the store's records by status at the end ` +
    `(the memory store keeps its last 10,000). Each variant in its own process, tables under a fresh prefix, dropped after.`,
  variants: KINDS.flatMap((kind) => [
    { id: `ours-retry-${kind}`, role: 'ours' as const, label: `ours, retries (${STORE_LABEL[kind]})` },
    { id: `ours-noretry-${kind}`, role: 'peer' as const, label: `ours, no retries (${STORE_LABEL[kind]}, baseline)` },
  ]),
  comparisons: KINDS.flatMap((kind) => [
    {
      ours: `ours-retry-${kind}`,
      peer: `ours-noretry-${kind}`,
      metrics: ['msPerThousandRuns', 'firstPerSecond', 'firstMs', 'firstRuns', 'wrongRuns'],
    },
    { ours: `ours-retry-${kind}`, peer: null, metrics: RETRY_METRICS },
  ]),
  metrics: [
    {
      key: 'msPerThousandRuns',
      label: 'ms per 1,000 runs, every attempt counted (due → last run failed)',
      unit: 'ms',
      better: 'lower',
      digits: 0,
      target: { text: 'within 1.5× of "no retries"', withinPeerRatio: 1.5 },
    },
    { key: 'firstPerSecond', label: 'first runs per second', unit: '/s', better: 'higher', digits: 0 },
    { key: 'firstMs', label: `due → ${n}th first run failed`, unit: 'ms', better: 'lower', digits: 0 },
    { key: 'retryPerSecond', label: 'retries per second', unit: '/s', better: 'higher', digits: 0 },
    { key: 'retriesMs', label: `due → ${n}th retry failed`, unit: 'ms', better: 'lower', digits: 0 },
    { key: 'allPerSecond', label: 'all runs per second (first runs and retries)', unit: '/s', better: 'higher', digits: 0 },
    { key: 'recordedMs', label: 'due → all records written', unit: 'ms', better: 'lower', digits: 0 },
    {
      key: 'firstRuns',
      label: 'first runs handled once (worst run)',
      unit: '',
      better: 'higher',
      aggregate: 'min',
      digits: 0,
      target: { text: `= ${n}`, atMost: JOBS, moreThan: JOBS - 1 },
    },
    {
      key: 'retryRuns',
      label: 'retries handled once (worst run)',
      unit: '',
      better: 'higher',
      aggregate: 'min',
      digits: 0,
      target: { text: `= ${n}`, atMost: JOBS, moreThan: JOBS - 1 },
    },
    {
      key: 'wrongRuns',
      label: '(job, attempt) runs missing, doubled or unexpected (worst run)',
      unit: '',
      better: 'lower',
      aggregate: 'max',
      digits: 0,
      target: { text: '0', atMost: 0 },
    },
  ],
  timeoutMs: 180_000,
  variantAvailable: (variant) => {
    const parsed = variantKind(variant);
    return parsed ? databaseAvailable(`ours-${parsed.kind}`) : `unknown variant ${variant}`;
  },
  run: (variant) => {
    const parsed = variantKind(variant);
    if (!parsed) throw new Error(`retries: unknown variant '${variant}'`);
    return runOurs(parsed.kind, parsed.retries);
  },
};

runIfMain(import.meta.url, scenario);
