import type { Executor } from '../../executors/executor.js';
import type { JobStore } from '../../stores/job-store.js';
import { ExecutorLookupError, JobLookupError } from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import type { JobErrorEvent, JobMissedEvent, JobSubmittedEvent } from '../events/scheduler-events.js';
import type { HandlerRegistry } from '../jobs/handler-registry.js';
import type { JobSpec } from '../jobs/job.js';
import type { TriggerCache } from '../jobs/trigger-cache.js';
import type { Claim } from '../loop/claim.js';
import type { SchedulerLogger } from '../scheduler-logger.js';
import { toError } from '../../utils/thrown-value.js';
import type { DeferredWork } from './deferred-work.js';
import { isolatedHandler } from './isolated-call.js';
import { LiveSubmissions } from './live-submissions.js';
import type { OutcomeWriter } from './outcome-writer.js';
import type { RunInstrumentation } from './run-instrumentation.js';
import { StagedRuns } from './staged-runs.js';
import { Submission, type AbortableRun, type RunHost } from './submission.js';

/** What the dispatcher needs from the scheduler around it. */
export interface RunDispatcherDeps {
  readonly instanceId: string;
  readonly stores: ReadonlyMap<string, JobStore>;
  readonly executors: ReadonlyMap<string, Executor>;
  readonly registry: HandlerRegistry;
  readonly triggers: TriggerCache;
  readonly bus: EventBus;
  readonly outcomes: OutcomeWriter;
  readonly deferred: DeferredWork;
  readonly logger: SchedulerLogger;
  /** The store of an alias, or StoreLookupError. */
  storeOf(alias: string): JobStore;
  /** A run was staged for `at` (epoch ms), or staged runs were taken out: the loop's timer may have to move. */
  stagedChanged(at?: number): void;
  /** A submission has run all its runs and freed its executor slot. */
  runEnded(): void;
  storeError(alias: string, err: unknown, jobId?: string): void;
  /** Wraps every run (tracing); none by default. */
  readonly instrumentation?: RunInstrumentation | null;
}

/**
 * A claim's way to its executor: the events the claim decided (missed, max_instances, failed), the
 * runs staged until their fire time when claimed ahead or handed to the executor now, and taken
 * back when their job changes or the scheduler stops before they start. Every claimed run ends
 * with a record, whatever fails on the way (DESIGN.md, invariant "no running record outlives its
 * run").
 *
 * submit() and fireStaged() are the hot path: at a burst they run once per job due at the instant.
 */
export class RunDispatcher {
  /** Runs claimed ahead of their fire time, waiting for it. */
  readonly staged = new StagedRuns();
  /** Submissions not yet over, for ClaimRecovery. */
  readonly live = new LiveSubmissions();
  private readonly host: Omit<RunHost, 'stopping'> & { stopping: boolean };
  private readonly executors: ReadonlyMap<string, Executor>;
  private readonly bus: EventBus;
  /** Deletions of finished jobs after their last runs ended, awaited by shutdown. */
  private readonly writes = new Set<Promise<void>>();
  /** Finished jobs gathered for one removeJobs write, per store (removeFinished). */
  private readonly finishing = new Map<string, Set<string>>();
  /** Submissions shutdown took from the executors unstarted, to give back (releaseHandedBack). */
  private handedBack: Submission[] = [];

  constructor(private readonly deps: RunDispatcherDeps) {
    this.executors = deps.executors;
    this.bus = deps.bus;
    const registry = deps.registry;
    this.host = {
      instanceId: deps.instanceId,
      stopping: true,
      wants: (type) => this.bus.wants(type),
      active: new Map<AbortableRun, string>(),
      resolveHandler: (job) => {
        const handler = typeof job.handler === 'function' ? job.handler : registry.get(job.handler);
        // A worker executor runs the handler elsewhere: the Submission calls it through invoke().
        const executor = this.executors.get(job.executor);
        if (handler === undefined || executor?.invoke === undefined) return handler;
        return isolatedHandler(
          typeof job.handler === 'string' ? job.handler : handler.name || 'anonymous',
          handler,
          job.executor,
          executor,
        );
      },
      finish: (store, executionId, outcome, closes) => deps.outcomes.add(store, executionId, outcome, closes),
      emit: (event) => this.bus.emit(event),
      deferred: deps.deferred,
      track: (submission) => this.live.track(submission),
      ended: () => deps.runEnded(),
      handBack: (submission) => {
        if (this.deps.stores.get(submission.store)?.releaseRuns === undefined) return false;
        this.handedBack.push(submission);
        return true;
      },
      instrumentation: deps.instrumentation ?? null,
      tallies: this.bus.tallies,
    };
  }

  /** False while stopped: runs not yet started are then given up. */
  set accepting(open: boolean) {
    this.host.stopping = !open;
  }

  /** Aborts the signal of every run still going (shutdown stopped waiting for them). */
  abortActive(reason: unknown): void {
    for (const run of this.host.active.keys()) run.abort(reason);
  }

  /**
   * A store found this instance taken for dead by the others (StoreContext.abortRuns): the records
   * of its runs here are theirs now. Its runs in progress have their signals aborted; those not
   * started (claimed ahead, or waiting for an executor slot) never start, or a run re-run
   * elsewhere (rerunOnLoss) would run twice. Runs of the other stores go on.
   */
  revokeStore(store: string, reason: unknown): void {
    for (const [run, of] of this.host.active) if (of === store) run.abort(reason);
    // Those claimed ahead are live too, and revoked below with the rest; out of the stage first, so
    // that they hold no fire time of the loop's timer and no executor's count.
    if (this.staged.takeStore(store).length > 0) this.deps.stagedChanged();
    for (const submission of this.live.current()) if (submission.store === store) submission.revoke();
  }

  /** The removals of finished jobs still being written. */
  settleWrites(): Promise<unknown> {
    return Promise.allSettled([...this.writes]);
  }

  /** Emits what a claim decided and submits its runs. Never throws: the rest of the batch must go on. */
  dispatch(store: string, claim: Claim): void {
    try {
      this.dispatchClaim(store, claim);
    } catch (err) {
      // Only the emits and bookkeeping before submit() can get here; submit() records its own runs.
      this.deps.logger.error(`Dispatching a claim of job '${String(claim.job?.id)}' failed: ${toError(err).message}`, toError(err).stack);
    }
  }

  private dispatchClaim(store: string, { job, plan, runs, retry }: Claim): void {
    const bus = this.bus;
    // A pending retry: its job keeps its schedule; a finished one is deleted after the retry.
    if (retry === true) {
      for (const runTime of plan.missed) {
        bus.emit(bus.event<JobMissedEvent>('job_missed', { jobId: job.id, store, scheduledRunTime: runTime }));
      }
      if (runs.length > 0) this.rerun(store, job, runs);
      else if (plan.missed.length > 0 && this.finished(store, job, plan.missed[plan.missed.length - 1])) this.removeFinished(store, job.id);
      return;
    }
    for (const runTime of plan.missed) {
      bus.emit(bus.event<JobMissedEvent>('job_missed', { jobId: job.id, store, scheduledRunTime: runTime }));
    }
    if (plan.maxInstances.length > 0) {
      bus.emit(bus.event<JobSubmittedEvent>('job_max_instances', { jobId: job.id, store, scheduledRunTimes: plan.maxInstances }));
    }
    for (const { runTime, error } of plan.failed) {
      const now = new Date();
      bus.emit(
        bus.event<JobErrorEvent>('job_error', {
          jobId: job.id,
          store,
          scheduledRunTime: runTime,
          startedAt: now,
          finishedAt: now,
          durationMs: 0,
          error,
          traceback: error.stack ?? String(error),
          attempt: 1,
          retryAt: null,
        }),
      );
    }
    // A persistent store keeps a finished rerunOnLoss job until its runs end, and a store with
    // retries keeps a finished job with a retry policy until no retry of it is left (claim-planner).
    const target = this.deps.stores.get(store);
    const removeAfterRuns =
      plan.remove &&
      runs.length > 0 &&
      ((job.rerunOnLoss && target?.persistent === true) || (job.retry !== null && target?.supportsRetries === true));
    if (runs.length > 0) this.submit(store, job, runs, removeAfterRuns);
    if (plan.remove && !removeAfterRuns) this.removed(store, job.id);
  }

  /** A job was deleted (its trigger is exhausted, or by its claim): forget it and say so. */
  private removed(store: string, jobId: string): void {
    this.deps.triggers.forget(store, jobId);
    this.bus.emit(this.bus.event('job_removed', { jobId, store }));
  }

  /**
   * Deletes a finished job once its last runs have ended; someone may have removed it already.
   * Jobs that finish together (a burst of one-shot jobs kept for their retries) are deleted in one
   * write where the store can (removeJobs), not one transaction each.
   */
  private removeFinished(store: string, jobId: string): void {
    const target = this.deps.stores.get(store);
    if (!target) return;
    if (target.removeJobs) {
      const gathering = this.finishing.get(store);
      if (gathering) {
        gathering.add(jobId);
        return;
      }
      const ids = new Set([jobId]);
      this.finishing.set(store, ids);
      const batch: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
        .then(async () => {
          this.finishing.delete(store);
          for (const id of await target.removeJobs!([...ids])) this.removed(store, id);
        })
        .catch((err: unknown) => this.deps.storeError(store, err))
        .finally(() => this.writes.delete(batch));
      this.writes.add(batch);
      return;
    }
    const write: Promise<void> = target
      .removeJob(jobId)
      .then(() => this.removed(store, jobId))
      .catch((err) => {
        if (!(err instanceof JobLookupError)) this.deps.storeError(store, err);
      })
      .finally(() => this.writes.delete(write));
    this.writes.add(write);
  }

  /** Runs a store took over from a dead instance (rerunOnLoss). */
  rerun(store: string, job: JobSpec, runs: Claim['runs']): void {
    this.submit(store, job, runs, runs.length > 0 && this.finished(store, job, runs[runs.length - 1].runTime));
  }

  /** A job kept, paused, only for the runs of `last` (taken over, or retried): its trigger has no fire time after it. */
  private finished(store: string, job: JobSpec, last: Date): boolean {
    if (job.nextRunTime !== null) return false;
    try {
      return this.deps.triggers.get(store, job.id, job.trigger).getNextFireTime(last, new Date()) === null;
    } catch {
      return false;
    }
  }

  /**
   * Hands the runs to the job's executor now, or stages them when they were claimed ahead of time.
   * Whatever fails here (preparing the run, a faulty executor) is recorded as the runs' error: a
   * claimed run always ends with a record.
   */
  submit(store: string, job: JobSpec, runs: Claim['runs'], removeAfterRuns = false): void {
    // Not while a failed run of it waits for its retry: that retry deletes the job when it is done.
    const onDone = removeAfterRuns
      ? () => {
          if (submission.retriesScheduled === 0) this.removeFinished(store, job.id);
        }
      : undefined;
    const submission: Submission = new Submission(this.host, store, job, runs, onDone);
    try {
      const at = submission.firstRunTime;
      // Runs due now are prepared too: all single runs then start through one path, and the code
      // V8 compiles for it during the first burst is not thrown away when the other path turns up.
      submission.prepare();
      // Staged whatever the state: a pass that ends after pause() or during shutdown must neither
      // start a run early nor drop it; resume fires it, shutdown gives it back (releaseStaged).
      if (at > Date.now()) {
        this.staged.add(at, submission);
        this.deps.stagedChanged(at);
        return;
      }
      if (this.handOver(submission) && this.bus.wants('job_submitted')) this.emitSubmitted(submission);
    } catch (err) {
      submission.abandon(err);
    }
  }

  /** The staged runs now due, handed to their executors in one go; their events follow. */
  fireStaged(now: number): void {
    if (this.staged.earliest > now) return;
    const { runs: due, executor: alias } = this.staged.takeDue(now);
    if (due.length === 0) return;
    const executor = alias === null ? undefined : this.executors.get(alias);
    if (executor?.submitMany) {
      try {
        executor.submitMany(due);
      } catch (err) {
        // A faulty executor: what it did not start is recorded as failed, not left 'running'.
        for (const submission of due) submission.abandon(err);
      }
    } else {
      for (const submission of due) this.handOver(submission);
    }
    this.staged.forget(due);
    if (!this.bus.wants('job_submitted')) return;
    for (const submission of due) if (this.executors.has(submission.executor)) this.emitSubmitted(submission);
  }

  private handOver(submission: Submission): boolean {
    const executor = this.executors.get(submission.executor);
    if (!executor) {
      submission.cancel(new ExecutorLookupError(submission.executor, [...this.executors.keys()]).message);
      return false;
    }
    try {
      executor.submit(submission);
      return true;
    } catch (err) {
      submission.abandon(err);
      return false;
    }
  }

  private emitSubmitted(submission: Submission): void {
    // Built directly, not through event()'s spread: one is made for every run of a burst.
    const event: JobSubmittedEvent = {
      type: 'job_submitted',
      timestamp: new Date(),
      instanceId: this.deps.instanceId,
      jobId: submission.jobId,
      store: submission.store,
      scheduledRunTimes: submission.runTimes(),
    };
    this.bus.emit(event);
  }

  /**
   * Takes back the staged runs of a job (or of a whole store) that this process is about to change
   * before their time: their records are deleted as if never claimed, so the job's new schedule may
   * claim the same fire time again. On failure they are staged again and the caller gets the error.
   */
  async takeBack(store: string, jobId: string | null): Promise<void> {
    if (this.staged.earliest === Infinity) return;
    const taken = jobId === null ? this.staged.takeStore(store) : this.staged.takeJob(store, jobId);
    if (taken.length === 0) return;
    this.deps.stagedChanged();
    try {
      await this.deps.storeOf(store).releaseRuns!(taken.flatMap((s) => s.released()));
      for (const submission of taken) submission.over = true;
    } catch (err) {
      for (const submission of taken) this.staged.add(submission.firstRunTime, submission);
      this.deps.stagedChanged();
      throw err;
    }
  }

  /** A job modified without a new schedule: its staged runs run the new version. */
  replaceStaged(store: string, job: JobSpec): void {
    if (this.staged.earliest === Infinity) return;
    // Taken out and staged again, so StagedRuns learns of a change of executor.
    for (const submission of this.staged.takeJob(store, job.id)) {
      submission.replaceJob(job);
      this.staged.add(submission.firstRunTime, submission);
    }
  }

  /**
   * Gives back to their stores the runs that shutdown found waiting for an executor slot, like
   * those claimed ahead (releaseStaged): each job's time is restored, so another replica (woken at
   * once on PostgreSQL by the store's notification) or the next start runs them. Where the store
   * fails to take them, they are recorded as missed.
   */
  async releaseHandedBack(): Promise<void> {
    const taken = this.handedBack;
    this.handedBack = [];
    const byStore = new Map<string, Submission[]>();
    for (const submission of taken) byStore.set(submission.store, [...(byStore.get(submission.store) ?? []), submission]);
    for (const [alias, submissions] of byStore) {
      try {
        await this.deps.storeOf(alias).releaseRuns!(submissions.flatMap((s) => s.released()));
      } catch (err) {
        this.deps.storeError(alias, err);
        for (const submission of submissions) submission.handBackFailed('the scheduler shut down before the run started');
      }
    }
  }

  /**
   * Gives the runs claimed ahead back to their stores, as if never claimed: a fire time due just
   * after shutdown is then run by the next start or by another process, by the misfire rules. Where
   * a store cannot take them back, they are recorded as missed.
   */
  async releaseStaged(): Promise<void> {
    for (const alias of this.deps.stores.keys()) {
      await this.takeBack(alias, null).catch((err) => {
        this.deps.storeError(alias, err);
        const left = this.staged.takeStore(alias);
        for (const submission of left) submission.cancel('the scheduler shut down before the run started');
      });
    }
  }
}
