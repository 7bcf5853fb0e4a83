import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { InvalidSchedulerOptionError } from '../../../lib/core/errors.js';
import { Scheduler } from '../../../lib/core/scheduler.js';
import type { Claim } from '../../../lib/core/loop/claim.js';
import type { JobContext } from '../../../lib/core/jobs/job-options.js';
import { MemoryJobStore } from '../../../lib/stores/memory.job-store.js';
import type { JobStore } from '../../../lib/stores/job-store.js';
import { T0, advance, deferred, makeScheduler, silentLogger, useFakeClock } from './scheduler-fixture.js';

/** Fire times one second after T0: the job is claimed within claimAhead of it. */
const FIRE = T0.getTime() + 1000;

describe('Scheduler claimAhead', () => {
  beforeEach(() => useFakeClock());
  afterEach(() => {
    jest.useRealTimers();
  });

  async function statusesAt(scheduler: Scheduler, jobId: string) {
    return (await scheduler.getExecutions({ jobId })).map((e) => [e.scheduledRunTime.getTime() - T0.getTime(), e.status]);
  }

  /** A job one second out has no record until its fire time, and runs then. */
  async function expectClaimedAtFireTime(scheduler: Scheduler) {
    await scheduler.start();
    await scheduler.addJob({ id: 'tick', handler: () => {}, trigger: { type: 'interval', seconds: 1 } });
    await advance(999);
    expect(await statusesAt(scheduler, 'tick')).toEqual([]);
    await advance(1);
    expect(await statusesAt(scheduler, 'tick')).toEqual([[1000, 'executed']]);
    await scheduler.shutdown();
  }

  it('claims a job ahead of its fire time but starts the handler at that time, never before', async () => {
    const { scheduler } = makeScheduler({ claimAhead: 100 });
    const started: number[] = [];
    await scheduler.start();
    await scheduler.addJob({ id: 'tick', handler: () => void started.push(Date.now()), trigger: { type: 'interval', seconds: 1 } });
    await advance(950);
    expect(await statusesAt(scheduler, 'tick')).toEqual([[1000, 'running']]);
    expect((await scheduler.getJob('tick'))!.nextRunTime!.getTime()).toBe(FIRE + 1000);
    expect(started).toEqual([]);
    await advance(49);
    expect(started).toEqual([]);
    await advance(1);
    expect(started).toEqual([FIRE]);
    await advance(2000);
    expect(started).toEqual([FIRE, FIRE + 1000, FIRE + 2000]);
    expect(await statusesAt(scheduler, 'tick')).toEqual([
      [3000, 'executed'],
      [2000, 'executed'],
      [1000, 'executed'],
    ]);
    await scheduler.shutdown();
  });

  it('starts a thousand jobs due at one instant at that instant, with the claim done before it', async () => {
    const { scheduler, of } = makeScheduler({ claimAhead: 100 });
    const started: number[] = [];
    await scheduler.start();
    for (let i = 0; i < 1000; i++) {
      await scheduler.addJob({
        id: `j${i}`,
        handler: (n: number) => void (started[n] = Date.now()),
        args: [i],
        trigger: { type: 'interval', seconds: 1 },
      });
    }
    await advance(999);
    expect((await scheduler.getExecutions({ status: 'running', limit: 2000 })).length).toBe(1000);
    await advance(1);
    expect(started.length).toBe(1000);
    expect(new Set(started)).toEqual(new Set([FIRE]));
    await advance(10);
    expect(of('job_executed')).toHaveLength(1000);
    expect(of('job_submitted')).toHaveLength(1000);
    await scheduler.shutdown();
  });

  it('claims at the fire time with claimAhead 0', async () => {
    await expectClaimedAtFireTime(makeScheduler({ claimAhead: 0 }).scheduler);
  });

  it('refuses a claimAhead that is not a whole number of ms from 0 to 60000', () => {
    for (const bad of [-1, 1.5, 60_001, '100', Number.NaN]) {
      expect(() => new Scheduler({ claimAhead: bad as number, logger: silentLogger })).toThrow(InvalidSchedulerOptionError);
    }
    expect(() => new Scheduler({ claimAhead: -1 })).toThrow(/claimAhead.*-1.*0 to 60000/);
  });

  describe('a job changed between its claim and its fire time', () => {
    async function claimed(options: { handler?: (...args: unknown[]) => unknown; args?: unknown[] } = {}) {
      const { scheduler, of } = makeScheduler({ claimAhead: 100 });
      const calls: unknown[][] = [];
      await scheduler.start();
      await scheduler.addJob({
        id: 'job',
        handler: options.handler ?? ((...args: unknown[]) => void calls.push(args.slice(0, -1))),
        args: options.args ?? ['old'],
        trigger: { type: 'interval', seconds: 1 },
      });
      await advance(950);
      expect(await statusesAt(scheduler, 'job')).toEqual([[1000, 'running']]);
      return { scheduler, of, calls };
    }

    it('does not run it once paused, and leaves no record of the taken-back run', async () => {
      const { scheduler, of, calls } = await claimed();
      await scheduler.pauseJob('job');
      await advance(2000);
      expect(calls).toEqual([]);
      expect(await statusesAt(scheduler, 'job')).toEqual([]);
      expect(of('job_missed')).toEqual([]);
      await scheduler.resumeJob('job');
      await advance(1000);
      expect(calls).toEqual([['old']]);
      await scheduler.shutdown();
    });

    it('does not run it once removed', async () => {
      const { scheduler, calls } = await claimed();
      await scheduler.removeJob('job');
      await advance(2000);
      expect(calls).toEqual([]);
      expect(await statusesAt(scheduler, 'job')).toEqual([]);
      expect(await scheduler.getJob('job')).toBeNull();
      await scheduler.shutdown();
    });

    it('does not run it once all jobs are removed', async () => {
      const { scheduler, calls } = await claimed();
      await scheduler.removeAllJobs();
      await advance(2000);
      expect(calls).toEqual([]);
      expect(await statusesAt(scheduler, 'job')).toEqual([]);
      await scheduler.shutdown();
    });

    it('runs the fire time once when rescheduled onto the same time, and follows the new trigger', async () => {
      const { scheduler, calls } = await claimed();
      await scheduler.rescheduleJob('job', { type: 'interval', seconds: 2, startDate: new Date(T0.getTime() - 1000) });
      await advance(3100);
      expect(calls).toEqual([['old'], ['old']]);
      expect((await statusesAt(scheduler, 'job')).map(([t]) => t)).toEqual([3000, 1000]);
      await scheduler.shutdown();
    });

    it('runs it with the new args after modifyJob, however many there are', async () => {
      const { scheduler, calls } = await claimed();
      await scheduler.modifyJob('job', { args: ['new', 2, { three: 3 }] });
      await advance(100);
      expect(calls).toEqual([['new', 2, { three: 3 }]]);
      await scheduler.modifyJob('job', { args: [] });
      await advance(1000);
      expect(calls).toEqual([['new', 2, { three: 3 }], []]);
      await scheduler.shutdown();
    });

    it('runs it after the scheduler is paused and resumed within the grace time, and misses it beyond', async () => {
      const { scheduler, of, calls } = await claimed();
      scheduler.pause();
      await advance(500);
      expect(calls).toEqual([]);
      scheduler.resume();
      await advance(1);
      expect(calls).toEqual([['old']]);

      await advance(1499);
      expect(await statusesAt(scheduler, 'job')).toContainEqual([3000, 'running']);
      scheduler.pause();
      await advance(3000);
      scheduler.resume();
      await advance(1);
      expect(calls).toEqual([['old'], ['old']]);
      expect(of('job_missed').map((e) => (e as unknown as { scheduledRunTime: Date }).scheduledRunTime.getTime() - T0.getTime())).toContain(
        3000,
      );
      await scheduler.shutdown();
    });
  });

  it('gives what it claimed ahead back to the store on shutdown, so the next start runs it', async () => {
    const store = new MemoryJobStore();
    const calls: number[] = [];
    const handler = () => void calls.push(Date.now());
    const first = makeScheduler({ claimAhead: 100, stores: { default: store } });
    await first.scheduler.start();
    await first.scheduler.addJob({ id: 'job', handler, trigger: { type: 'interval', seconds: 1 } });
    await advance(950);
    expect(await statusesAt(first.scheduler, 'job')).toEqual([[1000, 'running']]);
    await first.scheduler.shutdown();
    expect(calls).toEqual([]);
    expect(await store.getExecutions({})).toEqual([]);
    expect((await store.lookupJob('job'))!.nextRunTime!.getTime()).toBe(FIRE);
    expect(first.of('job_missed')).toEqual([]);

    await advance(200);
    const second = makeScheduler({ claimAhead: 100, stores: { default: store } });
    await second.scheduler.start();
    await advance(1);
    expect(calls).toEqual([FIRE + 150]);
    expect((await store.getExecutions({})).map((e) => [e.scheduledRunTime.getTime() - T0.getTime(), e.status])).toEqual([
      [1000, 'executed'],
    ]);
    await second.scheduler.shutdown();
  });

  /** A memory store whose claims wait while `hold()` is in force, to end a pass at a chosen moment. */
  function slowStore() {
    let gate: Promise<void> | null = null;
    let open = () => {};
    return {
      store: storeClaiming(async (claim) => {
        if (gate) await gate;
        return claim();
      }),
      hold: () => void (gate = new Promise<void>((resolve) => (open = resolve))),
      release: () => {
        gate = null;
        open();
      },
    };
  }

  /** A job one second out whose claim ahead, begun at FIRE - 100, waits until `release()`. */
  async function claimHeldMidPass() {
    const { store, hold, release } = slowStore();
    const { scheduler, of } = makeScheduler({ claimAhead: 100, stores: { default: store } });
    const calls: number[] = [];
    await scheduler.start();
    await scheduler.addJob({ id: 'job', handler: () => void calls.push(Date.now()), trigger: { type: 'interval', seconds: 1 } });
    await advance(850);
    hold();
    await advance(100);
    return { scheduler, of, store, release, calls };
  }

  it('gives back, not misses, what a pass still in flight at shutdown claimed ahead', async () => {
    const { scheduler, of, store, release, calls } = await claimHeldMidPass();
    const down = scheduler.shutdown();
    release();
    await down;
    await advance(200);
    expect(calls).toEqual([]);
    expect(of('job_missed')).toEqual([]);
    expect(await store.getExecutions({})).toEqual([]);
    expect((await store.lookupJob('job'))!.nextRunTime!.getTime()).toBe(FIRE);
  });

  it('does not start a run claimed ahead before its time when the scheduler is paused mid-pass', async () => {
    const { scheduler, release, calls } = await claimHeldMidPass();
    scheduler.pause();
    release();
    await advance(10);
    expect(calls).toEqual([]);
    await advance(90);
    expect(calls).toEqual([]);
    scheduler.resume();
    await advance(1);
    // Resumed 50 ms after its time: it starts then, within misfireGraceTime.
    expect(calls).toEqual([FIRE + 50]);
    await scheduler.shutdown();
  });

  it('does not claim ahead a job whose previous run is still going, so maxInstances is judged at the fire time', async () => {
    const { scheduler, of } = makeScheduler({ claimAhead: 100 });
    const started: number[] = [];
    await scheduler.start();
    await scheduler.addJob({
      id: 'slow',
      maxInstances: 1,
      handler: async () => {
        started.push(Date.now());
        // Ends 50 ms before the next fire time: inside the claim-ahead window of that fire.
        await new Promise((resolve) => setTimeout(resolve, 950));
      },
      trigger: { type: 'interval', seconds: 1 },
    });
    await advance(3100);
    expect(started).toEqual([FIRE, FIRE + 1000, FIRE + 2000]);
    expect(of('job_max_instances')).toEqual([]);
    const down = scheduler.shutdown();
    await advance(1000);
    await down;
  });

  it('does not claim a one-shot job ahead: it stays visible until it runs', async () => {
    const { scheduler } = makeScheduler({ claimAhead: 100 });
    const ran: number[] = [];
    await scheduler.start();
    await scheduler.addJob({ id: 'once', handler: () => void ran.push(Date.now()), trigger: { type: 'date', runDate: new Date(FIRE) } });
    await advance(950);
    expect(await scheduler.getJob('once')).not.toBeNull();
    await advance(50);
    expect(ran).toEqual([FIRE]);
    expect(await scheduler.getJob('once')).toBeNull();
    await scheduler.shutdown();
  });

  it('never claims ahead in a store that cannot take runs back', async () => {
    const memory = new MemoryJobStore();
    const store: JobStore = Object.assign(Object.create(memory) as JobStore, { releaseRuns: undefined });
    await expectClaimedAtFireTime(makeScheduler({ claimAhead: 100, stores: { default: store } }).scheduler);
  });

  /** A memory store whose claims go through `around`, which is handed the real claim to make. */
  function storeClaiming(around: (claim: () => Promise<Claim[]>) => Promise<Claim[]>): JobStore {
    const memory = new MemoryJobStore();
    return Object.assign(Object.create(memory) as JobStore, {
      claimDueJobs: (...args: Parameters<JobStore['claimDueJobs']>) => around(() => memory.claimDueJobs(...args)),
    });
  }

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** A store whose claims answer only after `ms` of (fake) time, like a slow database. */
  function delayedStore(ms: number): JobStore {
    return storeClaiming(async (claim) => {
      await sleep(ms);
      return claim();
    });
  }

  /** Runs an every-second job for `ms` of fake time; returns when its runs started, then shuts down. */
  async function tickStarts(scheduler: Scheduler, ms: number): Promise<number[]> {
    const started: number[] = [];
    await scheduler.start();
    await scheduler.addJob({ id: 'tick', handler: () => void started.push(Date.now()), trigger: { type: 'interval', seconds: 1 } });
    await advance(ms);
    const seen = [...started];
    // A claim may still be in flight in a slow store: let it answer so shutdown can finish.
    const stopped = scheduler.shutdown();
    await advance(1000);
    await stopped;
    return seen;
  }

  it('starts claiming earlier once claims are seen to take long, so handlers start at their time again', async () => {
    const { scheduler } = makeScheduler({ claimAhead: 100, stores: { default: delayedStore(150) } });
    // The first claim began claimAhead before the fire time and ended 50 ms after it; the next ones
    // begin that much earlier.
    expect(await tickStarts(scheduler, 3100)).toEqual([FIRE + 50, FIRE + 1000, FIRE + 2000]);
  });

  it('starts no earlier than claimAhead in a store shared by replicas, so the slowest claimer cannot take every fire', async () => {
    const store: JobStore = Object.assign(delayedStore(150), { shared: true });
    const { scheduler } = makeScheduler({ claimAhead: 100, stores: { default: store } });
    expect(await tickStarts(scheduler, 3100)).toEqual([FIRE + 50, FIRE + 1050, FIRE + 2050]);
  });

  it('claims the next fire ahead right after a staged run fires, when the lead reaches back past it', async () => {
    // Claims are decided at once but answered 500 ms later, like a database's; claimAhead is 600.
    // So a pass for one fire begins before the job's previous fire has started: it must leave the
    // job alone then and claim it again once that run has started, not at its fire time.
    const store = storeClaiming(async (claim) => {
      const claims = await claim();
      await sleep(500);
      return claims;
    });
    const { scheduler } = makeScheduler({ claimAhead: 600, stores: { default: store } });
    expect((await tickStarts(scheduler, 4100)).map((t) => t - FIRE)).toEqual([0, 1000, 2000, 3000]);
  });

  it('starts runs staged by earlier batches when their time comes while a long pass is still claiming', async () => {
    // Each batch that claims holds the thread for 40 ms, as a large claim in the memory store
    // does: no timer can fire until the pass ends.
    const store = storeClaiming(async (claim) => {
      const claims = await claim();
      if (claims.length > 0) jest.setSystemTime(Date.now() + 40);
      return claims;
    });
    const { scheduler } = makeScheduler({ claimAhead: 100, claimBatchSize: 1, stores: { default: store } });
    const started = new Map<string, number>();
    await scheduler.start();
    for (const id of ['a', 'b', 'c']) {
      await scheduler.addJob({ id, handler: () => void started.set(id, Date.now()), trigger: { type: 'interval', seconds: 1 } });
    }
    await advance(900);
    // The pass claims a (staged), b (staged), then c at FIRE + 20, past the fire time: a and b
    // start right then, not when the pass ends 40 ms later.
    expect(Object.fromEntries(started)).toEqual({ a: FIRE + 20, b: FIRE + 20, c: FIRE + 20 });
    await scheduler.shutdown();
  });

  it('hands a context to a run claimed ahead that carries its own fire time', async () => {
    const { scheduler } = makeScheduler({ claimAhead: 100 });
    const seen = deferred<JobContext>();
    await scheduler.start();
    await scheduler.addJob({ id: 'ctx', handler: (ctx: JobContext) => seen.resolve(ctx), trigger: { type: 'interval', seconds: 1 } });
    await advance(1000);
    const ctx = await seen.promise;
    expect(ctx).toMatchObject({ jobId: 'ctx', instanceId: 'test' });
    expect(ctx.scheduledRunTime.getTime()).toBe(FIRE);
    expect(ctx.signal).toBeInstanceOf(AbortSignal);
    await scheduler.shutdown();
  });
});
