import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { JobStoreErrorEvent } from '../../../lib/core/events/scheduler-events.js';
import type { Outcome } from '../../../lib/core/runs/execution.js';
import { AsyncExecutor } from '../../../lib/executors/async.executor.js';
import { MemoryJobStore } from '../../../lib/stores/memory.job-store.js';
import { OneAtATimeExecutor } from './one-at-a-time.executor.js';
import type { PlanFunction, RetryPlanFunction, StoreContext } from '../../../lib/stores/job-store.js';
import { T0, advance, deferred, makeScheduler, useFakeClock } from './scheduler-fixture.js';

/** A memory store that can be switched off like a database going away. */
class FlakyStore extends MemoryJobStore {
  down = false;
  /** The scheduler's context: a store tells it through this that its database answers again. */
  context: StoreContext | undefined;
  override async start(ctx: StoreContext): Promise<void> {
    this.context = ctx;
    return super.start(ctx);
  }
  /** Claims that fail next, one each (a dropped connection). */
  failClaims = 0;
  override async claimDueJobs(now: Date, limit: number, plan: PlanFunction) {
    if (this.failClaims > 0) {
      this.failClaims--;
      throw new Error('connection reset');
    }
    if (this.down) {
      // A claim sent while the database is down fails, after `hang` ms (a connect timeout).
      this.claiming++;
      try {
        if (this.hang > 0) await new Promise((resolve) => setTimeout(resolve, this.hang));
      } finally {
        this.claiming--;
      }
      throw new Error('connection refused');
    }
    return super.claimDueJobs(now, limit, plan);
  }
  hang = 0;
  /** Claims under way that will fail. */
  claiming = 0;
  override async getNextRunTime() {
    if (this.down) throw new Error('connection refused');
    return super.getNextRunTime();
  }
  /** Outcome writes under way that will fail, and how many were sent while down. */
  writing = 0;
  writesWhileDown = 0;
  override async finishExecutions(items: readonly { executionId: string; outcome: Outcome }[]) {
    if (this.down) {
      // Like a claim: it fails after `hang` ms.
      this.writing++;
      this.writesWhileDown++;
      try {
        if (this.hang > 0) await new Promise((resolve) => setTimeout(resolve, this.hang));
      } finally {
        this.writing--;
      }
      throw new Error('connection refused');
    }
    return super.finishExecutions(items);
  }
}

/**
 * A memory store whose claim works as a database's does under READ COMMITTED: it reads the
 * running counts, then (while its statements travel) an outcome written on another connection may
 * land, and only then does it plan with the counts it read.
 */
class CountFirstStore extends MemoryJobStore {
  /** The next claim reads its counts, then waits for this before planning. */
  afterCount: Promise<void> | null = null;
  /** Outcome writes wait for this while it is set. */
  holdWrites: Promise<void> | null = null;
  override async claimDueJobs(now: Date, limit: number, plan: PlanFunction, planRetry?: RetryPlanFunction, retryLimit?: number) {
    const gate = this.afterCount;
    if (gate === null) return super.claimDueJobs(now, limit, plan, planRetry, retryLimit);
    this.afterCount = null;
    const counted = new Map<string, number>();
    for (const record of await super.getExecutions({ status: 'running' })) counted.set(record.jobId, (counted.get(record.jobId) ?? 0) + 1);
    await gate;
    return super.claimDueJobs(now, limit, (job, _running, at) => plan(job, counted.get(job.id) ?? 0, at), planRetry, retryLimit);
  }
  override async finishExecutions(items: readonly { executionId: string; outcome: Outcome }[]) {
    if (this.holdWrites) await this.holdWrites;
    return super.finishExecutions(items);
  }
}

/**
 * A started scheduler on a FlakyStore with one job, 'tick', every second from T0 (its `options`
 * laid over), and the fire times it ran, as ms after T0.
 */
async function startTicking(
  options: { coalesce?: boolean; misfireGraceTime?: number } = {},
  schedulerOptions: { claimAhead?: number } = {},
) {
  const store = new FlakyStore();
  const { scheduler, of } = makeScheduler({ stores: { default: store }, ...schedulerOptions });
  const ran: number[] = [];
  await scheduler.start();
  await scheduler.addJob({
    id: 'tick',
    ...options,
    handler: (ctx: { scheduledRunTime: Date }) => void ran.push(ctx.scheduledRunTime.getTime() - T0.getTime()),
    trigger: { type: 'interval', seconds: 1 },
  });
  return { store, scheduler, of, ran };
}

describe('Scheduler when its store fails', () => {
  beforeEach(() => useFakeClock());
  afterEach(() => {
    jest.useRealTimers();
  });

  it('retries a failed claim within 100 ms, so one dropped connection costs no fire time', async () => {
    const { store, scheduler, of, ran } = await startTicking({ misfireGraceTime: 300 }, { claimAhead: 0 });
    await advance(900);
    store.failClaims = 1;
    await advance(600);
    expect(of('jobstore_error')).toHaveLength(1);
    expect(ran).toEqual([1000]);
    expect(of('job_missed')).toEqual([]);
    await scheduler.shutdown();
  });

  it('reports jobstore_error, backs off, and resumes by the misfire rules when the store returns', async () => {
    const { store, scheduler, of, ran } = await startTicking({ coalesce: false, misfireGraceTime: 1500 });
    await advance(1_100);
    expect(ran).toEqual([1000]);
    store.down = true;
    await advance(8_000);
    const errors = of('jobstore_error') as JobStoreErrorEvent[];
    expect(errors.length).toBeGreaterThanOrEqual(3);
    // Back-off: each retry waits longer than the one before (0.1 s, 0.2 s, 0.4 s, 0.8 s...).
    const gaps = errors.slice(1).map((e, i) => e.timestamp.getTime() - errors[i].timestamp.getTime());
    expect(gaps.every((gap, i) => i === 0 || gap > gaps[i - 1])).toBe(true);
    expect(errors.length).toBeLessThan(8);
    store.down = false;
    await advance(10_000);
    // Every fire time has one record: the old ones missed, the recent ones run, none twice.
    const records = await scheduler.getExecutions({ jobId: 'tick', limit: 1000 });
    const times = records.map((r) => r.scheduledRunTime.getTime() - T0.getTime()).sort((a, b) => a - b);
    expect(new Set(times).size).toBe(times.length);
    const last = Math.max(...times);
    expect(times).toEqual(Array.from({ length: last / 1000 }, (_, k) => (k + 1) * 1000));
    expect(records.some((r) => r.status === 'missed')).toBe(true);
    expect(ran[ran.length - 1]).toBe(last);
    await scheduler.shutdown();
  });

  it('claims at once when the store says its database answers again, not at the end of a long back-off', async () => {
    const { store, scheduler, of, ran } = await startTicking();
    await advance(1_100);
    expect(ran).toEqual([1000]);
    // A 20 s outage: the back-off has grown past 10 s (the next try would come near 26.6 s); the
    // run that ends in it cannot be recorded either.
    store.down = true;
    await advance(20_000);
    expect(of('jobstore_error').length).toBeLessThan(12);
    // The database is back, and the store's own probe (its liveness look, every second) sees it.
    store.down = false;
    store.context!.reachable!();
    await advance(1_000);
    // The backlog is coalesced into 21 s, claimed at once and in grace; 22 s runs on time.
    expect(ran.filter((t) => t > 1000)).toEqual([21_000, 22_000]);
    const records = await scheduler.getExecutions({ jobId: 'tick', limit: 100 });
    expect(records.filter((r) => r.status === 'running').map((r) => r.scheduledRunTime.getTime() - T0.getTime())).toEqual([]);
    await scheduler.shutdown();
  });

  it('does not double the back-off of a claim that was already under way when the store said it answers again', async () => {
    const { store, scheduler, ran } = await startTicking();
    await advance(1_100);
    store.down = true;
    store.hang = 300;
    await advance(20_000);
    for (let i = 0; i < 400 && store.claiming === 0; i++) await advance(50);
    expect(store.claiming).toBe(1);
    // Back now; the claim under way still fails (it was sent before), and its retry comes after the
    // first step of the back-off, not after twice the long one it had reached.
    store.down = false;
    store.context!.reachable!();
    await advance(1_500);
    expect(ran.filter((t) => t > 1000).length).toBeGreaterThan(0);
    await scheduler.shutdown();
  });

  /** A started scheduler whose one run, 'once' at 1 s, ends while the database is away (its writes fail after `hang` ms). */
  async function startWithOutageDuringRun(hang = 0) {
    const store = new FlakyStore();
    const { scheduler } = makeScheduler({ stores: { default: store } });
    await scheduler.start();
    await scheduler.addJob({
      id: 'once',
      handler: async () => {
        store.down = true; // the database goes away while the run is busy
        store.hang = hang;
        await new Promise((r) => setTimeout(r, 100));
      },
      trigger: { type: 'date', runDate: new Date(T0.getTime() + 1000) },
    });
    return { store, scheduler };
  }

  it("writes a run's record as soon as the store answers again, not at the end of its back-off", async () => {
    const { store, scheduler } = await startWithOutageDuringRun();
    await advance(1_200);
    // The write has failed for 15 s: its back-off has doubled to several seconds.
    await advance(15_000);
    store.down = false;
    store.context!.reachable!();
    await advance(50);
    expect((await scheduler.getExecutions({ jobId: 'once' })).map((r) => r.status)).toEqual(['executed']);
    await scheduler.shutdown();
  });

  it('does not sleep out the back-off of a write that was already failing when the store said it answers again', async () => {
    const { store, scheduler } = await startWithOutageDuringRun(300);
    await advance(16_200);
    // Each try of one record is four writes: the batch, then the record alone twice and in its
    // minimal form (OutcomeWriter.isolate). Wait for the last of a try to be on its way.
    const lastOfATry = () => store.writing === 1 && store.writesWhileDown % 4 === 0;
    for (let i = 0; i < 2000 && !lastOfATry(); i++) await advance(10);
    expect(lastOfATry()).toBe(true);
    // Back while it is on its way: it fails (it was sent before), and the next try goes at once,
    // not after the several seconds the back-off had grown to.
    store.down = false;
    store.context!.reachable!();
    await advance(500);
    expect((await scheduler.getExecutions({ jobId: 'once' })).map((r) => r.status)).toEqual(['executed']);
    await scheduler.shutdown();
  });

  it("a store that finds this instance fenced: its runs' signals are aborted, its unstarted runs never start, other stores' runs go on", async () => {
    const fenced = new FlakyStore();
    const other = new FlakyStore();
    const { scheduler } = makeScheduler({
      stores: { default: fenced, other },
      executors: { default: new OneAtATimeExecutor(), spare: new AsyncExecutor() },
    });
    await scheduler.start();
    const called: string[] = [];
    const aborted: string[] = [];
    const release = deferred();
    const waiting = (ctx: { jobId: string; signal: AbortSignal }) => {
      called.push(ctx.jobId);
      ctx.signal.addEventListener('abort', () => aborted.push(ctx.jobId));
      return release.promise;
    };
    const at = (ms: number) => ({ type: 'date' as const, runDate: new Date(T0.getTime() + ms) });
    // In the fenced store: one running, one queued behind it in its executor, and one claimed
    // ahead of its time. In the other store: one running.
    await scheduler.addJob({ id: 'running', handler: waiting, trigger: at(1000) });
    // (A one-shot job with a retry policy: kept, paused, until its run is over.)
    const retry = { attempts: 2 };
    await scheduler.addJob({ id: 'queued', misfireGraceTime: null, retry, handler: waiting, trigger: at(1001) });
    // (Only a job that fires again is claimed ahead: a finished one is deleted by its claim.)
    const every10s = { type: 'interval' as const, seconds: 10, startDate: new Date(T0.getTime() + 1500) };
    await scheduler.addJob({ id: 'ahead', executor: 'spare', handler: waiting, trigger: every10s });
    await scheduler.addJob({ id: 'in-other', store: 'other', executor: 'spare', handler: waiting, trigger: at(1000) });
    await advance(1_450);
    expect(called.sort()).toEqual(['in-other', 'running']);
    const claimed = await scheduler.getExecutions({ status: 'running' });
    expect(claimed.map((r) => r.jobId).sort()).toEqual(['ahead', 'in-other', 'queued', 'running']);
    // Their records are the others' now (lost, or re-run elsewhere): running them here would run them twice.
    fenced.context!.abortRuns!(new Error('taken for dead'));
    expect(aborted).toEqual(['running']);
    release.resolve();
    await advance(1_000);
    expect(called.sort()).toEqual(['in-other', 'running']);
    expect((await scheduler.getExecutions({ jobId: 'in-other' })).map((r) => r.status)).toEqual(['executed']);
    // The others mark the dropped run lost and leave the job alone: its row goes here, as it would
    // have after its run, and is not left paused for good.
    expect(await scheduler.getJob('queued')).toBeNull();
    await scheduler.shutdown();
  });

  it('a fenced store drops the rest of a backlog claimed together: only the run under way goes on', async () => {
    const { store, scheduler } = await startTicking();
    await scheduler.removeJob('tick');
    const called: number[] = [];
    const release = deferred();
    await scheduler.addJob({
      id: 'backlog',
      coalesce: false,
      misfireGraceTime: null,
      handler: (ctx: { scheduledRunTime: Date }) => {
        called.push(ctx.scheduledRunTime.getTime() - T0.getTime());
        return release.promise;
      },
      trigger: { type: 'interval', seconds: 1 },
    });
    // Down from before the first fire time to after the third: the claim after it takes the
    // backlog as one submission, its runs one after another.
    await advance(500);
    store.down = true;
    await advance(3_000);
    store.down = false;
    await advance(2_000);
    expect(called).toEqual([1000]);
    const backlog = await scheduler.getExecutions({ jobId: 'backlog', status: 'running' });
    expect(backlog.length).toBeGreaterThanOrEqual(3);
    const claimedTimes = backlog.map((r) => r.scheduledRunTime.getTime() - T0.getTime());
    store.context!.abortRuns!(new Error('taken for dead'));
    release.resolve();
    await advance(1_000);
    // None of the backlog's other fire times ran here (they are the others' to decide).
    expect(called.filter((t) => claimedTimes.includes(t))).toEqual([1000]);
    await scheduler.shutdown();
  });

  it('retries the record of a finished run, so maxInstances is not held forever by a failed write', async () => {
    const store = new FlakyStore();
    const { scheduler } = makeScheduler({ stores: { default: store } });
    let runs = 0;
    await scheduler.start();
    await scheduler.addJob({
      id: 'slow',
      maxInstances: 1,
      misfireGraceTime: null,
      handler: async () => {
        runs++;
        if (runs === 1) store.down = true; // the database goes away while the first run is busy
        await new Promise((r) => setTimeout(r, 100));
      },
      trigger: { type: 'interval', seconds: 5 },
    });
    await advance(5_200);
    expect(runs).toBe(1);
    await advance(2_000);
    store.down = false;
    await advance(9_000);
    const records = await scheduler.getExecutions({ jobId: 'slow' });
    expect(records.find((r) => r.scheduledRunTime.getTime() === T0.getTime() + 5000)!.status).toBe('executed');
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(records.filter((r) => r.status === 'max_instances')).toEqual([]);
    await scheduler.shutdown();
  });

  it('a run whose record lands while the next claim is counting is not taken for running (no max_instances)', async () => {
    const store = new CountFirstStore();
    const { scheduler, of } = makeScheduler({ stores: { default: store }, claimAhead: 0 });
    await scheduler.start();
    const writes = deferred();
    store.holdWrites = writes.promise;
    await scheduler.addJob({ id: 'tick', maxInstances: 1, handler: () => 'ok', trigger: { type: 'interval', seconds: 1 } });
    await advance(1_100);
    // The first run ended; its record is held (a slow write, a write being retried).
    const counted = deferred();
    store.afterCount = counted.promise;
    await advance(1_000);
    // The claim of the second fire has read the first run as 'running'; now its record lands.
    store.holdWrites = null;
    writes.resolve();
    await advance(0);
    counted.resolve();
    await advance(100);
    expect(of('job_max_instances')).toEqual([]);
    const records = await scheduler.getExecutions({ jobId: 'tick' });
    expect(records.map((r) => `${r.scheduledRunTime.getTime() - T0.getTime()}:${r.status}`).sort()).toEqual([
      '1000:executed',
      '2000:executed',
    ]);
    await scheduler.shutdown();
  });
});
