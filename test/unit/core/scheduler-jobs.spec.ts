import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import {
  ConflictingIdError,
  ExecutorLookupError,
  HandlerNotFoundError,
  InvalidJobOptionError,
  InvalidTriggerError,
  JobLookupError,
  SchedulerAlreadyRunningError,
  SchedulerNotRunningError,
  StoreLookupError,
} from '../../../lib/core/errors.js';
import type { JobErrorEvent } from '../../../lib/core/events/scheduler-events.js';
import { MemoryJobStore } from '../../../lib/stores/memory.job-store.js';
import { T0, advance, deferred, makeScheduler, useFakeClock } from './scheduler-fixture.js';

const every = (seconds: number) => ({ type: 'interval' as const, seconds });

describe('Scheduler jobs and lifecycle', () => {
  beforeEach(() => useFakeClock());
  afterEach(() => {
    jest.useRealTimers();
  });

  it('keeps jobs added before start pending and schedules them at start', async () => {
    const { scheduler, of } = makeScheduler();
    const job = await scheduler.addJob({ id: 'early', handler: () => {}, trigger: every(5) });
    expect(job.pending).toBe(true);
    expect((await scheduler.getJobs({ pending: true })).map((j) => j.id)).toEqual(['early']);
    expect(of('job_added')).toHaveLength(0);
    await advance(2_000);
    await scheduler.start();
    const started = await scheduler.getJob('early');
    expect(started!.pending).toBe(false);
    // The interval counts from when the job was added, not from start().
    expect(started!.nextRunTime!.getTime()).toBe(T0.getTime() + 5000);
    expect(of('job_added')).toHaveLength(1);
    await scheduler.shutdown();
  });

  it('refuses a second start and operations that need a running scheduler', async () => {
    const { scheduler } = makeScheduler();
    expect(() => scheduler.pause()).toThrow(SchedulerNotRunningError);
    await expect(scheduler.shutdown()).rejects.toThrow(SchedulerNotRunningError);
    await scheduler.start();
    await expect(scheduler.start()).rejects.toThrow(SchedulerAlreadyRunningError);
    expect(scheduler.state).toBe('running');
    scheduler.pause();
    expect(scheduler.state).toBe('paused');
    await scheduler.shutdown();
    expect(scheduler.state).toBe('stopped');
    await expect(scheduler.runJobNow('x')).rejects.toThrow(SchedulerNotRunningError);
  });

  it('starts paused and runs nothing until resumed', async () => {
    const { scheduler } = makeScheduler();
    let runs = 0;
    await scheduler.start({ paused: true });
    await scheduler.addJob({ handler: () => void runs++, trigger: every(1), misfireGraceTime: null, coalesce: true });
    await advance(5_000);
    expect(runs).toBe(0);
    scheduler.resume();
    await advance(10);
    expect(runs).toBe(1);
    await scheduler.shutdown();
  });

  it('gives each kind of bad input its own error at addJob', async () => {
    const { scheduler } = makeScheduler();
    scheduler.registry.register('known', () => {});
    await scheduler.start();
    await scheduler.addJob({ id: 'dup', handler: 'known', trigger: every(1) });
    await expect(scheduler.addJob({ id: 'dup', handler: 'known', trigger: every(1) })).rejects.toThrow(ConflictingIdError);
    await expect(scheduler.addJob({ handler: 'unknown', trigger: every(1) })).rejects.toThrow(HandlerNotFoundError);
    await expect(scheduler.addJob({ handler: 'known', store: 'nope' })).rejects.toThrow(StoreLookupError);
    await expect(scheduler.addJob({ handler: 'known', executor: 'nope' })).rejects.toThrow(ExecutorLookupError);
    await expect(scheduler.addJob({ handler: 'known', trigger: { type: 'interval', seconds: -1 } })).rejects.toThrow(InvalidTriggerError);
    await expect(scheduler.addJob({ handler: 'known', maxInstances: 0 })).rejects.toThrow(
      /maxInstances.*0.*whole number from 1 to 2147483647/,
    );
    await expect(scheduler.addJob({ handler: 'known', misfireGraceTime: -5 })).rejects.toThrow(InvalidJobOptionError);
    await expect(scheduler.addJob({ handler: 'known', misfireGracetime: 5 } as never)).rejects.toThrow(/misfireGracetime/);
    await expect(scheduler.addJob({ handler: 42 } as never)).rejects.toThrow(/handler/);
    await expect(scheduler.addJob({ handler: 'known', nextRunTime: 'not a date' })).rejects.toThrow(/nextRunTime/);
    expect((await scheduler.getJobs()).map((j) => j.id)).toEqual(['dup']);
    await scheduler.shutdown();
  });

  it('replaces a job with replaceExisting', async () => {
    const { scheduler } = makeScheduler();
    await scheduler.start();
    await scheduler.addJob({ id: 'r', name: 'first', handler: () => {}, trigger: every(1) });
    await scheduler.addJob({ id: 'r', name: 'second', handler: () => {}, trigger: every(9), replaceExisting: true });
    const job = await scheduler.getJob('r');
    expect(job!.name).toBe('second');
    expect(job!.trigger).toMatchObject({ type: 'interval', seconds: 9 });
    await scheduler.shutdown();
  });

  it('modifies, reschedules, pauses, resumes and removes jobs through the service and the Job handles', async () => {
    const { scheduler, of } = makeScheduler();
    const seen: unknown[] = [];
    await scheduler.start();
    const job = await scheduler.addJob({ id: 'm', handler: (x: unknown) => void seen.push(x), args: [1], trigger: every(10) });
    const modified = await job.modify({ args: [2], name: 'renamed', maxInstances: 3 });
    expect(modified).toMatchObject({ name: 'renamed', args: [2], maxInstances: 3 });
    const rescheduled = await scheduler.rescheduleJob('m', every(2));
    expect(rescheduled.nextRunTime!.getTime()).toBe(T0.getTime() + 2000);
    await advance(2_100);
    expect(seen).toEqual([2]);
    const paused = await rescheduled.pause();
    expect(paused.nextRunTime).toBeNull();
    await advance(10_000);
    expect(seen).toEqual([2]);
    const resumed = await paused.resume();
    expect(resumed!.nextRunTime!.getTime()).toBeGreaterThan(Date.now());
    await resumed!.remove();
    expect(await scheduler.getJob('m')).toBeNull();
    await expect(scheduler.removeJob('m')).rejects.toThrow(JobLookupError);
    await expect(scheduler.modifyJob('m', { name: 'x' })).rejects.toThrow(JobLookupError);
    await expect(scheduler.pauseJob('m')).rejects.toThrow(JobLookupError);
    expect(of('job_modified').length).toBeGreaterThanOrEqual(4);
    expect(of('job_removed')).toHaveLength(1);
    await scheduler.shutdown();
  });

  it('refuses changing an id and unknown modify fields', async () => {
    const { scheduler } = makeScheduler();
    await scheduler.start();
    await scheduler.addJob({ id: 'a', handler: () => {}, trigger: every(1) });
    await expect(scheduler.modifyJob('a', { id: 'b' })).rejects.toThrow(/id.*cannot change/);
    await expect(scheduler.modifyJob('a', { trigger: every(2) } as never)).rejects.toThrow(/trigger/);
    await scheduler.shutdown();
  });

  it('removes a job on resume when its trigger has no further fire time', async () => {
    const { scheduler } = makeScheduler();
    await scheduler.start();
    await scheduler.addJob({
      id: 'once',
      handler: () => {},
      trigger: { type: 'date', runDate: new Date(T0.getTime() + 60_000) },
      nextRunTime: null,
    });
    await advance(1000);
    const resumed = await scheduler.resumeJob('once');
    expect(resumed).not.toBeNull();
    await scheduler.shutdown();
  });

  it('does not run a job now past its maxInstances: records max_instances and emits job_max_instances', async () => {
    const { scheduler, of } = makeScheduler();
    const release = deferred();
    let starts = 0;
    await scheduler.start();
    await scheduler.addJob({
      id: 'slow',
      maxInstances: 1,
      handler: () => {
        starts++;
        return release.promise;
      },
      trigger: every(60),
    });
    await scheduler.runJobNow('slow');
    await advance(10);
    await scheduler.runJobNow('slow');
    await advance(10);
    expect(starts).toBe(1);
    expect(of('job_max_instances').map((e) => e.jobId)).toEqual(['slow']);
    expect((await scheduler.getExecutions({ jobId: 'slow' })).map((e) => e.status).sort()).toEqual(['max_instances', 'running']);
    release.resolve();
    await advance(10);
    await scheduler.runJobNow('slow');
    await advance(10);
    expect(starts).toBe(2);
    await scheduler.shutdown();
  });

  it('runs a job now without changing its schedule', async () => {
    const { scheduler } = makeScheduler();
    const times: number[] = [];
    await scheduler.start();
    await scheduler.addJob({ id: 'n', handler: () => void times.push(Date.now() - T0.getTime()), trigger: every(60) });
    await advance(1_000);
    await scheduler.runJobNow('n');
    await advance(10);
    expect(times).toEqual([1000]);
    expect((await scheduler.getJob('n'))!.nextRunTime!.getTime()).toBe(T0.getTime() + 60_000);
    expect((await scheduler.getExecutions({ jobId: 'n' }))[0].status).toBe('executed');
    await scheduler.shutdown();
  });

  it('removes all jobs, per store or everywhere', async () => {
    const { scheduler, of } = makeScheduler({ stores: { default: new MemoryJobStore(), other: new MemoryJobStore() } });
    await scheduler.start();
    await scheduler.addJob({ handler: () => {}, trigger: every(1) });
    await scheduler.addJob({ handler: () => {}, trigger: every(1), store: 'other' });
    await scheduler.removeAllJobs('other');
    expect((await scheduler.getJobs()).map((j) => j.store)).toEqual(['default']);
    await scheduler.removeAllJobs();
    expect(await scheduler.getJobs()).toEqual([]);
    expect(of('all_jobs_removed')).toHaveLength(2);
    await scheduler.shutdown();
  });

  it('prints jobs per store', async () => {
    const { scheduler } = makeScheduler();
    await scheduler.start();
    await scheduler.addJob({ name: 'wake', handler: () => {}, trigger: { type: 'interval', seconds: 30 } });
    const lines: string[] = [];
    await scheduler.printJobs((l) => lines.push(l));
    expect(lines[0]).toBe('Jobstore default:');
    expect(lines[1]).toMatch(/^ {4}wake \(trigger: interval.*next run at: 2030-01-07T12:00:30.000Z\)$/);
    await scheduler.shutdown();
  });

  it('shutdown waits for running jobs, then aborts their signal after shutdownTimeout', async () => {
    const { scheduler, of } = makeScheduler({ shutdownTimeout: 2000 });
    let finished = false;
    let aborted: AbortSignal | null = null;
    await scheduler.start();
    await scheduler.addJob({
      handler: async () => {
        await new Promise((r) => setTimeout(r, 500));
        finished = true;
      },
      trigger: { type: 'date', runDate: new Date(T0.getTime() + 100) },
    });
    await scheduler.addJob({
      handler: (ctx: { signal: AbortSignal }) =>
        new Promise<void>((resolve, reject) => {
          aborted = ctx.signal;
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
        }),
      trigger: { type: 'date', runDate: new Date(T0.getTime() + 100) },
    });
    await advance(200);
    const done = scheduler.shutdown();
    await advance(600);
    expect(finished).toBe(true);
    expect(aborted!.aborted).toBe(false);
    await advance(2_000);
    await done;
    expect(aborted!.aborted).toBe(true);
    expect(of('scheduler_shutdown')).toHaveLength(1);
    const errors = of('job_error') as JobErrorEvent[];
    expect(errors).toHaveLength(1);
    expect(errors[0].error.message).toMatch(/shut down/);
  });

  it('does not run or delete a job whose handler is gone; it waits for its next fire time', async () => {
    const { scheduler, of } = makeScheduler();
    scheduler.registry.register('volatile', () => {});
    await scheduler.start();
    await scheduler.addJob({ id: 'v', handler: 'volatile', trigger: every(1) });
    scheduler.registry.unregister('volatile');
    await advance(1_100);
    const errors = of('job_error') as JobErrorEvent[];
    expect(errors).toHaveLength(1);
    expect(errors[0].error).toBeInstanceOf(HandlerNotFoundError);
    const job = await scheduler.getJob('v');
    expect(job!.nextRunTime!.getTime()).toBe(T0.getTime() + 2000);
    expect((await scheduler.getExecutions({ jobId: 'v' }))[0].status).toBe('error');
    await scheduler.shutdown();
  });

  it('emits lifecycle events for stores and executors', async () => {
    const { scheduler, of } = makeScheduler();
    await scheduler.start();
    await scheduler.addJobStore(new MemoryJobStore(), 'extra');
    await expect(scheduler.addJobStore(new MemoryJobStore(), 'extra')).rejects.toThrow(/already exists/);
    await scheduler.removeJobStore('extra');
    await expect(scheduler.removeJobStore('extra')).rejects.toThrow(StoreLookupError);
    const { AsyncExecutor } = await import('../../../lib/executors/async.executor.js');
    scheduler.addExecutor(new AsyncExecutor(), 'pool');
    await scheduler.removeExecutor('pool');
    await expect(scheduler.removeExecutor('pool')).rejects.toThrow(ExecutorLookupError);
    expect(of('jobstore_added')).toHaveLength(1);
    expect(of('jobstore_removed')).toHaveLength(1);
    expect(of('executor_added')).toHaveLength(1);
    expect(of('executor_removed')).toHaveLength(1);
    expect(of('scheduler_started')).toHaveLength(1);
    await scheduler.shutdown();
  });

  it('keeps bounded execution history and prunes it', async () => {
    const { scheduler } = makeScheduler({ stores: { default: new MemoryJobStore({ maxExecutions: 5 }) } });
    await scheduler.start();
    await scheduler.addJob({ id: 'h', handler: () => {}, trigger: every(1) });
    await advance(8_100);
    const rows = await scheduler.getExecutions({ jobId: 'h' });
    expect(rows).toHaveLength(5);
    expect(rows[0].scheduledRunTime.getTime()).toBe(T0.getTime() + 8000);
    expect(await scheduler.getExecutions({ jobId: 'h', limit: 2, offset: 1 })).toEqual(rows.slice(1, 3));
    expect(await scheduler.getExecutions({ since: new Date(T0.getTime() + 7000) })).toHaveLength(2);
    // now is 8.1 s: the cutoff 5.6 s drops the runs of 4 s and 5 s.
    expect(await scheduler.pruneExecutions(2_500)).toBe(2);
    expect((await scheduler.getExecutions()).map((r) => r.scheduledRunTime.getTime() - T0.getTime())).toEqual([8000, 7000, 6000]);
    await scheduler.shutdown();
  });

  it('wakes at once when a job is added with an earlier time than the timer waits for', async () => {
    const { scheduler } = makeScheduler();
    const ran = deferred<number>();
    await scheduler.start();
    await scheduler.addJob({ handler: () => {}, trigger: every(3600) });
    await scheduler.addJob({ handler: () => ran.resolve(Date.now()), trigger: { type: 'date', runDate: new Date(T0.getTime() + 50) } });
    await advance(60);
    expect((await ran.promise) - T0.getTime()).toBe(50);
    await scheduler.shutdown();
  });
});
