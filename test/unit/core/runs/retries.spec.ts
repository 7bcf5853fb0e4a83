import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { InvalidJobOptionError } from '../../../../lib/core/errors.js';
import type { JobErrorEvent, JobExecutedEvent, JobRetryScheduledEvent } from '../../../../lib/core/events/scheduler-events.js';
import type { JobContext } from '../../../../lib/core/jobs/job-options.js';
import type { JobStore } from '../../../../lib/stores/job-store.js';
import { MemoryJobStore } from '../../../../lib/stores/memory.job-store.js';
import { T0, advance, makeScheduler, useFakeClock } from '../scheduler-fixture.js';

/** The scheduler's retries (README, "Retries") on the memory store, on a fake clock. */
describe('Retries of failed runs', () => {
  beforeEach(() => useFakeClock());
  afterEach(() => {
    jest.useRealTimers();
  });

  /** A handler that fails its first `failures` calls, recording each call's ctx.attempt and time. */
  function flaky(failures: number) {
    const calls: { attempt: number; at: number; scheduled: number }[] = [];
    const handler = (ctx: JobContext) => {
      calls.push({ attempt: ctx.attempt, at: Date.now() - T0.getTime(), scheduled: ctx.scheduledRunTime.getTime() });
      if (calls.length <= failures) throw new Error(`failure ${calls.length}`);
      return 'ok';
    };
    return { calls, handler };
  }

  it('runs a failed run again after its delay, each attempt its own record, until attempts are used up', async () => {
    const { scheduler, of } = makeScheduler();
    await scheduler.start();
    const { calls, handler } = flaky(Infinity);
    await scheduler.addJob({
      id: 'j',
      handler,
      trigger: { type: 'date', runDate: new Date(T0.getTime() + 1000) },
      retry: { attempts: 2, delay: 500 },
    });
    await advance(10_000);

    expect(calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(calls.map((c) => c.at)).toEqual([1000, 1500, 2000]);
    // ctx.scheduledRunTime stays the fire time the retries belong to.
    expect(new Set(calls.map((c) => c.scheduled))).toEqual(new Set([T0.getTime() + 1000]));

    const errors = of('job_error') as JobErrorEvent[];
    expect(errors.map((e) => [e.attempt, e.retryAt?.getTime() ?? null])).toEqual([
      [1, T0.getTime() + 1500],
      [2, T0.getTime() + 2000],
      [3, null],
    ]);
    const scheduled = of('job_retry_scheduled') as JobRetryScheduledEvent[];
    expect(scheduled.map((e) => [e.attempt, e.retryAt.getTime() - T0.getTime()])).toEqual([
      [2, 1500],
      [3, 2000],
    ]);

    const records = await scheduler.getExecutions({ jobId: 'j' });
    expect(records.map((r) => [r.attempt, r.status]).sort()).toEqual([
      [1, 'error'],
      [2, 'error'],
      [3, 'error'],
    ]);
    // The one-shot job was kept for its retries, and deleted after the last.
    expect(await scheduler.getJob('j')).toBeNull();
    expect(of('job_removed')).toHaveLength(1);
    await scheduler.shutdown();
  });

  it('stops retrying once an attempt succeeds, and says which attempt it was', async () => {
    const { scheduler, of } = makeScheduler();
    await scheduler.start();
    const { calls, handler } = flaky(1);
    await scheduler.addJob({ id: 'j', handler, trigger: { type: 'interval', hours: 1 }, retry: { attempts: 5, delay: 100 } });
    await advance(3_600_000 + 1_000);
    expect(calls.map((c) => c.attempt)).toEqual([1, 2]);
    const executed = of('job_executed') as JobExecutedEvent[];
    expect(executed.map((e) => e.attempt)).toEqual([2]);
    const records = await scheduler.getExecutions({ jobId: 'j' });
    expect(records.map((r) => [r.attempt, r.status])).toEqual([
      [2, 'executed'],
      [1, 'error'],
    ]);
    // The interval job keeps its schedule: the next fire is an hour after the first.
    expect((await scheduler.getJob('j'))!.nextRunTime!.getTime()).toBe(T0.getTime() + 2 * 3_600_000);
    await scheduler.shutdown();
  });

  it('waits delay, 2 x delay, 4 x delay with exponential back-off, capped at maxDelay', async () => {
    const { scheduler } = makeScheduler();
    await scheduler.start();
    const { calls, handler } = flaky(Infinity);
    await scheduler.addJob({
      id: 'j',
      handler,
      trigger: { type: 'date', runDate: T0 },
      misfireGraceTime: null,
      retry: { attempts: 4, delay: 100, backoff: 'exponential', maxDelay: 300 },
    });
    await advance(5_000);
    const waits = calls.slice(1).map((c, i) => c.at - calls[i]!.at);
    expect(waits).toEqual([100, 200, 300, 300]);
    await scheduler.shutdown();
  });

  it('retries a run that timed out, but not one that was missed or whose handler is not registered', async () => {
    const { scheduler, of } = makeScheduler();
    await scheduler.start();
    let slow = 0;
    await scheduler.addJob({
      id: 'slow',
      handler: () => {
        slow++;
        return new Promise(() => {});
      },
      trigger: { type: 'date', runDate: T0 },
      timeout: 50,
      retry: { attempts: 1, delay: 10 },
    });
    // A handler that is gone by the time the job fires: retrying cannot help.
    scheduler.registry.register('soon.gone', () => {});
    await scheduler.addJob({ id: 'gone', handler: 'soon.gone', trigger: { type: 'interval', hours: 1 }, retry: { attempts: 3 } });
    scheduler.registry.unregister('soon.gone');
    await advance(3_600_000 + 500);
    expect(slow).toBe(2);
    expect((await scheduler.getExecutions({ jobId: 'slow' })).map((r) => [r.attempt, r.status])).toEqual([
      [2, 'error'],
      [1, 'error'],
    ]);
    expect((await scheduler.getExecutions({ jobId: 'gone' })).map((r) => r.attempt)).toEqual([1]);
    expect(of('job_retry_scheduled').map((e) => e.jobId)).toEqual(['slow']);
    await scheduler.shutdown();
  });

  it('records a retry that cannot start within misfireGraceTime of its retry time as missed, and ends the chain', async () => {
    const { scheduler } = makeScheduler();
    await scheduler.start();
    const { calls, handler } = flaky(Infinity);
    await scheduler.addJob({
      id: 'j',
      handler,
      trigger: { type: 'date', runDate: new Date(T0.getTime() + 1000) },
      misfireGraceTime: 1000,
      retry: { attempts: 3, delay: 2000 },
    });
    await advance(1_100);
    expect(calls).toHaveLength(1);
    // The scheduler is paused across the retry's time and well past its grace.
    scheduler.pause();
    await advance(10_000);
    scheduler.resume();
    await advance(1_000);
    expect(calls).toHaveLength(1);
    const records = await scheduler.getExecutions({ jobId: 'j' });
    expect(records.map((r) => [r.attempt, r.status])).toEqual([
      [2, 'missed'],
      [1, 'error'],
    ]);
    // The one-shot job was kept for its retry; the chain is over, so it is gone.
    expect(await scheduler.getJob('j')).toBeNull();
    await scheduler.shutdown();
  });

  it('counts a pending retry toward maxInstances: a fire time due meanwhile is max_instances', async () => {
    const { scheduler, of } = makeScheduler();
    await scheduler.start();
    const { calls, handler } = flaky(1);
    await scheduler.addJob({
      id: 'j',
      handler,
      trigger: { type: 'interval', seconds: 1 },
      maxInstances: 1,
      retry: { attempts: 1, delay: 2500 },
    });
    await advance(1_000);
    expect(calls).toHaveLength(1);
    await advance(2_000); // fires at 2 s and 3 s while the retry waits for 3.5 s
    expect(calls).toHaveLength(1);
    expect(of('job_max_instances')).toHaveLength(2);
    await advance(600);
    expect(calls.map((c) => [c.attempt, c.at])).toEqual([
      [1, 1000],
      [2, 3500],
    ]);
    await scheduler.shutdown();
  });

  it('drops the pending retries of a removed job', async () => {
    const { scheduler } = makeScheduler();
    await scheduler.start();
    const { calls, handler } = flaky(Infinity);
    await scheduler.addJob({ id: 'j', handler, trigger: { type: 'interval', hours: 1 }, retry: { attempts: 3, delay: 5_000 } });
    await advance(3_600_000);
    expect((await scheduler.getExecutions({ jobId: 'j', status: 'retry_pending' })).map((r) => r.retryAt?.getTime())).toEqual([
      T0.getTime() + 3_605_000,
    ]);
    await scheduler.removeJob('j');
    await advance(10_000);
    expect(calls).toHaveLength(1);
    expect(await scheduler.getExecutions({ jobId: 'j', status: 'retry_pending' })).toEqual([]);
    await scheduler.shutdown();
  });

  it('takes the policy from jobDefaults, and retry: null on a job turns it off', async () => {
    const { scheduler } = makeScheduler({ jobDefaults: { retry: { attempts: 1, delay: 10 } } });
    await scheduler.start();
    const on = flaky(Infinity);
    const off = flaky(Infinity);
    const a = await scheduler.addJob({ id: 'a', handler: on.handler, trigger: { type: 'date', runDate: T0 } });
    expect(a.retry).toEqual({ attempts: 1, delay: 10, backoff: 'fixed', maxDelay: null, jitter: 0 });
    await scheduler.addJob({ id: 'b', handler: off.handler, trigger: { type: 'date', runDate: T0 }, retry: null });
    await advance(1_000);
    expect(on.calls).toHaveLength(2);
    expect(off.calls).toHaveLength(1);
    await scheduler.shutdown();
  });

  it('changes a policy with modifyJob, and refuses a bad one naming the field', async () => {
    const { scheduler } = makeScheduler();
    await scheduler.start();
    await scheduler.addJob({ id: 'j', handler: () => {}, trigger: { type: 'interval', hours: 1 } });
    const modified = await scheduler.modifyJob('j', { retry: { attempts: 2, backoff: 'exponential' } });
    expect(modified.retry).toEqual({ attempts: 2, delay: 1000, backoff: 'exponential', maxDelay: null, jitter: 0 });
    await expect(scheduler.modifyJob('j', { retry: { attempts: 2, backoff: 'linear' } as never })).rejects.toThrow(
      /retry\.backoff.*linear/s,
    );
    await expect(scheduler.addJob({ handler: () => {}, retry: { attempts: -1 } })).rejects.toThrow(InvalidJobOptionError);
    await scheduler.shutdown();
  });

  it('refuses a policy for a store that cannot keep retries', async () => {
    const memory = new MemoryJobStore();
    // A custom store: everything the memory store does, but it does not declare supportsRetries.
    const custom = Object.create(memory, { supportsRetries: { value: undefined } }) as JobStore;
    const { scheduler } = makeScheduler({ stores: { default: custom } });
    await scheduler.start();
    await expect(scheduler.addJob({ handler: () => {}, retry: { attempts: 1 } })).rejects.toThrow(/retry.*cannot keep retries/s);
    await expect(scheduler.addJob({ handler: () => {}, trigger: { type: 'interval', hours: 1 } })).resolves.toBeDefined();
    await scheduler.shutdown();
  });
});
