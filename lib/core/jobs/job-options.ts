import type { DateInput, TriggerSpec } from '../../triggers/trigger.js';
import type { RetryOptions } from './retry-policy.js';

/** A function a job may run; called as handler(...args, ctx). */
// `never[]`, not `unknown[]`: a handler declares its own parameter types, `(report: Report, ctx:
// JobContext) => …`, and `unknown[]` would refuse them. The scheduler calls it with the job's args
// and the context (see Submission).
export type JobHandlerFunction = (...args: never[]) => unknown;

/** Options every job has; unset ones come from the scheduler's jobDefaults. @publicApi */
export interface JobOptions {
  /** Default: a random id (@ScheduledJob: `ClassName.methodName`). */
  id?: string;
  /** Default: the handler's name. */
  name?: string;
  /** Store alias. Default: 'default'. */
  store?: string;
  /** Executor alias. Default: 'default'. */
  executor?: string;
  /** Run a backlog of due fire times once instead of once each. */
  coalesce?: boolean;
  /** Submissions of this job that may run at once (across the cluster for a shared store). */
  maxInstances?: number;
  /** ms a run may start late before it counts as missed; null: never missed. */
  misfireGraceTime?: number | null;
  /** First run time; null adds the job paused. Default: from the trigger. */
  nextRunTime?: DateInput | null;
  /** Replace a job with the same id instead of throwing ConflictingIdError. @default false */
  replaceExisting?: boolean;
  /** ms; aborts ctx.signal and records a JobTimeoutError. */
  timeout?: number;
  /** Run a fire time again (once) when it was lost with a crashed instance. @default false */
  rerunOnLoss?: boolean;
  /**
   * Run a failed run (its handler threw or rejected, or it timed out) again after a delay, up to
   * `attempts` times; null: never, whatever jobDefaults say. See README, "Retries". Default: jobDefaults.retry.
   */
  retry?: RetryOptions | null;
}

/** @publicApi */
export interface AddJobSpec extends JobOptions {
  /** A registered handler name, or a function (memory store only). */
  handler: string | JobHandlerFunction;
  /** Omitted: run once, now. */
  trigger?: TriggerSpec;
  /** JSON-serialisable for a persistent store. */
  args?: unknown[];
}

/** What modifyJob may change. @publicApi */
export type JobChanges = Partial<Omit<JobOptions, 'replaceExisting' | 'store'> & { args: unknown[]; handler: string }>;

/** @publicApi */
export interface JobDefaults {
  /** @default true */
  coalesce: boolean;
  /** @default 1 */
  maxInstances: number;
  /** ms; null = no limit. @default 1000 */
  misfireGraceTime: number | null;
  /** How failed runs are retried; null: they are not. @default null */
  retry: RetryOptions | null;
}

/** The last argument of every handler call. @publicApi */
export interface JobContext {
  jobId: string;
  jobName: string;
  /** With jobId, an idempotency key for work that must not be repeated. */
  scheduledRunTime: Date;
  /** Aborted on timeout and when shutdown gives up waiting. */
  signal: AbortSignal;
  instanceId: string;
  /** Which run of scheduledRunTime this is: 1 for the first, 2 for its first retry, and so on. */
  attempt: number;
}
