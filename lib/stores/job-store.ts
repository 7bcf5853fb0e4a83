import type { JobSpec } from '../core/jobs/job.js';
import type { ExecutionQuery, JobExecution, Outcome } from '../core/runs/execution.js';
import type { Claim, ClaimedRun, Plan } from '../core/loop/claim.js';
import type { SchedulerEvent } from '../core/events/scheduler-events.js';
import type { StoreJobPage, StoreJobQuery } from '../core/jobs/job-query.js';

/** What a store gets from the scheduler when it starts. */
export interface StoreContext {
  /** The alias the store was added under. */
  alias: string;
  /** This process's id in a cluster. */
  instanceId: string;
  /** Call when the earliest nextRunTime may have moved (e.g. another process changed a job). */
  wakeUp(): void;
  /** Report something that happened inside the store (jobstore_error, a lost execution...). */
  emit(event: SchedulerEvent): void;
  /**
   * Run runs the store has already recorded as 'running' for this instance, outside a claim (a
   * run taken over from a crashed instance). The job is deleted after them when its trigger has
   * no further fire time.
   */
  submit(job: JobSpec, runs: ClaimedRun[]): void;
  /** A configuration the store can work with but that the user should know about. */
  warn(message: string): void;
  /**
   * The store found this instance taken for dead by the others (InstanceFencedError): the records
   * of this store's runs here are no longer this instance's to finish. Their signals are aborted,
   * and those not started yet (claimed ahead, queued for an executor) never start. Runs of the
   * scheduler's other stores go on.
   */
  abortRuns?(reason: Error): void;
  /**
   * The store reached its database again after failing (a probe of its own, such as a cluster
   * store's liveness check, got through): claims and outcome writes waiting out their back-off
   * are made now. Optional for a store; without it they wait out the back-off (up to 30 s).
   */
  reachable?(): void;
}

/** This instance's heartbeat in a shared store (JobStore.heartbeat). @publicApi */
export interface StoreHeartbeat {
  /** When this instance's heartbeat last landed; null before the first. */
  lastBeatAt: Date | null;
  /** ms between heartbeats. */
  interval: number;
  /** ms without a heartbeat after which other instances take this one for dead. */
  instanceTimeout: number;
}

/** A claimed run given back unstarted (JobStore.releaseRuns). */
export interface ReleasedRun {
  jobId: string;
  executionId: string;
  runTime: Date;
  /** Above 1: a retry, which goes back to 'retry_pending' (the job's nextRunTime is left alone). */
  attempt?: number;
}

/** A scheduler process known to a shared store, from its heartbeat row (cluster). @publicApi */
export interface ClusterInstance {
  id: string;
  startedAt: Date;
  lastHeartbeat: Date;
  /** Its heartbeat is younger than the store's instanceTimeout. */
  alive: boolean;
}

/**
 * Plans a due job: `running` is how many submissions of it are running now. null: not yet; the
 * store leaves the job as it is (nothing written, not returned).
 */
export type PlanFunction = (job: JobSpec, running: number, now: Date) => Plan | null;

/** A `retry_pending` record that has come due (JobStore.claimDueJobs' planRetry). @publicApi */
export interface DueRetry {
  executionId: string;
  jobId: string;
  /** The scheduled time of the run the retry belongs to. */
  runTime: Date;
  attempt: number;
  retryAt: Date;
}

/**
 * Decides a due retry: 'run' (the store makes its record 'running' for this instance and returns
 * it as a claim with `retry: true`), 'missed' (the record becomes 'missed': too late by the job's
 * misfireGraceTime, counted from retryAt), or null: not now (the record is left as it is).
 */
export type RetryPlanFunction = (job: JobSpec, retry: DueRetry, now: Date) => 'run' | 'missed' | null;

/**
 * Keeps jobs and their execution history. See DESIGN.md, "JobStore".
 * @publicApi
 */
export interface JobStore {
  /** Other processes may use the same data. */
  readonly shared: boolean;
  /** Jobs outlive the process: args, handler and trigger must be JSON. */
  readonly persistent: boolean;
  /**
   * A store that is not persistent may keep args that are not JSON (functions, class instances)
   * when it says so here; by default a job's args are refused as a persistent store would refuse
   * them, so what works in development works on a database.
   */
  readonly allowsNonJsonArgs?: boolean;
  /**
   * The store keeps retries (README, "Retries"): finishExecutions records an outcome's `retry` as a
   * `retry_pending` record in the same write, claimDueJobs claims those that are due through
   * `planRetry`, getNextRunTime counts their retryAt, and removing a job deletes its pending
   * retries. A job with a `retry` option is refused in a store without it.
   */
  readonly supportsRetries?: boolean;

  start(ctx: StoreContext): Promise<void>;
  shutdown(): Promise<void>;

  /** ConflictingIdError on a duplicate id. */
  addJob(job: JobSpec): Promise<void>;
  /** JobLookupError when absent. */
  updateJob(job: JobSpec): Promise<void>;
  /** JobLookupError when absent. */
  removeJob(id: string): Promise<void>;
  /**
   * Removes several jobs (and their pending retries) in one write where the store can; absent
   * ones are skipped. Returns the ids removed. Optional: the scheduler removes one by one without.
   */
  removeJobs?(ids: readonly string[]): Promise<string[]>;
  removeAllJobs(): Promise<void>;
  lookupJob(id: string): Promise<JobSpec | null>;
  /** Ordered by nextRunTime, paused jobs last. */
  getAllJobs(): Promise<JobSpec[]>;
  /** The earliest nextRunTime, or retryAt of a pending retry when that is earlier. */
  getNextRunTime(): Promise<Date | null>;

  /**
   * One atomic step: lock up to `limit` jobs due at `now` (earliest first), let `plan` decide,
   * persist its decision (new nextRunTime or removal, one execution record per run time) and return
   * what to run. `now` may be a little ahead of the clock (claimAhead). A job `plan` returns null for
   * is left untouched and is not planned twice in one call.
   *
   * A store that supportsRetries then claims, in the same step, up to `retryLimit` (default
   * `limit`) pending retries whose retryAt is at or before `now`, oldest first, each decided by
   * `planRetry`: in a shared store each retry record goes to one claimer. Its claim has
   * `retry: true` and one run with its attempt.
   */
  claimDueJobs(now: Date, limit: number, plan: PlanFunction, planRetry?: RetryPlanFunction, retryLimit?: number): Promise<Claim[]>;
  /**
   * A run outside the schedule (runJobNow): creates its 'running' execution record and returns its
   * id. When the job already has `maxInstances` submissions running, records the time as
   * 'max_instances' instead and returns null. Atomic with claims: in a shared store no other
   * replica starts a run of the job between the count and the record.
   */
  startExtraRun(jobId: string, runTime: Date): Promise<string | null>;
  /**
   * Records how a claimed run ended and releases the instance when its submission is done. With
   * `outcome.retry` (a store that supportsRetries), records the retry in the same write.
   */
  finishExecution(executionId: string, outcome: Outcome): Promise<void>;
  /** finishExecution for several runs at once, as one write where the store can. */
  finishExecutions(items: readonly { executionId: string; outcome: Outcome }[]): Promise<void>;

  /**
   * Takes back claimed runs that never started, as if they had not been claimed: deletes their
   * 'running' records and moves each job's nextRunTime back to the run's time, unless the job was
   * paused or moved earlier since. Used for runs claimed ahead of their time (claimAhead) when
   * their job changes or the scheduler shuts down first. A store without it is never claimed ahead.
   */
  releaseRuns?(runs: readonly ReleasedRun[]): Promise<void>;

  /**
   * This instance's heartbeat, for a store shared by instances that heartbeat (health checks);
   * optional, and null while the store is not started. Must be cheap: no I/O.
   */
  heartbeat?(): StoreHeartbeat | null;

  getExecutions(query: ExecutionQuery): Promise<JobExecution[]>;
  /** Deletes finished execution records older than `olderThan` ms; returns how many. */
  pruneExecutions(olderThan: number): Promise<number>;

  // Reads for lists that page (the admin API). Optional: the scheduler falls back to getAllJobs and
  // getExecutions for a store without them, which is correct but loads everything.

  /** A page of the jobs that match, in getAllJobs' order then by id, and how many match in all. */
  queryJobs?(query: StoreJobQuery): Promise<StoreJobPage>;
  /**
   * How many records getExecutions would return for `query` without a limit; with `atMost`, the
   * store may stop counting there and answer `atMost` (a count of a million rows is not cheap).
   */
  countExecutions?(query: ExecutionQuery, atMost?: number): Promise<number>;
  /** Each given job's record with the latest scheduledRunTime; jobs without any are left out. */
  lastExecutions?(jobIds: readonly string[]): Promise<JobExecution[]>;
  /** The processes whose heartbeat rows the store keeps (a shared store), this one included. */
  getInstances?(): Promise<ClusterInstance[]>;
}
