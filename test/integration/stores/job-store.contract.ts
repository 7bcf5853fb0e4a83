import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ConflictingIdError, JobLookupError } from '../../../lib/core/errors.js';
import type { JobStoreErrorEvent, SchedulerEvent } from '../../../lib/core/events/scheduler-events.js';
import type { JobSpec } from '../../../lib/core/jobs/job.js';
import type { Outcome } from '../../../lib/core/runs/execution.js';
import type { ClaimedRun, Plan } from '../../../lib/core/loop/claim.js';
import type { DueRetry, JobStore, PlanFunction, RetryPlanFunction, StoreContext } from '../../../lib/stores/job-store.js';

/**
 * The behaviour every JobStore shares, written against the interface only. A store factory must
 * return an empty store (no jobs, no execution records) each time it is called.
 */

/** A fixed instant with milliseconds, well in the past so pruning by age can reach it. */
export const T0 = new Date('2024-03-10T12:00:00.250Z');
export const at = (ms: number): Date => new Date(T0.getTime() + ms);

export function makeJob(id: string, overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    id,
    name: `job ${id}`,
    handler: 'Handlers.run',
    args: [1, 'two', { three: [3], four: null }],
    trigger: { type: 'interval', seconds: 1 },
    executor: 'default',
    coalesce: true,
    maxInstances: 1,
    misfireGraceTime: 1000,
    timeout: null,
    rerunOnLoss: false,
    retry: null,
    nextRunTime: T0,
    ...overrides,
  };
}

export interface RecordingContext extends StoreContext {
  events: SchedulerEvent[];
  wakeUps: number;
  submitted: { job: JobSpec; runs: ClaimedRun[] }[];
  warnings: string[];
}

export function recordingContext(instanceId = 'instance-a', alias = 'default'): RecordingContext {
  const ctx: RecordingContext = {
    alias,
    instanceId,
    events: [],
    wakeUps: 0,
    submitted: [],
    warnings: [],
    wakeUp: () => void ctx.wakeUps++,
    emit: (event) => void ctx.events.push(event),
    submit: (job, runs) => void ctx.submitted.push({ job, runs }),
    warn: (message) => void ctx.warnings.push(message),
  };
  return ctx;
}

export function emptyPlan(overrides: Partial<Plan> = {}): Plan {
  return { runTimes: [], missed: [], maxInstances: [], failed: [], nextRunTime: null, remove: false, ...overrides };
}

/** Runs the job's nextRunTime and moves it 1 s on: a stand-in for the scheduler's plan. */
export const everySecond: PlanFunction = (job) =>
  emptyPlan({ runTimes: [job.nextRunTime!], nextRunTime: new Date(job.nextRunTime!.getTime() + 1000) });

/** Runs the job's nextRunTime once and moves it an hour on, out of reach of the tests' `now`. */
export const runOnce: PlanFunction = (job) =>
  emptyPlan({ runTimes: [job.nextRunTime!], nextRunTime: new Date(job.nextRunTime!.getTime() + 3_600_000) });

/** Like everySecond, but records what the store passed in. */
export function spyPlan(inner: PlanFunction = everySecond) {
  const calls: { job: JobSpec; running: number; now: Date }[] = [];
  const plan: PlanFunction = (job, running, now) => {
    calls.push({ job, running, now });
    return inner(job, running, now);
  };
  return { plan, calls };
}

export function outcome(status: Outcome['status'], startedAt: Date, overrides: Partial<Outcome> = {}): Outcome {
  return {
    status,
    startedAt,
    finishedAt: new Date(startedAt.getTime() + 12),
    durationMs: 12.5,
    error: null,
    traceback: null,
    ...overrides,
  };
}

export function runJobStoreContract(name: string, makeStore: () => JobStore | Promise<JobStore>): void {
  describe(`${name}: JobStore contract`, () => {
    let store: JobStore;
    let ctx: RecordingContext;

    beforeEach(async () => {
      store = await makeStore();
      ctx = recordingContext();
      await store.start(ctx);
    });

    afterEach(async () => {
      await store.shutdown();
    });

    const ids = (jobs: { id: string }[]) => jobs.map((j) => j.id);
    const statuses = async (jobId: string) =>
      (await store.getExecutions({ jobId })).map((e) => [e.scheduledRunTime.getTime() - T0.getTime(), e.status] as const);

    describe('jobs', () => {
      it('declares whether it is shared and persistent', () => {
        expect(typeof store.shared).toBe('boolean');
        expect(typeof store.persistent).toBe('boolean');
      });

      it('adds a job and looks it up with every field intact', async () => {
        const job = makeJob('full', {
          name: 'Full job',
          args: [{ nested: { deep: [1, 2.5, 'x', true, null] } }, 'ünïcødé ✓', -7],
          trigger: { type: 'cron', hour: '6', minute: '*/15', dayOfWeek: 'mon-fri', timezone: 'Europe/Paris' },
          executor: 'pool',
          coalesce: false,
          maxInstances: 3,
          misfireGraceTime: null,
          timeout: 5000,
          rerunOnLoss: true,
          nextRunTime: new Date('2031-07-04T23:59:59.999Z'),
        });
        await store.addJob(job);
        expect(await store.lookupJob('full')).toEqual(job);
      });

      it('keeps instants to the millisecond', async () => {
        const times = ['1970-01-01T00:00:00.001Z', '2024-03-31T01:30:00.250Z', '2099-12-31T23:59:59.999Z'];
        for (const [i, time] of times.entries()) await store.addJob(makeJob(`ms${i}`, { nextRunTime: new Date(time) }));
        for (const [i, time] of times.entries()) {
          expect((await store.lookupJob(`ms${i}`))?.nextRunTime?.toISOString()).toBe(time);
        }
        expect((await store.getNextRunTime())?.toISOString()).toBe(times[0]);
      });

      it('rejects a duplicate id with ConflictingIdError and keeps the first job', async () => {
        await store.addJob(makeJob('dup', { name: 'first' }));
        const error = await store.addJob(makeJob('dup', { name: 'second' })).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConflictingIdError);
        expect((error as ConflictingIdError).jobId).toBe('dup');
        expect((await store.lookupJob('dup'))?.name).toBe('first');
      });

      it('returns null for an unknown id', async () => {
        expect(await store.lookupJob('nope')).toBeNull();
      });

      it('updates every field of a job', async () => {
        await store.addJob(makeJob('u'));
        const changed = makeJob('u', {
          name: 'renamed',
          handler: 'Other.handler',
          args: ['new'],
          trigger: { type: 'date', runDate: '2030-01-01T00:00:00.000Z' },
          executor: 'other',
          coalesce: false,
          maxInstances: 5,
          misfireGraceTime: 30_000,
          timeout: 100,
          rerunOnLoss: true,
          nextRunTime: at(123),
        });
        await store.updateJob(changed);
        expect(await store.lookupJob('u')).toEqual(changed);
        await store.updateJob(changed); // an identical update is not an absent job
        await store.updateJob({ ...changed, nextRunTime: null });
        expect((await store.lookupJob('u'))?.nextRunTime).toBeNull();
      });

      it('throws JobLookupError when updating an unknown job', async () => {
        await expect(store.updateJob(makeJob('ghost'))).rejects.toBeInstanceOf(JobLookupError);
        expect(await store.lookupJob('ghost')).toBeNull();
      });

      it('removes a job, and throws JobLookupError for an unknown one', async () => {
        await store.addJob(makeJob('r1'));
        await store.addJob(makeJob('r2'));
        await store.removeJob('r1');
        expect(await store.lookupJob('r1')).toBeNull();
        expect(ids(await store.getAllJobs())).toEqual(['r2']);
        await expect(store.removeJob('r1')).rejects.toBeInstanceOf(JobLookupError);
      });

      it('removes all jobs', async () => {
        for (const id of ['a', 'b', 'c']) await store.addJob(makeJob(id));
        await store.removeAllJobs();
        expect(await store.getAllJobs()).toEqual([]);
        expect(await store.getNextRunTime()).toBeNull();
        await store.removeAllJobs();
      });

      it('lists jobs by nextRunTime, paused jobs last', async () => {
        await store.addJob(makeJob('paused', { nextRunTime: null }));
        await store.addJob(makeJob('late', { nextRunTime: at(5000) }));
        await store.addJob(makeJob('early', { nextRunTime: at(-5000) }));
        await store.addJob(makeJob('middle', { nextRunTime: at(1) }));
        expect(ids(await store.getAllJobs())).toEqual(['early', 'middle', 'late', 'paused']);
      });

      it('gives the earliest nextRunTime, ignoring paused jobs', async () => {
        expect(await store.getNextRunTime()).toBeNull();
        await store.addJob(makeJob('paused', { nextRunTime: null }));
        expect(await store.getNextRunTime()).toBeNull();
        await store.addJob(makeJob('b', { nextRunTime: at(2000) }));
        await store.addJob(makeJob('a', { nextRunTime: at(7) }));
        expect(await store.getNextRunTime()).toEqual(at(7));
      });
    });

    describe('claimDueJobs', () => {
      it('claims only jobs due at now (inclusive), earliest first, up to the limit', async () => {
        await store.addJob(makeJob('future', { nextRunTime: at(1) }));
        await store.addJob(makeJob('now', { nextRunTime: at(0) }));
        await store.addJob(makeJob('past2', { nextRunTime: at(-2000) }));
        await store.addJob(makeJob('past1', { nextRunTime: at(-1000) }));
        await store.addJob(makeJob('paused', { nextRunTime: null }));

        const first = await store.claimDueJobs(T0, 2, runOnce);
        expect(first.map((c) => c.job.id)).toEqual(['past2', 'past1']);
        const second = await store.claimDueJobs(T0, 10, runOnce);
        expect(second.map((c) => c.job.id)).toEqual(['now']);
        expect(await store.claimDueJobs(T0, 10, runOnce)).toEqual([]);
        expect((await store.lookupJob('future'))?.nextRunTime).toEqual(at(1));
        expect((await store.lookupJob('paused'))?.nextRunTime).toBeNull();
      });

      it('passes the job as stored, its running count and now to plan', async () => {
        const job = makeJob('spy', { args: ['x'], nextRunTime: at(-10) });
        await store.addJob(job);
        const spy = spyPlan();
        await store.claimDueJobs(T0, 10, spy.plan);
        expect(spy.calls).toEqual([{ job, running: 0, now: T0 }]);
      });

      it('persists the planned nextRunTime and returns the claimed job with it', async () => {
        await store.addJob(makeJob('j', { nextRunTime: at(0) }));
        const [claim] = await store.claimDueJobs(T0, 10, everySecond);
        expect(claim!.job).toEqual(makeJob('j', { nextRunTime: at(1000) }));
        expect(claim!.plan.runTimes).toEqual([at(0)]);
        expect(claim!.runs).toEqual([{ executionId: expect.any(String), runTime: at(0) }]);
        expect((await store.lookupJob('j'))?.nextRunTime).toEqual(at(1000));
        expect(await store.getNextRunTime()).toEqual(at(1000));
        expect(await store.claimDueJobs(T0, 10, everySecond)).toEqual([]);
        expect((await store.claimDueJobs(at(1000), 10, everySecond)).map((c) => c.runs[0]!.runTime)).toEqual([at(1000)]);
      });

      it('pauses a job whose plan gives no nextRunTime without removing it', async () => {
        await store.addJob(makeJob('p', { nextRunTime: at(0) }));
        await store.claimDueJobs(T0, 10, (job) => emptyPlan({ runTimes: [job.nextRunTime!], nextRunTime: null }));
        expect((await store.lookupJob('p'))?.nextRunTime).toBeNull();
      });

      it('deletes the job when the plan says remove, keeping its execution record', async () => {
        await store.addJob(makeJob('once', { nextRunTime: at(0) }));
        await store.addJob(makeJob('stays', { nextRunTime: at(0) }));
        const claims = await store.claimDueJobs(T0, 10, (job) =>
          job.id === 'once' ? emptyPlan({ runTimes: [job.nextRunTime!], remove: true }) : everySecond(job, 0, T0),
        );
        expect(claims.map((c) => [c.job.id, c.job.nextRunTime, c.runs.length])).toEqual([
          ['once', null, 1],
          ['stays', at(1000), 1],
        ]);
        expect(await store.lookupJob('once')).toBeNull();
        expect(ids(await store.getAllJobs())).toEqual(['stays']);
        expect(await statuses('once')).toEqual([[0, 'running']]);
      });

      it('claims the others, and does not run a recorded time again, when a job is set back onto a time it ran', async () => {
        await store.addJob(makeJob('a', { nextRunTime: at(0) }));
        expect(ids((await store.claimDueJobs(T0, 10, everySecond)).map((c) => c.job))).toEqual(['a']);
        // a is set back onto the time it just ran (a hand edit of its row, a restored backup...).
        // On a database its record's unique key made the whole claim roll back, every time: b and
        // every other due job of the store never ran again.
        await store.updateJob(makeJob('a', { nextRunTime: at(0) }));
        await store.addJob(makeJob('b', { nextRunTime: at(0) }));
        const claims = await store.claimDueJobs(T0, 10, everySecond);
        const runs = Object.fromEntries(claims.map((c) => [c.job.id, c.runs.map((r) => r.runTime.getTime() - T0.getTime())]));
        expect(runs).toEqual({ a: [], b: [0] });
        // a's time keeps its one record; a moved on to its next fire time, as its plan said.
        expect(await statuses('a')).toEqual([[0, 'running']]);
        expect((await store.lookupJob('a'))?.nextRunTime).toEqual(at(1000));
        const errors = ctx.events.filter((e): e is JobStoreErrorEvent => e.type === 'jobstore_error');
        expect(errors.map((e) => [e.jobId, e.error.name, e.error.message])).toEqual([
          ['a', 'FireTimeRecordedError', expect.stringContaining(`fire time ${T0.toISOString()} already has an execution record`)],
        ]);
        // And the next claim is an ordinary one.
        expect(ids((await store.claimDueJobs(at(1000), 10, everySecond)).map((c) => c.job)).sort()).toEqual(['a', 'b']);
      });

      it('records one execution per run time with its status', async () => {
        await store.addJob(makeJob('mix', { nextRunTime: at(-4000) }));
        const failure = new Error('handler gone');
        const [claim] = await store.claimDueJobs(T0, 10, () =>
          emptyPlan({
            missed: [at(-4000)],
            maxInstances: [at(-3000)],
            failed: [{ runTime: at(-2000), error: failure }],
            runTimes: [at(-1000), at(0)],
            nextRunTime: at(1000),
          }),
        );
        expect(claim!.runs.map((r) => r.runTime)).toEqual([at(-1000), at(0)]);
        const history = await store.getExecutions({ jobId: 'mix' });
        expect(history.map((e) => [e.scheduledRunTime.getTime() - T0.getTime(), e.status])).toEqual([
          [0, 'running'],
          [-1000, 'running'],
          [-2000, 'error'],
          [-3000, 'max_instances'],
          [-4000, 'missed'],
        ]);
        for (const e of history) {
          expect(e).toMatchObject({ jobId: 'mix', instanceId: 'instance-a' });
        }
        const running = history.filter((e) => e.status === 'running');
        expect(running.map((e) => e.id).sort()).toEqual(claim!.runs.map((r) => r.executionId).sort());
        expect(running.every((e) => e.finishedAt === null && e.error === null)).toBe(true);
        const failed = history.find((e) => e.status === 'error')!;
        expect(failed.error).toContain('handler gone');
        expect(failed.traceback).toContain('handler gone');
      });

      it('counts running submissions, not runs: a backlog claimed at once is one submission', async () => {
        await store.addJob(makeJob('backlog', { nextRunTime: at(-1000) }));
        const [claim] = await store.claimDueJobs(T0, 10, () => emptyPlan({ runTimes: [at(-1000), at(0)], nextRunTime: at(1000) }));
        const spy = spyPlan();
        await store.claimDueJobs(at(1000), 10, spy.plan);
        expect(spy.calls.map((c) => c.running)).toEqual([1]);

        const [firstRun, secondRun] = claim!.runs;
        await store.finishExecution(firstRun!.executionId, outcome('executed', at(5)));
        const spy2 = spyPlan();
        await store.claimDueJobs(at(2000), 10, spy2.plan);
        // the claim at 1000 started a second submission, still running
        expect(spy2.calls.map((c) => c.running)).toEqual([2]);

        await store.finishExecution(secondRun!.executionId, outcome('executed', at(6)));
        const spy3 = spyPlan();
        await store.claimDueJobs(at(3000), 10, spy3.plan);
        expect(spy3.calls.map((c) => c.running)).toEqual([2]); // 1000's and 2000's submissions
      });

      it('counts each claimed submission and releases it when finished', async () => {
        await store.addJob(makeJob('multi', { nextRunTime: at(0), maxInstances: 5 }));
        await store.addJob(makeJob('other', { nextRunTime: at(0) }));
        const runs: string[] = [];
        for (let i = 0; i < 3; i++) {
          const spy = spyPlan();
          const claims = await store.claimDueJobs(at(i * 1000), 10, spy.plan);
          expect(spy.calls.filter((c) => c.job.id === 'multi').map((c) => c.running)).toEqual([i]);
          // other jobs' executions never count
          expect(spy.calls.filter((c) => c.job.id === 'other').map((c) => c.running)).toEqual([i]);
          runs.push(claims.find((c) => c.job.id === 'multi')!.runs[0]!.executionId);
        }
        await store.finishExecution(runs[0]!, outcome('executed', at(1)));
        await store.finishExecution(runs[2]!, outcome('error', at(2), { error: 'boom', traceback: 'Error: boom' }));
        const spy = spyPlan();
        await store.claimDueJobs(at(3000), 10, spy.plan);
        expect(spy.calls.find((c) => c.job.id === 'multi')!.running).toBe(1);
      });

      it('does not count missed, max_instances or error records as running', async () => {
        await store.addJob(makeJob('quiet', { nextRunTime: at(0) }));
        await store.claimDueJobs(T0, 10, () =>
          emptyPlan({
            missed: [at(-3)],
            maxInstances: [at(-2)],
            failed: [{ runTime: at(-1), error: new Error('x') }],
            nextRunTime: at(1000),
          }),
        );
        const spy = spyPlan();
        await store.claimDueJobs(at(1000), 10, spy.plan);
        expect(spy.calls.map((c) => c.running)).toEqual([0]);
      });

      it('advances a job whose plan runs nothing', async () => {
        await store.addJob(makeJob('skip', { nextRunTime: at(0) }));
        const [claim] = await store.claimDueJobs(T0, 10, () => emptyPlan({ nextRunTime: at(60_000) }));
        expect(claim!.runs).toEqual([]);
        expect((await store.lookupJob('skip'))?.nextRunTime).toEqual(at(60_000));
        expect(await store.getExecutions({ jobId: 'skip' })).toEqual([]);
      });

      it('leaves a job the plan declines (null) untouched and goes on to the next ones', async () => {
        await store.addJob(makeJob('declined', { nextRunTime: at(0) }));
        await store.addJob(makeJob('taken', { nextRunTime: at(0) }));
        const claims = await store.claimDueJobs(T0, 10, (job, running, now) =>
          job.id === 'declined' ? null : everySecond(job, running, now),
        );
        expect(claims.map((c) => c.job.id)).toEqual(['taken']);
        expect((await store.lookupJob('declined'))?.nextRunTime).toEqual(at(0));
        expect(await statuses('declined')).toEqual([]);
        // Not planned twice in one claim, even with room to spare.
        const spy = spyPlan((job, running, now) => (job.id === 'declined' ? null : everySecond(job, running, now)));
        await store.claimDueJobs(at(1000), 10, spy.plan);
        expect(spy.calls.filter((c) => c.job.id === 'declined')).toHaveLength(1);
        expect((await store.claimDueJobs(at(1000), 10, everySecond)).map((c) => c.job.id)).toEqual(['declined']);
      });

      it('releases runs claimed but never started, so the same fire time can be claimed again', async () => {
        expect(typeof store.releaseRuns).toBe('function');
        await store.addJob(makeJob('ahead', { nextRunTime: at(0) }));
        await store.addJob(makeJob('kept', { nextRunTime: at(0) }));
        const claims = await store.claimDueJobs(T0, 10, everySecond);
        const ahead = claims.find((c) => c.job.id === 'ahead')!;
        await store.releaseRuns!([{ jobId: 'ahead', ...ahead.runs[0]! }]);
        expect(await statuses('ahead')).toEqual([]);
        expect(await statuses('kept')).toEqual([[0, 'running']]);
        // The job is moved back to the released fire time; a paused job would stay paused.
        expect((await store.lookupJob('ahead'))?.nextRunTime).toEqual(at(0));
        expect((await store.lookupJob('kept'))?.nextRunTime).toEqual(at(1000));
        const spy = spyPlan();
        const again = await store.claimDueJobs(T0, 10, spy.plan);
        expect(spy.calls.find((c) => c.job.id === 'ahead')!.running).toBe(0);
        expect(again.map((c) => c.runs[0]!.runTime)).toEqual([at(0)]);
        expect(await statuses('ahead')).toEqual([[0, 'running']]);
      });

      it('does not release a run that has already ended, nor move a paused job', async () => {
        await store.addJob(makeJob('done', { nextRunTime: at(0) }));
        const [claim] = await store.claimDueJobs(T0, 10, everySecond);
        await store.finishExecution(claim!.runs[0]!.executionId, outcome('executed', at(1)));
        await store.updateJob(makeJob('done', { nextRunTime: null }));
        await store.releaseRuns!([{ jobId: 'done', ...claim!.runs[0]! }]);
        expect(await statuses('done')).toEqual([[0, 'executed']]);
        expect((await store.lookupJob('done'))?.nextRunTime).toBeNull();
      });

      it('returns nothing when nothing is due', async () => {
        expect(await store.claimDueJobs(T0, 10, everySecond)).toEqual([]);
        await store.addJob(makeJob('later', { nextRunTime: at(1) }));
        expect(await store.claimDueJobs(T0, 10, everySecond)).toEqual([]);
      });
    });

    describe('retries', () => {
      const runRetry: RetryPlanFunction = () => 'run';
      const failedWithRetry = (jobId: string, runTime: Date, retryAt: Date, attempt = 2) =>
        outcome('error', runTime, { error: 'Error: boom', retry: { jobId, runTime, attempt, at: retryAt } });
      /** Claims job `id` at T0 and fails its run with a retry due at `retryAt`; returns the failed run's id. */
      async function failOnce(id: string, retryAt: Date, overrides: Partial<JobSpec> = {}): Promise<string> {
        await store.addJob(makeJob(id, { nextRunTime: at(0), ...overrides }));
        const [claim] = await store.claimDueJobs(T0, 10, runOnce);
        const executionId = claim!.runs[0]!.executionId;
        await store.finishExecutions([{ executionId, outcome: failedWithRetry(id, at(0), retryAt) }]);
        return executionId;
      }
      /** A job's records, the latest attempt first (the order of records of one time is the store's). */
      const retryRecords = async (jobId: string) =>
        (await store.getExecutions({ jobId }))
          .sort((a, b) => b.attempt - a.attempt)
          .map((e) => [e.attempt, e.status, e.retryAt ? e.retryAt.getTime() - T0.getTime() : null]);

      it('records the retry of a failed run with its outcome, as a pending record that maxInstances counts', async () => {
        expect(store.supportsRetries).toBe(true);
        await failOnce('r', at(5000));
        expect(await retryRecords('r')).toEqual([
          [2, 'retry_pending', 5000],
          [1, 'error', null],
        ]);
        // The job's next fire (an hour on) is planned with the pending retry counted as running.
        const { plan, calls } = spyPlan(runOnce);
        await store.claimDueJobs(at(3_600_000), 10, plan);
        expect(calls.map((c) => c.running)).toEqual([1]);
        // getNextRunTime is the retry's time when it is earlier than every job's.
        expect((await store.getNextRunTime())!.getTime()).toBe(at(5000).getTime());
      });

      it('offers a retry to planRetry once it is due, and runs it as a claim of its attempt', async () => {
        const offered: DueRetry[] = [];
        const planRetry: RetryPlanFunction = (_job, retry) => (offered.push(retry), 'run');
        await failOnce('r', at(5000));
        expect(await store.claimDueJobs(at(4999), 10, runOnce, planRetry)).toEqual([]);
        expect(offered).toEqual([]);
        const claims = await store.claimDueJobs(at(5000), 10, runOnce, planRetry);
        expect(offered.map((r) => [r.jobId, r.attempt, r.runTime.getTime(), r.retryAt.getTime()])).toEqual([
          ['r', 2, at(0).getTime(), at(5000).getTime()],
        ]);
        expect(claims).toHaveLength(1);
        const [claim] = claims;
        expect(claim!.retry).toBe(true);
        expect(claim!.job.id).toBe('r');
        expect(claim!.plan.runTimes).toEqual([at(0)]);
        expect(claim!.runs).toEqual([{ executionId: offered[0]!.executionId, runTime: at(0), attempt: 2, dueAt: at(5000) }]);
        const [record] = await store.getExecutions({ jobId: 'r', status: 'running' });
        expect([record!.attempt, record!.instanceId]).toEqual([2, 'instance-a']);
        // Claimed once: the next claim has nothing to offer.
        expect(await store.claimDueJobs(at(9000), 10, runOnce, planRetry)).toEqual([]);
        expect(offered).toHaveLength(1);
        // Its outcome ends it like any run's.
        await store.finishExecution(record!.id, outcome('executed', at(5001)));
        expect(await retryRecords('r')).toEqual([
          [2, 'executed', 5000],
          [1, 'error', null],
        ]);
      });

      it('records a retry planRetry calls missed, and leaves one it postpones', async () => {
        await failOnce('m', at(1000));
        await failOnce('w', at(1000));
        const claims = await store.claimDueJobs(at(2000), 10, runOnce, (job) => (job.id === 'm' ? 'missed' : null));
        expect(claims.map((c) => [c.job.id, c.retry, c.plan.missed.length, c.runs.length])).toEqual([['m', true, 1, 0]]);
        expect((await retryRecords('m'))[0]!.slice(0, 2)).toEqual([2, 'missed']);
        expect((await retryRecords('w'))[0]!.slice(0, 2)).toEqual([2, 'retry_pending']);
      });

      it('hands each due retry to one of several concurrent claims', async () => {
        for (let i = 0; i < 20; i++) await failOnce(`c${i}`, at(1000));
        const batches = await Promise.all([1, 2, 3, 4].map(() => store.claimDueJobs(at(2000), 5, runOnce, runRetry)));
        const claimed = batches.flat().flatMap((c) => c.runs.map((r) => r.executionId));
        // Each claim takes up to 5; together they may leave some for a later claim, never one twice.
        expect(new Set(claimed).size).toBe(claimed.length);
        const rest = await store.claimDueJobs(at(2000), 100, runOnce, runRetry);
        const all = [...claimed, ...rest.flatMap((c) => c.runs.map((r) => r.executionId))];
        expect(new Set(all).size).toBe(20);
        expect(all).toHaveLength(20);
      });

      it("drops a removed job's pending retries, and a retry whose job is gone", async () => {
        await failOnce('gone', at(1000));
        await failOnce('all1', at(1000));
        await store.removeJob('gone');
        expect((await retryRecords('gone')).map((r) => r[1])).toEqual(['error']);
        await store.removeAllJobs();
        expect((await retryRecords('all1')).map((r) => r[1])).toEqual(['error']);
        // A failed run recorded after its job was removed: the retry finds no job and is deleted.
        await store.addJob(makeJob('late', { nextRunTime: at(0) }));
        const [claim] = await store.claimDueJobs(T0, 10, runOnce);
        await store.removeJob('late');
        await store.finishExecution(claim!.runs[0]!.executionId, failedWithRetry('late', at(0), at(1000)));
        expect(await store.claimDueJobs(at(2000), 10, runOnce, runRetry)).toEqual([]);
        expect((await retryRecords('late')).map((r) => r[1])).toEqual(['error']);
        expect(await store.getNextRunTime()).toBeNull();
      });

      it('removes several jobs with their pending retries in one call, skipping absent ones', async () => {
        await failOnce('r1', at(1000));
        await failOnce('r2', at(1000));
        await store.addJob(makeJob('kept', { nextRunTime: at(0) }));
        expect((await store.removeJobs!(['r1', 'nope', 'r2'])).sort()).toEqual(['r1', 'r2']);
        expect(ids(await store.getAllJobs())).toEqual(['kept']);
        expect(await store.getExecutions({ status: 'retry_pending' })).toEqual([]);
      });

      it('takes a released retry back to pending, and prunes no pending retry', async () => {
        await failOnce('r', at(1000));
        const [claim] = await store.claimDueJobs(at(1000), 10, runOnce, runRetry);
        const run = claim!.runs[0]!;
        await store.releaseRuns!([{ jobId: 'r', executionId: run.executionId, runTime: run.runTime, attempt: run.attempt }]);
        expect((await retryRecords('r'))[0]).toEqual([2, 'retry_pending', 1000]);
        // Its job's schedule is untouched by the release.
        expect((await store.lookupJob('r'))!.nextRunTime!.getTime()).toBe(at(3_600_000).getTime());
        expect(await store.pruneExecutions(0)).toBe(1); // the failed first run only
        expect((await retryRecords('r')).map((r) => r[1])).toEqual(['retry_pending']);
        const [again] = await store.claimDueJobs(at(1000), 10, runOnce, runRetry);
        expect(again!.runs[0]!.executionId).toBe(run.executionId);
      });

      it('writes an outcome again without failing on the retry it recorded the first time', async () => {
        const executionId = await failOnce('twice', at(1000));
        await store.finishExecutions([{ executionId, outcome: failedWithRetry('twice', at(0), at(1000)) }]);
        expect((await retryRecords('twice')).map((r) => r.slice(0, 2))).toEqual([
          [2, 'retry_pending'],
          [1, 'error'],
        ]);
      });

      it('keeps a job with a retry policy, paused, when its trigger ends with a run that may be retried', async () => {
        const policy = { attempts: 2, delay: 1000, backoff: 'fixed' as const, maxDelay: null, jitter: 0 };
        await store.addJob(makeJob('once', { nextRunTime: at(0), retry: policy }));
        const [claim] = await store.claimDueJobs(T0, 10, () => emptyPlan({ runTimes: [at(0)], nextRunTime: null, remove: true }));
        expect(claim!.runs).toHaveLength(1);
        const kept = await store.lookupJob('once');
        expect(kept && [kept.nextRunTime, kept.retry]).toEqual([null, policy]);
      });

      it('removes such a job when its last time turns out to be recorded already, instead of keeping it paused for good', async () => {
        const policy = { attempts: 2, delay: 1000, backoff: 'fixed' as const, maxDelay: null, jitter: 0 };
        const last: PlanFunction = () => emptyPlan({ runTimes: [at(0)], nextRunTime: null, remove: true });
        await store.addJob(makeJob('once', { nextRunTime: at(0), retry: policy }));
        await store.claimDueJobs(T0, 10, last);
        // Set back onto that time: its last run is recorded, so the claim runs nothing and the job,
        // kept only for the retries of a run it does not have, goes.
        await store.updateJob(makeJob('once', { nextRunTime: at(0), retry: policy }));
        const [claim] = await store.claimDueJobs(T0, 10, last);
        expect(claim!.runs).toEqual([]);
        expect(await store.lookupJob('once')).toBeNull();
        expect(await statuses('once')).toEqual([[0, 'running']]);
      });
    });

    describe('executions', () => {
      it('records the outcome of a run', async () => {
        await store.addJob(makeJob('f', { nextRunTime: at(0) }));
        const [claim] = await store.claimDueJobs(T0, 10, everySecond);
        const result = outcome('error', at(3), {
          finishedAt: at(1503),
          durationMs: 1500.25,
          error: 'Error: boom',
          traceback: 'Error: boom\n    at somewhere (file.ts:1:1)',
        });
        await store.finishExecution(claim!.runs[0]!.executionId, result);
        const [execution] = await store.getExecutions({ jobId: 'f' });
        expect(execution).toEqual({
          id: claim!.runs[0]!.executionId,
          jobId: 'f',
          scheduledRunTime: at(0),
          attempt: 1,
          instanceId: 'instance-a',
          retryAt: null,
          ...result,
        });
      });

      it('records the outcomes of several runs in one call, and releases their submissions', async () => {
        for (const id of ['b1', 'b2', 'b3']) await store.addJob(makeJob(id, { nextRunTime: at(0), maxInstances: 1 }));
        const claims = await store.claimDueJobs(T0, 10, everySecond);
        const items = claims.map((c, i) => ({
          executionId: c.runs[0]!.executionId,
          outcome: outcome(
            i === 1 ? 'error' : 'executed',
            at(10 + i),
            i === 1 ? { error: 'Error: two', traceback: 'Error: two\n at x' } : {},
          ),
        }));
        await store.finishExecutions(items);
        const rows = await store.getExecutions({});
        expect(rows.map((r) => [r.jobId, r.status]).sort()).toEqual([
          ['b1', 'executed'],
          ['b2', 'error'],
          ['b3', 'executed'],
        ]);
        expect(rows.find((r) => r.jobId === 'b2')).toMatchObject({
          error: 'Error: two',
          traceback: 'Error: two\n at x',
          startedAt: at(11),
        });
        // Nothing is running any more: the next claim sees 0 running submissions.
        const seen: number[] = [];
        await store.claimDueJobs(at(1000), 10, (job, running, now) => {
          seen.push(running);
          return everySecond(job, running, now);
        });
        expect(seen).toEqual([0, 0, 0]);
        await store.finishExecutions([]);
      });

      it('starts an extra run as its own running submission', async () => {
        await store.addJob(makeJob('extra', { nextRunTime: at(60_000) }));
        const id = await store.startExtraRun('extra', at(5));
        expect(await store.getExecutions({ jobId: 'extra' })).toEqual([
          expect.objectContaining({ id, scheduledRunTime: at(5), status: 'running', instanceId: 'instance-a' }),
        ]);
        const spy = spyPlan();
        await store.claimDueJobs(at(60_000), 10, spy.plan);
        expect(spy.calls.map((c) => c.running)).toEqual([1]);
        expect((await store.lookupJob('extra'))?.nextRunTime).toEqual(at(61_000));
      });

      it('moves an extra run that collides with a recorded run time by 1 ms', async () => {
        await store.addJob(makeJob('bump', { nextRunTime: at(0), maxInstances: 3 }));
        await store.claimDueJobs(T0, 10, everySecond);
        const first = await store.startExtraRun('bump', at(0));
        const second = await store.startExtraRun('bump', at(0));
        const history = await store.getExecutions({ jobId: 'bump' });
        expect(history.map((e) => [e.id, e.scheduledRunTime.getTime() - T0.getTime()])).toEqual([
          [second, 2],
          [first, 1],
          [expect.any(String), 0],
        ]);
      });

      it("steps an extra run aside from the job's own next fire time, which then runs as scheduled", async () => {
        await store.addJob(makeJob('aside', { nextRunTime: at(0), maxInstances: 3 }));
        const extra = await store.startExtraRun('aside', at(0));
        const [claim] = await store.claimDueJobs(T0, 10, everySecond);
        expect(claim!.runs.map((r) => r.runTime)).toEqual([at(0)]);
        const history = await store.getExecutions({ jobId: 'aside' });
        expect(history.map((e) => [e.id === extra, e.scheduledRunTime.getTime() - T0.getTime()])).toEqual([
          [true, 1],
          [false, 0],
        ]);
        expect(ctx.events.filter((e) => e.type === 'jobstore_error')).toEqual([]);
      });

      it('records an extra run as max_instances, and returns null, while the job has maxInstances running', async () => {
        await store.addJob(makeJob('busy', { nextRunTime: at(0), maxInstances: 1 }));
        const [claim] = await store.claimDueJobs(T0, 10, everySecond);
        expect(await store.startExtraRun('busy', at(5))).toBeNull();
        const refused = (await store.getExecutions({ jobId: 'busy', status: 'max_instances' }))[0];
        expect(refused).toEqual(
          expect.objectContaining({ scheduledRunTime: at(5), attempt: 1, status: 'max_instances', instanceId: 'instance-a' }),
        );
        expect(refused!.finishedAt).toBeInstanceOf(Date);
        // Refused, it is no running submission: the claimed run ending frees the job for the next.
        await store.finishExecution(claim!.runs[0]!.executionId, {
          status: 'executed',
          startedAt: at(0),
          finishedAt: at(1),
          durationMs: 1,
          error: null,
          traceback: null,
        });
        const id = await store.startExtraRun('busy', at(6));
        expect(id).toEqual(expect.any(String));
        expect((await store.getExecutions({ jobId: 'busy', status: 'running' })).map((e) => e.id)).toEqual([id]);
      });

      it('lets only maxInstances of concurrent extra runs start', async () => {
        await store.addJob(makeJob('race', { nextRunTime: at(60_000), maxInstances: 2 }));
        const ids = await Promise.all(Array.from({ length: 6 }, () => store.startExtraRun('race', at(5))));
        expect(ids.filter((id) => id !== null)).toHaveLength(2);
        const history = await store.getExecutions({ jobId: 'race' });
        expect(history.filter((e) => e.status === 'running')).toHaveLength(2);
        expect(history.filter((e) => e.status === 'max_instances')).toHaveLength(4);
        expect(new Set(history.map((e) => e.scheduledRunTime.getTime())).size).toBe(6);
      });

      it('throws JobLookupError for an extra run of an unknown job', async () => {
        await expect(store.startExtraRun('ghost', T0)).rejects.toBeInstanceOf(JobLookupError);
      });

      it('lists history newest first, filtered by job, status and since', async () => {
        await store.addJob(makeJob('h1', { nextRunTime: at(0) }));
        await store.addJob(makeJob('h2', { nextRunTime: at(0) }));
        const backlog = (_job: JobSpec) =>
          emptyPlan({
            missed: [at(-2000)],
            runTimes: [at(-1000), at(0)],
            nextRunTime: at(1000),
          });
        const claims = await store.claimDueJobs(T0, 10, backlog);
        const h1 = claims.find((c) => c.job.id === 'h1')!;
        await store.finishExecution(h1.runs[0]!.executionId, outcome('executed', at(-999)));

        const all = await store.getExecutions({});
        expect(all).toHaveLength(6);
        const times = all.map((e) => e.scheduledRunTime.getTime());
        expect([...times].sort((a, b) => b - a)).toEqual(times);

        expect(await statuses('h1')).toEqual([
          [0, 'running'],
          [-1000, 'executed'],
          [-2000, 'missed'],
        ]);
        const missed = await store.getExecutions({ status: 'missed' });
        expect(missed.map((e) => e.jobId).sort()).toEqual(['h1', 'h2']);
        const running = await store.getExecutions({ jobId: 'h2', status: 'running' });
        expect(running.map((e) => e.scheduledRunTime)).toEqual([at(0), at(-1000)]);
        const since = await store.getExecutions({ since: at(-1000) });
        expect(since).toHaveLength(4);
        expect(since.every((e) => e.scheduledRunTime >= at(-1000))).toBe(true);
        expect(await store.getExecutions({ jobId: 'h1', status: 'error' })).toEqual([]);
        expect(await store.getExecutions({ jobId: 'nope' })).toEqual([]);
      });

      it('pages history with limit and offset, 100 records by default', async () => {
        await store.addJob(makeJob('many', { nextRunTime: at(0) }));
        const runTimes = Array.from({ length: 120 }, (_, i) => at(i * 10));
        await store.claimDueJobs(at(2000), 10, () => emptyPlan({ missed: runTimes, nextRunTime: at(5000) }));
        const firstPage = await store.getExecutions({ jobId: 'many' });
        expect(firstPage).toHaveLength(100);
        expect(firstPage[0]!.scheduledRunTime).toEqual(at(1190));
        const page = await store.getExecutions({ jobId: 'many', limit: 7, offset: 110 });
        expect(page.map((e) => e.scheduledRunTime.getTime() - T0.getTime())).toEqual([90, 80, 70, 60, 50, 40, 30]);
        const tail = await store.getExecutions({ jobId: 'many', limit: 50, offset: 100 });
        expect(tail).toHaveLength(20);
        expect(await store.getExecutions({ jobId: 'many', offset: 500 })).toEqual([]);
      });

      it('prunes finished records older than the cutoff and keeps running ones', async () => {
        await store.addJob(makeJob('old', { nextRunTime: at(0) }));
        const [claim] = await store.claimDueJobs(T0, 10, () =>
          emptyPlan({ missed: [at(-3000)], runTimes: [at(-2000), at(-1000)], nextRunTime: null }),
        );
        await store.finishExecution(claim!.runs[0]!.executionId, outcome('executed', at(-1999)));
        // Recent records (run times near now) must survive any cutoff below their age.
        await store.addJob(makeJob('recent', { nextRunTime: new Date(Date.now() - 10) }));
        const [recent] = await store.claimDueJobs(new Date(), 10, runOnce);
        expect(recent!.job.id).toBe('recent');
        await store.finishExecution(recent!.runs[0]!.executionId, outcome('executed', new Date()));

        const ageOfT0 = Date.now() - T0.getTime();
        // Cutoff between -2000 and -3000: only the missed record is older.
        expect(await store.pruneExecutions(ageOfT0 + 2500)).toBe(1);
        expect(await statuses('old')).toEqual([
          [-1000, 'running'],
          [-2000, 'executed'],
        ]);
        // Cutoff one minute ago: every finished 'old' record goes, running ones and recent ones stay.
        expect(await store.pruneExecutions(60_000)).toBe(1);
        expect(await statuses('old')).toEqual([[-1000, 'running']]);
        expect((await store.getExecutions({ jobId: 'recent' })).map((e) => e.status)).toEqual(['executed']);
        expect(await store.pruneExecutions(60_000)).toBe(0);
      });
    });
  });
}
