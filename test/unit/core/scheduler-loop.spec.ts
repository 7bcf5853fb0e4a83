import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { AsyncExecutor } from '../../../lib/executors/async.executor.js';
import type { JobContext } from '../../../lib/core/jobs/job-options.js';
import type { JobErrorEvent, JobExecutedEvent, JobSubmittedEvent } from '../../../lib/core/events/scheduler-events.js';
import { T0, advance, deferred, makeScheduler, silentLogger, useFakeClock } from './scheduler-fixture.js';
import { Scheduler } from '../../../lib/core/scheduler.js';
import { ofType } from '../../../lib/core/events/of-type.js';

describe('Scheduler loop', () => {
  beforeEach(() => useFakeClock());
  afterEach(() => {
    jest.useRealTimers();
  });

  it('runs an interval job on its grid with args and a context', async () => {
    const { scheduler, of } = makeScheduler();
    const calls: { args: unknown[]; ctx: JobContext; at: number }[] = [];
    await scheduler.start();
    await scheduler.addJob({
      id: 'tick',
      handler: (a: number, b: string, ctx: JobContext) => void calls.push({ args: [a, b], ctx, at: Date.now() }),
      args: [1, 'x'],
      trigger: { type: 'interval', seconds: 3 },
    });
    await advance(9_500);
    expect(calls.map((c) => c.at - T0.getTime())).toEqual([3000, 6000, 9000]);
    expect(calls[0].args).toEqual([1, 'x']);
    expect(calls[0].ctx).toMatchObject({ jobId: 'tick', jobName: 'handler', instanceId: 'test' });
    expect(calls[1].ctx.scheduledRunTime.getTime()).toBe(T0.getTime() + 6000);
    expect(calls[0].ctx.signal).toBeInstanceOf(AbortSignal);
    expect(of('job_executed')).toHaveLength(3);
    expect(of('job_submitted')).toHaveLength(3);
    await scheduler.shutdown();
  });

  it('uses one timer however many jobs are scheduled', async () => {
    const { scheduler } = makeScheduler();
    await scheduler.start();
    for (let i = 0; i < 500; i++) {
      await scheduler.addJob({ handler: () => {}, trigger: { type: 'interval', seconds: 10 + i } });
    }
    await advance(5);
    expect(jest.getTimerCount()).toBeLessThanOrEqual(1);
    await scheduler.shutdown();
  });

  it('records a date job in the past within grace as run, and beyond grace as missed, then removes it', async () => {
    const { scheduler, of } = makeScheduler();
    const ran: string[] = [];
    await scheduler.start();
    await scheduler.addJob({
      id: 'late-ok',
      handler: () => void ran.push('ok'),
      trigger: { type: 'date', runDate: new Date(T0.getTime() - 500) },
    });
    await scheduler.addJob({
      id: 'too-late',
      handler: () => void ran.push('late'),
      trigger: { type: 'date', runDate: new Date(T0.getTime() - 5000) },
    });
    await advance(10);
    expect(ran).toEqual(['ok']);
    expect(of('job_missed').map((e) => e.jobId)).toEqual(['too-late']);
    expect(
      of('job_removed')
        .map((e) => e.jobId)
        .sort(),
    ).toEqual(['late-ok', 'too-late']);
    expect(await scheduler.getJobs()).toEqual([]);
    const history = await scheduler.getExecutions();
    expect(history.map((h) => [h.jobId, h.status]).sort()).toEqual([
      ['late-ok', 'executed'],
      ['too-late', 'missed'],
    ]);
    await scheduler.shutdown();
  });

  it('coalesces a backlog into one run, or runs each fire time one after another', async () => {
    const { scheduler, of } = makeScheduler();
    const runs: Record<string, number[]> = { co: [], all: [] };
    await scheduler.start({ paused: true });
    for (const [id, coalesce] of [
      ['co', true],
      ['all', false],
    ] as const) {
      await scheduler.addJob({
        id,
        coalesce,
        misfireGraceTime: null,
        maxInstances: 1,
        handler: (ctx: JobContext) => void runs[id].push(ctx.scheduledRunTime.getTime() - T0.getTime()),
        trigger: { type: 'interval', seconds: 1 },
      });
    }
    await advance(5_200);
    scheduler.resume();
    await advance(10);
    expect(runs.co).toEqual([5000]);
    expect(runs.all).toEqual([1000, 2000, 3000, 4000, 5000]);
    // The backlog of 'all' was a single submission, so maxInstances: 1 did not drop any of it.
    expect(of('job_max_instances')).toHaveLength(0);
    await scheduler.shutdown();
  });

  it('emits job_max_instances instead of overlapping a running job', async () => {
    const { scheduler, of } = makeScheduler();
    const release = deferred();
    let started = 0;
    await scheduler.start();
    await scheduler.addJob({
      id: 'slow',
      maxInstances: 1,
      handler: async () => {
        started++;
        await release.promise;
      },
      trigger: { type: 'interval', seconds: 1 },
    });
    await advance(3_100);
    expect(started).toBe(1);
    const skipped = of('job_max_instances') as JobSubmittedEvent[];
    expect(skipped.map((e) => e.scheduledRunTimes[0].getTime() - T0.getTime())).toEqual([2000, 3000]);
    expect((await scheduler.getExecutions({ status: 'max_instances' })).length).toBe(2);
    release.resolve();
    await advance(1_000);
    expect(started).toBe(2);
    await scheduler.shutdown();
  });

  it('lets two instances overlap when maxInstances is 2', async () => {
    const { scheduler } = makeScheduler();
    const release = deferred();
    let running = 0;
    let peak = 0;
    await scheduler.start();
    await scheduler.addJob({
      maxInstances: 2,
      handler: async () => {
        peak = Math.max(peak, ++running);
        await release.promise;
        running--;
      },
      trigger: { type: 'interval', seconds: 1 },
    });
    await advance(3_100);
    expect(peak).toBe(2);
    release.resolve();
    await scheduler.shutdown();
  });

  it('records errors thrown synchronously or rejected, with the stack, and goes on', async () => {
    const { scheduler, of } = makeScheduler();
    await scheduler.start();
    await scheduler.addJob({
      id: 'sync',
      handler: () => {
        throw new TypeError('sync boom');
      },
      trigger: { type: 'interval', seconds: 1 },
    });
    await scheduler.addJob({
      id: 'async',
      handler: async () => Promise.reject(new Error('async boom')),
      trigger: { type: 'interval', seconds: 1 },
    });
    await scheduler.addJob({
      id: 'string',
      handler: () => {
        throw 'plain string';
      },
      trigger: { type: 'interval', seconds: 1 },
    });
    await advance(2_100);
    const errors = of('job_error') as JobErrorEvent[];
    expect(errors).toHaveLength(6);
    expect(errors.find((e) => e.jobId === 'sync')!.error).toBeInstanceOf(TypeError);
    expect(errors.find((e) => e.jobId === 'sync')!.traceback).toContain('sync boom');
    expect(errors.find((e) => e.jobId === 'string')!.error.message).toBe('plain string');
    const rows = await scheduler.getExecutions({ jobId: 'async' });
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ status: 'error', error: 'Error: async boom' });
    expect(rows[0].traceback).toContain('async boom');
    expect(rows[0].durationMs).not.toBeNull();
    await scheduler.shutdown();
  });

  it('times out a handler that never settles, aborts its signal, and keeps scheduling', async () => {
    const { scheduler, of } = makeScheduler({ executors: { default: new AsyncExecutor({ maxConcurrency: 1 }) } });
    const signals: AbortSignal[] = [];
    await scheduler.start();
    await scheduler.addJob({
      id: 'hang',
      timeout: 200,
      maxInstances: 1,
      handler: (ctx: JobContext) => {
        signals.push(ctx.signal);
        return new Promise(() => {});
      },
      trigger: { type: 'interval', seconds: 1 },
    });
    await advance(3_500);
    expect(signals).toHaveLength(3);
    expect(signals.every((s) => s.aborted)).toBe(true);
    const errors = of('job_error') as JobErrorEvent[];
    expect(errors).toHaveLength(3);
    expect(errors[0].error.name).toBe('JobTimeoutError');
    expect(errors[0].durationMs).toBe(200);
    await scheduler.shutdown();
  });

  it('misses a run that waited for an executor slot past its grace time', async () => {
    const { scheduler, of } = makeScheduler({ executors: { default: new AsyncExecutor({ maxConcurrency: 1 }) } });
    const release = deferred();
    await scheduler.start();
    await scheduler.addJob({
      id: 'blocker',
      handler: () => release.promise,
      trigger: { type: 'date', runDate: new Date(T0.getTime() + 100) },
    });
    await scheduler.addJob({
      id: 'waiter',
      misfireGraceTime: 1000,
      handler: () => {},
      trigger: { type: 'date', runDate: new Date(T0.getTime() + 200) },
    });
    await advance(2_000);
    release.resolve();
    await advance(10);
    expect(of('job_missed').map((e) => e.jobId)).toEqual(['waiter']);
    expect((await scheduler.getExecutions({ jobId: 'waiter' }))[0].status).toBe('missed');
    await scheduler.shutdown();
  });

  it('keeps running when an events$ subscriber throws', async () => {
    const errors: string[] = [];
    const { scheduler } = makeScheduler({ logger: { log: () => {}, warn: () => {}, error: (m) => void errors.push(m) } });
    scheduler.events$.subscribe(() => {
      throw new Error('bad subscriber');
    });
    scheduler.executed$.subscribe(() => {
      throw new Error('bad typed subscriber');
    });
    let runs = 0;
    await scheduler.start();
    await scheduler.addJob({ handler: () => void runs++, trigger: { type: 'interval', seconds: 1 } });
    await advance(3_100);
    expect(runs).toBe(3);
    expect(errors.some((m) => m.includes('bad subscriber'))).toBe(true);
    expect(errors.some((m) => m.includes('bad typed subscriber'))).toBe(true);
    await scheduler.shutdown();
  });

  it('delivers each typed stream its events, and events$ to a listener that comes later', async () => {
    const scheduler = new Scheduler({ timezone: 'UTC', logger: silentLogger });
    const errors: string[] = [];
    const executed: string[] = [];
    scheduler.error$.subscribe((e) => errors.push(e.jobId));
    scheduler.executed$.subscribe((e) => executed.push(e.jobId));
    await scheduler.start();
    await scheduler.addJob({ id: 'ok', handler: () => {}, trigger: { type: 'interval', seconds: 1 } });
    await scheduler.addJob({
      id: 'bad',
      handler: () => {
        throw new Error('no');
      },
      trigger: { type: 'interval', seconds: 1 },
    });
    await advance(1_100);
    expect(executed).toEqual(['ok']);
    expect(errors).toEqual(['bad']);
    // Nobody listened to job_submitted so far; a subscriber from now on gets it.
    const later: string[] = [];
    scheduler.events$.pipe(ofType('job_submitted')).subscribe((e) => later.push(e.jobId));
    await advance(1_000);
    expect(later.sort()).toEqual(['bad', 'ok']);
    expect(executed).toEqual(['ok', 'ok']);
    await scheduler.shutdown();
  });

  it('does nothing while paused and catches up on resume by the misfire rules', async () => {
    const { scheduler, of } = makeScheduler();
    let runs = 0;
    await scheduler.start();
    await scheduler.addJob({
      handler: () => void runs++,
      trigger: { type: 'interval', seconds: 1 },
      misfireGraceTime: 500,
      coalesce: false,
    });
    await advance(1_100);
    expect(runs).toBe(1);
    scheduler.pause();
    await advance(3_000);
    expect(runs).toBe(1);
    scheduler.resume();
    await advance(10);
    // 2 s, 3 s and 4 s passed while paused: 2 s and 3 s are beyond grace, 4 s (100 ms ago) runs.
    expect(of('job_missed')).toHaveLength(2);
    expect(runs).toBe(2);
    expect(of('scheduler_paused')).toHaveLength(1);
    expect(of('scheduler_resumed')).toHaveLength(1);
    await scheduler.shutdown();
  });

  it('reports executed event timing and return value', async () => {
    const { scheduler, events } = makeScheduler();
    await scheduler.start();
    await scheduler.addJob({
      id: 'value',
      handler: async () => {
        await new Promise((r) => setTimeout(r, 250));
        return { answer: 42 };
      },
      trigger: { type: 'date', runDate: new Date(T0.getTime() + 1000) },
    });
    await advance(1_300);
    const executed = events.find((e) => e.type === 'job_executed') as JobExecutedEvent;
    expect(executed.returnValue).toEqual({ answer: 42 });
    expect(executed.scheduledRunTime.getTime()).toBe(T0.getTime() + 1000);
    expect(executed.durationMs).toBe(250);
    expect(executed.startedAt.getTime()).toBe(T0.getTime() + 1000);
    expect(executed).toMatchObject({ type: 'job_executed', jobId: 'value', store: 'default', instanceId: 'test' });
    expect(executed.timestamp.getTime()).toBe(executed.finishedAt.getTime());
    const submitted = events.find((e) => e.type === 'job_submitted') as JobSubmittedEvent;
    expect(submitted).toMatchObject({
      jobId: 'value',
      store: 'default',
      instanceId: 'test',
      scheduledRunTimes: [new Date(T0.getTime() + 1000)],
    });
    expect(submitted.timestamp).toBeInstanceOf(Date);
    await scheduler.shutdown();
  });
});
