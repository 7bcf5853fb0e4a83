import {
  ConflictingIdError,
  FireTimeRecordedError,
  InvalidSchedulerOptionError,
  JobLookupError,
  UnplannableJobError,
} from '../core/errors.js';
import type { JobStoreErrorEvent } from '../core/events/scheduler-events.js';
import { toError } from '../utils/thrown-value.js';
import { readExecutionQuery } from '../core/runs/execution-query.js';
import { checkBoolean, checkWhole, readOptions, type OptionErrorFactory } from '../utils/option-checks.js';
import { copyJob, type JobSpec } from '../core/jobs/job.js';
import { jobMatches, pageOf, type StoreJobPage, type StoreJobQuery } from '../core/jobs/job-query.js';
import { type ExecutionQuery, type JobExecution, type Outcome } from '../core/runs/execution.js';
import { type Claim, type ClaimedRun } from '../core/loop/claim.js';
import { retryPlan } from '../core/loop/run-plan.js';
import { ExecutionLog } from './execution-log.js';
import { JobHeap } from './job-heap.js';
import type { JobStore, PlanFunction, ReleasedRun, RetryPlanFunction, StoreContext } from './job-store.js';

const MEMORY_STORE_KEYS: ReadonlySet<string> = new Set(['maxExecutions', 'allowNonJsonArgs']);
/** A bound that keeps the history's memory finite. */
const MAX_EXECUTIONS = 10_000_000;
const optionError: OptionErrorFactory = (field, value, allowed) =>
  new InvalidSchedulerOptionError(`MemoryJobStore.${field}`, value, allowed);

/** @publicApi */
export interface MemoryJobStoreOptions {
  /** Execution records kept; the oldest finished ones are dropped beyond it. Default: 10,000. */
  maxExecutions?: number;
  /**
   * Keep args that are not JSON (functions, class instances, Dates as objects). By default args are
   * refused as a persistent store refuses them, so a job that works here works on a database. @default false
   */
  allowNonJsonArgs?: boolean;
}

/**
 * Jobs in process memory, ordered by a heap on nextRunTime. Nothing survives a restart; function
 * handlers and custom trigger objects are allowed because nothing is serialised.
 * @publicApi
 */
export class MemoryJobStore implements JobStore {
  readonly shared = false;
  readonly persistent = false;
  readonly supportsRetries = true;
  readonly allowsNonJsonArgs: boolean;
  private readonly jobs = new Map<string, JobSpec>();
  private readonly heap = new JobHeap();
  private readonly log: ExecutionLog;
  private instanceId = 'memory';
  private ctx: StoreContext | undefined;

  constructor(input: MemoryJobStoreOptions = {}) {
    const options = readOptions(input, MEMORY_STORE_KEYS, 'MemoryJobStore', optionError) as MemoryJobStoreOptions;
    const max =
      options.maxExecutions === undefined ? 10_000 : checkWhole(optionError, 'maxExecutions', options.maxExecutions, 0, MAX_EXECUTIONS);
    this.log = new ExecutionLog(max);
    this.allowsNonJsonArgs =
      options.allowNonJsonArgs === undefined ? false : checkBoolean(optionError, 'allowNonJsonArgs', options.allowNonJsonArgs);
  }

  async start(ctx: StoreContext): Promise<void> {
    this.instanceId = ctx.instanceId;
    this.ctx = ctx;
  }

  async shutdown(): Promise<void> {}

  async addJob(job: JobSpec): Promise<void> {
    if (this.jobs.has(job.id)) throw new ConflictingIdError(job.id);
    this.put(copyJob(job));
  }

  async updateJob(job: JobSpec): Promise<void> {
    if (!this.jobs.has(job.id)) throw new JobLookupError(job.id);
    this.put(copyJob(job));
  }

  async removeJob(id: string): Promise<void> {
    if (!this.jobs.delete(id)) throw new JobLookupError(id);
    this.heap.delete(id);
    this.log.removeRetries(id);
  }

  async removeAllJobs(): Promise<void> {
    this.jobs.clear();
    this.heap.clear();
    this.log.removeRetries();
  }

  async lookupJob(id: string): Promise<JobSpec | null> {
    const job = this.jobs.get(id);
    return job ? copyJob(job) : null;
  }

  async getAllJobs(): Promise<JobSpec[]> {
    const jobs = [...this.jobs.values()].map((job) => copyJob(job));
    return jobs.sort(byNextRunTime);
  }

  async getNextRunTime(): Promise<Date | null> {
    const time = this.heap.peekTime();
    const retryAt = this.log.nextRetryAt();
    if (retryAt !== undefined && (time === undefined || retryAt < time)) return new Date(retryAt);
    return time === undefined ? null : new Date(time);
  }

  async removeJobs(ids: readonly string[]): Promise<string[]> {
    const removed: string[] = [];
    for (const id of ids) {
      if (!this.jobs.delete(id)) continue;
      this.heap.delete(id);
      this.log.removeRetries(id);
      removed.push(id);
    }
    return removed;
  }

  async claimDueJobs(now: Date, limit: number, plan: PlanFunction, planRetry?: RetryPlanFunction, retryLimit = limit): Promise<Claim[]> {
    const claims: Claim[] = [];
    const nowMs = now.getTime();
    // Jobs the plan left for later, or still due after their plan, leave the heap while the claim
    // walks past them: each job is planned at most once per claim.
    let left: JobSpec[] | null = null;
    for (let examined = 0; examined < limit; examined++) {
      const time = this.heap.peekTime();
      if (time === undefined || time > nowMs) break;
      const job = this.jobs.get(this.heap.peekId()!)!;
      let decision;
      try {
        decision = plan(job, this.log.runningCount(job.id), now);
      } catch (error) {
        // One job whose plan throws (a custom trigger's bad answer) must not stop the others:
        // it leaves the order of due jobs until it is changed, and is reported once.
        this.heap.delete(job.id);
        this.report(job.id, error);
        continue;
      }
      if (decision === null) {
        (left ??= []).push(job);
        this.heap.delete(job.id);
        continue;
      }
      const updated = copyJob(job, decision.nextRunTime);
      const runs = this.record(job.id, decision);
      if (decision.remove && job.retry !== null && runs.length > 0) {
        // Kept, paused, for the retries its runs may need; deleted after them (RunDispatcher).
        this.put(copyJob(job, null));
      } else if (decision.remove) {
        this.jobs.delete(job.id);
        this.heap.delete(job.id);
      } else if (updated.nextRunTime !== null && updated.nextRunTime.getTime() <= nowMs) {
        // Still due: planned once per claim, like a database row, so it waits out this walk too.
        this.jobs.set(job.id, updated);
        this.heap.delete(job.id);
        (left ??= []).push(updated);
      } else {
        this.put(updated);
      }
      claims.push({ job: updated, plan: decision, runs });
    }
    if (left !== null) for (const job of left) this.put(job);
    if (planRetry !== undefined && retryLimit > 0 && this.log.nextRetryAt() !== undefined)
      this.claimRetries(now, retryLimit, planRetry, claims);
    return claims;
  }

  /** Pending retries due at `now`, oldest first, each decided by planRetry (see JobStore.claimDueJobs). */
  private claimRetries(now: Date, limit: number, planRetry: RetryPlanFunction, claims: Claim[]): void {
    const waiting: string[] = [];
    for (let examined = 0; examined < limit; examined++) {
      const retry = this.log.takeDueRetry(now.getTime());
      if (retry === null) break;
      const job = this.jobs.get(retry.jobId);
      if (job === undefined) {
        // Its job was removed while the failed run was being recorded.
        this.log.removeRetries(retry.jobId);
        continue;
      }
      const due = {
        executionId: retry.id,
        jobId: retry.jobId,
        runTime: retry.scheduledRunTime,
        attempt: retry.attempt,
        retryAt: retry.retryAt!,
      };
      let decision;
      try {
        decision = planRetry(job, due, now);
      } catch (error) {
        waiting.push(retry.id);
        this.report(job.id, error);
        continue;
      }
      if (decision === null) {
        waiting.push(retry.id);
        continue;
      }
      const missed = decision === 'missed';
      if (missed) {
        this.log.finish(retry.id, {
          status: 'missed',
          startedAt: null,
          finishedAt: new Date(),
          durationMs: null,
          error: 'the retry could not start within misfireGraceTime of its retry time',
          traceback: null,
        });
      } else {
        this.log.startRetry(retry.id, this.instanceId);
      }
      const runs: ClaimedRun[] = missed ? [] : [{ executionId: retry.id, runTime: due.runTime, attempt: due.attempt, dueAt: due.retryAt }];
      claims.push({ job: copyJob(job), plan: retryPlan(job, due.runTime, missed), runs, retry: true });
    }
    for (const id of waiting) this.log.deferRetry(id);
  }

  async startExtraRun(jobId: string, runTime: Date): Promise<string | null> {
    const job = this.jobs.get(jobId);
    if (!job) throw new JobLookupError(jobId);
    const refused = this.log.runningCount(jobId) >= job.maxInstances;
    // The job's own next fire time is about to be claimed: an extra run steps aside from it, as
    // from any recorded time, or that claim would find it recorded and skip the scheduled run.
    const scheduled = job.nextRunTime?.getTime();
    for (let time = runTime.getTime(); ; time++) {
      if (time === scheduled) continue;
      const id = this.log.insert(jobId, new Date(time), refused ? 'max_instances' : 'running', this.instanceId, null);
      if (id !== null) return refused ? null : id;
    }
  }

  async finishExecution(executionId: string, outcome: Outcome): Promise<void> {
    this.log.finish(executionId, outcome);
  }

  async finishExecutions(items: readonly { executionId: string; outcome: Outcome }[]): Promise<void> {
    for (const { executionId, outcome } of items) this.log.finish(executionId, outcome);
  }

  async releaseRuns(runs: readonly ReleasedRun[]): Promise<void> {
    for (const { jobId, executionId, runTime, attempt } of runs) {
      if (attempt !== undefined && attempt > 1) {
        // A retry goes back to waiting for its retryAt; the job's schedule is not its business.
        this.log.releaseRetry(executionId);
        continue;
      }
      this.log.removeRunning(executionId);
      const job = this.jobs.get(jobId);
      if (job?.nextRunTime && job.nextRunTime.getTime() > runTime.getTime()) this.put(copyJob(job, runTime));
    }
  }

  async getExecutions(query: ExecutionQuery): Promise<JobExecution[]> {
    return this.log.query(readExecutionQuery(query, Number.MAX_SAFE_INTEGER));
  }

  async pruneExecutions(olderThan: number): Promise<number> {
    return this.log.prune(olderThan);
  }

  async queryJobs(query: StoreJobQuery): Promise<StoreJobPage> {
    const matching: JobSpec[] = [];
    for (const job of this.jobs.values()) if (jobMatches(job, query)) matching.push(job);
    const page = pageOf(matching, query.limit, query.offset);
    return { items: page.items.map((job) => copyJob(job)), total: page.total };
  }

  async countExecutions(query: ExecutionQuery, atMost = Infinity): Promise<number> {
    return this.log.count(readExecutionQuery(query, Number.MAX_SAFE_INTEGER), atMost);
  }

  async lastExecutions(jobIds: readonly string[]): Promise<JobExecution[]> {
    const found: JobExecution[] = [];
    for (const id of jobIds) {
      const last = this.log.latest(id);
      if (last) found.push(last);
    }
    return found;
  }

  private report(jobId: string, cause: unknown): void {
    this.emitError(jobId, new UnplannableJobError(jobId, toError(cause).message, { cause }));
  }

  private emitError(jobId: string, error: Error): void {
    this.ctx?.emit({
      type: 'jobstore_error',
      timestamp: new Date(),
      instanceId: this.instanceId,
      store: this.ctx.alias,
      jobId,
      error,
    } as JobStoreErrorEvent);
  }

  private put(job: JobSpec): void {
    this.jobs.set(job.id, job);
    if (job.nextRunTime === null) this.heap.delete(job.id);
    else this.heap.set(job.id, job.nextRunTime.getTime());
  }

  private record(jobId: string, decision: Claim['plan']): ClaimedRun[] {
    const runs: ClaimedRun[] = [];
    const batch = decision.runTimes.length > 0 ? this.log.newBatch() : null;
    // A null id: the time has its record already (the job was set back onto it); it is not recorded
    // or run again, and that is reported.
    const recorded = (id: string | null, runTime: Date) => {
      if (id === null) this.emitError(jobId, new FireTimeRecordedError(jobId, runTime));
      return id;
    };
    for (const runTime of decision.runTimes) {
      const executionId = recorded(this.log.insert(jobId, runTime, 'running', this.instanceId, batch), runTime);
      if (executionId !== null) runs.push({ executionId, runTime });
    }
    for (const runTime of decision.missed) recorded(this.log.insert(jobId, runTime, 'missed', this.instanceId, null), runTime);
    for (const runTime of decision.maxInstances) recorded(this.log.insert(jobId, runTime, 'max_instances', this.instanceId, null), runTime);
    for (const { runTime, error } of decision.failed)
      recorded(this.log.insert(jobId, runTime, 'error', this.instanceId, null, error), runTime);
    return runs;
  }
}

export function byNextRunTime(a: JobSpec, b: JobSpec): number {
  if (a.nextRunTime === null) return b.nextRunTime === null ? 0 : 1;
  if (b.nextRunTime === null) return -1;
  return a.nextRunTime.getTime() - b.nextRunTime.getTime();
}
