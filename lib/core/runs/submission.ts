import { HandlerNotFoundError, JobTimeoutError } from '../errors.js';
import type { JobErrorEvent, JobExecutedEvent, JobMissedEvent, SchedulerEvent, SchedulerEventType } from '../events/scheduler-events.js';
import type { JobSpec } from '../jobs/job.js';
import type { JobHandlerFunction } from '../jobs/job-options.js';
import type { Outcome, RetryRecord } from './execution.js';
import { retryTime, shouldRetry } from '../jobs/retry-policy.js';
import type { ClaimedRun } from '../loop/claim.js';
import type { JobContext } from '../jobs/job-options.js';
import type { ExecutorTask } from '../../executors/executor.js';
import type { DeferredWork, RecordsRun } from './deferred-work.js';
import type { RunInstrumentation, RunObservation } from './run-instrumentation.js';
import type { RunTallies } from '../events/run-tally.js';
import { MAX_ERROR_CHARS, MAX_TRACEBACK_CHARS, storableText, toError } from '../../utils/thrown-value.js';

/**
 * A handler as the scheduler calls it: with the job's args and the context. JobHandlerFunction
 * takes `never[]` so that a handler may declare its own parameter types.
 */
type CallableHandler = (...args: unknown[]) => unknown;

/** A run in progress that shutdown may have to abort. */
export interface AbortableRun {
  abort(reason: unknown): void;
}

/** What a submission needs from the scheduler that runs it. */
export interface RunHost {
  readonly instanceId: string;
  /** True once shutdown began: runs not yet started are given up. */
  readonly stopping: boolean;
  /** Someone listens to events of this type: only then is such an event worth building. */
  wants(type: SchedulerEventType): boolean;
  resolveHandler(job: JobSpec): JobHandlerFunction | undefined;
  /** `closes`: the job id when this is the submission's last run (see OutcomeWriter.unwrittenSubmissions). */
  finish(store: string, executionId: string, outcome: Outcome, closes: string | null): void;
  emit(event: SchedulerEvent): void;
  /**
   * Work for after the current synchronous stretch. A run's bookkeeping (history, events) waits
   * there, so a burst of handlers due at one instant is not slowed by the records of the ones before.
   */
  readonly deferred: DeferredWork;
  /**
   * Runs still waiting for their handler to settle, each with the alias of its store: aborted when
   * shutdown stops waiting, or when that store finds this instance fenced (StoreContext.abortRuns).
   */
  readonly active: Map<AbortableRun, string>;
  /** A submission was made: the scheduler knows of its 'running' records until it has ended. */
  track(submission: Submission): void;
  /** A submission has run all its runs: its executor slot is free again. */
  ended(submission: Submission): void;
  /**
   * Shutdown reached a submission none of whose runs started (it waited for an executor slot):
   * true when the scheduler takes it to give back to its store, as if never claimed, rather than
   * recording its runs missed. See RunDispatcher.releaseHandedBack.
   */
  handBack(submission: Submission): boolean;
  /** Wraps every run (tracing); null: none, and runs take the fast path. */
  readonly instrumentation: RunInstrumentation | null;
  /** Told of every run that ended well when active, without an event (see events/run-tally.ts). */
  readonly tallies: RunTallies;
}

/**
 * The runs of one job claimed together, run one after another in one instance (as APScheduler's
 * run_job does), so a backlog with maxInstances 1 is not dropped.
 *
 * A handler that returns a plain value completes synchronously: no promise, timer or
 * AbortController is made for it, which is most of the cost of a fire when thousands are due at
 * once. The signal is created when the handler first reads it.
 */
export class Submission implements ExecutorTask, RecordsRun {
  readonly jobId: string;
  /** The executor alias the job asks for. */
  executor: string;
  /** The fire time it waits for while staged (StagedRuns); NaN when not staged. */
  stagedAt = Number.NaN;
  /** Every run has ended (or it was taken back): its records are no longer the scheduler's to finish. */
  over = false;
  /** Failed runs of it that scheduled a retry: a finished job is kept for those (see RunDispatcher). */
  retriesScheduled = 0;
  // A single run claimed ahead keeps what its start needs in these fields (see prepare()), not in
  // an object of its own: at the instant each run then touches as few objects as possible.
  private preparedRun: ClaimedRun | null = null;
  /** The scheduled time, epoch ms (NaN, a double like every epoch ms, until prepared). */
  private preparedTime = Number.NaN;
  /** misfireGraceTime; Infinity for none. */
  private preparedGrace = Infinity;
  private preparedCtx: RunContext | null = null;
  private preparedHandler: CallableHandler | undefined = undefined;
  /** The job's args when there are more than one; with none or one the handler is called directly. */
  private preparedArgv: unknown[] | null = null;
  private preparedArg0: unknown = undefined;
  private preparedArity = 0;
  /** run() was called: a second call (a faulty executor) does nothing, and cancel() is too late. */
  private started = false;
  /** Its records are no longer this instance's (see revoke): no further run of it starts. */
  private revoked = false;
  /** Runs before this index have had their outcome committed (recorded, deferred or given up). */
  private committed = 0;

  constructor(
    private readonly host: RunHost,
    readonly store: string,
    private job: JobSpec,
    private readonly runs: ClaimedRun[],
    /** Called once every run has been tried (not when the submission is cancelled). */
    private readonly onDone?: () => void,
  ) {
    this.jobId = job.id;
    this.executor = job.executor;
    host.track(this);
  }

  /** The scheduled times of its runs. */
  runTimes(): Date[] {
    return this.runs.map((r) => r.runTime);
  }

  /** The execution ids of its runs. */
  executionIds(): string[] {
    return this.runs.map((r) => r.executionId);
  }

  /** Its runs, as a store takes them back unstarted. */
  released(): { jobId: string; executionId: string; runTime: Date; attempt: number }[] {
    return this.runs.map((r) => ({ jobId: this.jobId, executionId: r.executionId, runTime: r.runTime, attempt: r.attempt ?? 1 }));
  }

  /** The first run's scheduled time, epoch ms. */
  get firstRunTime(): number {
    return this.runs[0].runTime.getTime();
  }

  /**
   * For a single run claimed ahead of its time: makes its context and argument list now, so that
   * at the instant calling the handler is all that is left.
   */
  prepare(): void {
    this.preparedRun = null;
    if (this.runs.length !== 1) return;
    const run = this.runs[0];
    const { job } = this;
    // A Date of its own, made right after the submission and its context: what a handler reads at
    // the instant then lies next to what the run itself reads, not wherever the claim made it.
    const ctx = new RunContext(job, new Date(run.runTime.getTime()), this.host.instanceId, run.attempt ?? 1);
    this.preparedTime = (run.dueAt ?? run.runTime).getTime();
    this.preparedGrace = job.misfireGraceTime ?? Infinity;
    this.preparedCtx = ctx;
    this.preparedHandler = this.host.resolveHandler(job) as CallableHandler | undefined;
    this.preparedArity = job.args.length;
    this.preparedArg0 = job.args[0];
    this.preparedArgv = job.args.length > 1 ? [...job.args, ctx] : null;
    // Last: a run whose preparation threw is not prepared, and starts (and fails) the slow way.
    this.preparedRun = run;
  }

  /** The job was modified before its run started: the run uses the new version. */
  replaceJob(job: JobSpec): void {
    this.job = job;
    this.executor = job.executor;
    if (this.preparedRun !== null) this.prepare();
  }

  /** Never throws: whatever goes wrong, every run of the submission ends with a record. */
  run(): Promise<void> | void {
    if (this.started) return;
    this.started = true;
    const run = this.preparedRun;
    if (run === null || this.host.stopping || this.host.instrumentation !== null) return this.runGuarded();
    this.preparedRun = null;
    // A run claimed ahead, in a burst: nothing here reads the job or allocates; the record and
    // events are left to after the burst. Only the handler can throw here, inside the try below.
    const startedAt = Date.now();
    if (startedAt - this.preparedTime > this.preparedGrace) return this.runGuarded();
    const ctx = this.preparedCtx!;
    const handler = this.preparedHandler;
    let result: unknown;
    try {
      if (handler === undefined) throw new HandlerNotFoundError(String(this.job.handler));
      if (this.preparedArity === 0) result = handler(ctx);
      else if (this.preparedArity === 1) result = handler(this.preparedArg0, ctx);
      else result = Reflect.apply(handler, undefined, this.preparedArgv!);
      if (result !== undefined && isThenable(result)) {
        this.committed = 1;
        return this.settle(run, ctx, startedAt, result).then(() => this.done());
      }
    } catch (err) {
      this.committed = 1;
      this.host.deferred.record(this, run, startedAt, undefined, toError(err));
      return this.done();
    }
    this.committed = 1;
    this.host.deferred.record(this, run, startedAt, result, null);
    this.done();
  }

  /** The runs one after another, the slow way; anything that throws outside a handler is recorded. */
  private runGuarded(): Promise<void> | void {
    this.preparedRun = null;
    try {
      const pending = this.runFrom(0);
      return pending === undefined ? undefined : pending.catch((err: unknown) => this.fail(err));
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * The executor dropped the submission unstarted (shutdown): its runs go back to the store when
   * the scheduler can give them back, and are missed otherwise.
   */
  cancel(reason: string): void {
    if (this.started) return;
    this.started = true;
    this.committed = this.runs.length;
    if (!(this.host.stopping && this.host.handBack(this))) this.giveUp(this.runs, reason);
    this.over = true;
    this.host.ended(this);
  }

  /**
   * Its store found this instance taken for dead by the others: the records of its runs are theirs
   * now (lost, or re-run elsewhere). A run not started never starts, and none is recorded here
   * (the store would refuse the write anyway); one under way goes on with its signal aborted, and
   * the runs after it in the submission are dropped.
   */
  revoke(): void {
    this.revoked = true;
    if (this.started) return;
    this.started = true;
    this.endRevoked();
  }

  /** The runs left of a revoked submission are dropped; a finished job is still deleted (afterRuns). */
  private endRevoked(): void {
    this.committed = this.runs.length;
    this.over = true;
    this.host.ended(this);
    this.afterRuns();
  }

  /** Handed back at shutdown, but the store could not take it: its runs are missed after all. */
  handBackFailed(reason: string): void {
    this.giveUp(this.runs, reason);
  }

  /**
   * Something outside the handler failed before the submission started (preparing it, handing it
   * over, a faulty executor): its runs are recorded as errors with the cause, so no record stays
   * 'running'. A submission that started already records its own runs, and is left alone.
   */
  abandon(cause: unknown): void {
    if (!this.started) this.fail(cause);
  }

  /** Records every run not yet recorded as an error with the cause. */
  private fail(cause: unknown): void {
    this.started = true;
    const error = toError(cause);
    const now = Date.now();
    for (let i = this.committed; i < this.runs.length; i++) this.record(this.runs[i], now, undefined, error);
    this.committed = this.runs.length;
    this.over = true;
    this.host.ended(this);
  }

  private runFrom(first: number): Promise<void> | void {
    for (let i = first; i < this.runs.length; i++) {
      if (this.revoked) return this.endRevoked();
      if (this.host.stopping) {
        this.committed = this.runs.length;
        // Nothing of it ran yet (it waited for a slot): back to the store, for another replica or
        // the next start. Runs after one that ran are not: the job's schedule has moved past them.
        if (i === 0 && this.host.handBack(this)) {
          this.over = true;
          this.host.ended(this);
          return;
        }
        this.giveUp(this.runs.slice(i), 'the scheduler shut down before the run started');
        this.over = true;
        this.host.ended(this);
        return;
      }
      const pending = this.runOne(this.runs[i]);
      this.committed = i + 1;
      if (pending) return pending.then(() => this.runFrom(i + 1));
    }
    this.done();
  }

  private done(): void {
    this.over = true;
    this.host.ended(this);
    this.afterRuns();
  }

  /**
   * A finished job kept for its runs is deleted once they are over (onDone), revoked or not: the
   * others mark a revoked run lost, and nothing else would delete the job. Except when the others
   * re-run it (rerunOnLoss): the job is theirs to delete after that run.
   */
  private afterRuns(): void {
    if (this.onDone && !(this.revoked && this.job.rerunOnLoss)) this.host.deferred.call(this.onDone);
  }

  private giveUp(runs: ClaimedRun[], reason: string): void {
    const now = new Date();
    for (const run of runs) {
      this.host.finish(
        this.store,
        run.executionId,
        {
          status: 'missed',
          startedAt: null,
          finishedAt: now,
          durationMs: null,
          error: reason,
          traceback: null,
        },
        this.closedBy(run),
      );
      this.host.emit(this.event<JobMissedEvent>('job_missed', { scheduledRunTime: run.runTime }));
    }
  }

  private runOne(run: ClaimedRun): Promise<void> | void {
    const { job, host } = this;
    const startedAt = Date.now();
    // A run that waited for an executor slot or for the runs before it may have become too late.
    // A retry is late by its own due time, not the fire time it belongs to.
    const dueAt = (run.dueAt ?? run.runTime).getTime();
    if (job.misfireGraceTime !== null && startedAt - dueAt > job.misfireGraceTime) {
      this.giveUp([run], `started ${startedAt - dueAt} ms late, past misfireGraceTime`);
      return;
    }
    const ctx = new RunContext(job, run.runTime, host.instanceId, run.attempt ?? 1);
    const observation = host.instrumentation === null ? null : this.observe(host.instrumentation, run);
    let result: unknown;
    try {
      const handler = host.resolveHandler(job) as CallableHandler | undefined;
      if (!handler) throw new HandlerNotFoundError(String(job.handler));
      result = observation === null ? handler(...job.args, ctx) : observation.enter(() => handler(...job.args, ctx));
      if (isThenable(result)) return this.settle(run, ctx, startedAt, result, observation);
    } catch (err) {
      const error = toError(err);
      if (observation !== null) ended(observation, error);
      host.deferred.record(this, run, startedAt, undefined, error);
      return;
    }
    if (observation !== null) ended(observation, null);
    host.deferred.record(this, run, startedAt, result, null);
  }

  /** Starts the instrumentation's observation of a run; one that throws leaves the run unobserved. */
  private observe(instrumentation: RunInstrumentation, run: ClaimedRun): RunObservation | null {
    try {
      return instrumentation.start({
        jobId: this.jobId,
        jobName: this.job.name,
        store: this.store,
        instanceId: this.host.instanceId,
        scheduledRunTime: run.runTime,
        attempt: run.attempt ?? 1,
      });
    } catch {
      return null;
    }
  }

  private async settle(
    run: ClaimedRun,
    ctx: RunContext,
    startedAt: number,
    result: PromiseLike<unknown>,
    observation: RunObservation | null = null,
  ): Promise<void> {
    const { job, host } = this;
    host.active.set(ctx, this.store);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      let value: unknown;
      if (job.timeout === null) {
        value = await result;
      } else {
        const timeout = job.timeout;
        value = await Promise.race([
          result,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              const error = new JobTimeoutError(job.id, timeout);
              ctx.abort(error);
              reject(error);
            }, timeout);
          }),
        ]);
      }
      if (observation !== null) ended(observation, null);
      this.record(run, startedAt, value, null);
    } catch (err) {
      const error = toError(err);
      if (observation !== null) ended(observation, error);
      this.record(run, startedAt, undefined, error);
    } finally {
      if (timer) clearTimeout(timer);
      host.active.delete(ctx);
    }
  }

  /** Writes how a run ended and emits its event. */
  record(run: ClaimedRun, startedAtMs: number, returnValue: unknown, failure: Error | null): void {
    const startedAt = new Date(startedAtMs);
    const finishedAt = new Date();
    const durationMs = finishedAt.getTime() - startedAtMs;
    const traceback = failure ? (failure.stack ?? `${failure.name}: ${failure.message}`) : null;
    const attempt = run.attempt ?? 1;
    const retry = failure === null || this.job.retry === null ? null : this.retryOf(run, attempt, failure, finishedAt);
    this.host.finish(
      this.store,
      run.executionId,
      {
        status: failure ? 'error' : 'executed',
        startedAt,
        finishedAt,
        durationMs,
        error: failure ? storableText(`${failure.name}: ${failure.message}`, MAX_ERROR_CHARS) : null,
        traceback: traceback === null ? null : storableText(traceback, MAX_TRACEBACK_CHARS),
        retry,
      },
      // A run that is retried has not ended its submission: the retry goes on counting toward
      // maxInstances, so the claim must not see the job free while the outcome is being written.
      retry === null ? this.closedBy(run) : null,
    );
    // Counters of every run (metrics, the event stream) are told in numbers: no event is built for
    // them (bench/ admin-cost: a job_executed object per run cost them ~8 µs per fire).
    const { tallies } = this.host;
    if (failure === null && tallies.active)
      tallies.executed(this.jobId, this.store, run.runTime.getTime(), startedAtMs, durationMs, attempt);
    if (!this.host.wants(failure ? 'job_error' : 'job_executed')) return;
    // Built field by field, not spread from parts: thousands are made after every burst.
    const { instanceId } = this.host;
    const timestamp = new Date(finishedAt.getTime());
    if (failure) {
      const event: JobErrorEvent = {
        type: 'job_error',
        timestamp,
        instanceId,
        jobId: this.jobId,
        store: this.store,
        scheduledRunTime: run.runTime,
        startedAt,
        finishedAt,
        durationMs,
        error: failure,
        traceback: traceback!,
        attempt,
        retryAt: retry === null ? null : retry.at,
      };
      this.host.emit(event);
    } else {
      const event: JobExecutedEvent = {
        type: 'job_executed',
        timestamp,
        instanceId,
        jobId: this.jobId,
        store: this.store,
        scheduledRunTime: run.runTime,
        startedAt,
        finishedAt,
        durationMs,
        returnValue,
        attempt,
      };
      this.host.emit(event);
    }
  }

  /**
   * The retry a failed run schedules under the job's policy (README, "Retries"), or null: a timeout
   * or a thrown error is retried up to `attempts` times; a handler that is not registered is not
   * (retrying cannot help).
   */
  private retryOf(run: ClaimedRun, attempt: number, failure: Error, finishedAt: Date): RetryRecord | null {
    const policy = this.job.retry;
    if (failure instanceof HandlerNotFoundError) return null;
    if (!shouldRetry(policy, failure instanceof JobTimeoutError ? 'timeout' : 'error', attempt)) return null;
    this.retriesScheduled++;
    return { jobId: this.jobId, runTime: run.runTime, attempt: attempt + 1, at: retryTime(policy!, attempt, finishedAt) };
  }

  /** The job id when `run` is the submission's last: its record ends the submission. */
  private closedBy(run: ClaimedRun): string | null {
    return run === this.runs[this.runs.length - 1] ? this.jobId : null;
  }

  private event<E extends SchedulerEvent>(type: E['type'], fields: Omit<E, keyof SchedulerEvent | 'jobId'>): E {
    return {
      type,
      timestamp: new Date(),
      instanceId: this.host.instanceId,
      jobId: this.job.id,
      store: this.store,
      ...fields,
    } as unknown as E;
  }
}

/** The handler's ctx. Its AbortController is made on first use of `signal`, or to abort. */
class RunContext implements JobContext, AbortableRun {
  readonly jobId: string;
  readonly jobName: string;
  private controller: AbortController | undefined;

  constructor(
    job: JobSpec,
    readonly scheduledRunTime: Date,
    readonly instanceId: string,
    readonly attempt: number,
  ) {
    this.jobId = job.id;
    this.jobName = job.name;
  }

  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  abort(reason: unknown): void {
    (this.controller ??= new AbortController()).abort(reason);
  }

  toJSON(): object {
    return {
      jobId: this.jobId,
      jobName: this.jobName,
      scheduledRunTime: this.scheduledRunTime,
      instanceId: this.instanceId,
      attempt: this.attempt,
    };
  }
}

/** Ends an observation; an instrumentation that throws must not change the run's outcome. */
function ended(observation: RunObservation, error: Error | null): void {
  try {
    observation.end(error === null ? 'executed' : 'error', error);
  } catch {
    // The run's record and events do not depend on its instrumentation.
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

export { toError };
