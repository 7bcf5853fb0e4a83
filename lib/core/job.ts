import { isTrigger, type Trigger, type TriggerSpec } from '../triggers/trigger.js';

/** A function a job may run; called as handler(...args, ctx). */
export type JobHandlerFunction = (...args: any[]) => unknown;

/**
 * What a store persists for one job. Plain JSON for persistent stores: `handler` is a registry
 * name and `trigger` a serialisable spec. Only the memory store may hold a function handler or a
 * Trigger object.
 */
export interface JobSpec {
  id: string;
  name: string;
  handler: string | JobHandlerFunction;
  args: unknown[];
  trigger: TriggerSpec;
  executor: string;
  coalesce: boolean;
  maxInstances: number;
  /** ms; null: never missed. */
  misfireGraceTime: number | null;
  /** ms; null: no limit. */
  timeout: number | null;
  /** Run again once when the run was lost with a crashed instance (cluster). */
  rerunOnLoss: boolean;
  /** null: paused. */
  nextRunTime: Date | null;
}

/**
 * A copy of `job`, with another nextRunTime if given. Stores and the loop copy jobs through here
 * rather than with a spread: a spread gives each copy a new object shape, and the code handling
 * thousands of jobs per second would be deoptimised each time a new shape reached it.
 */
export function copyJob(job: JobSpec, nextRunTime: Date | null = job.nextRunTime): JobSpec {
  return {
    id: job.id,
    name: job.name,
    handler: job.handler,
    args: job.args,
    trigger: job.trigger,
    executor: job.executor,
    coalesce: job.coalesce,
    maxInstances: job.maxInstances,
    misfireGraceTime: job.misfireGraceTime,
    timeout: job.timeout,
    rerunOnLoss: job.rerunOnLoss,
    nextRunTime,
  };
}

/** What the scheduler decided for one due job at claim time (see DESIGN.md, "The loop"). */
export interface Plan {
  /** Run times to execute, oldest first, as one submission. */
  runTimes: Date[];
  /** Run times older than misfireGraceTime. */
  missed: Date[];
  /** Run times dropped because maxInstances submissions are already running. */
  maxInstances: Date[];
  /** Run times that failed at once, without running (e.g. the handler is not registered). */
  failed: { runTime: Date; error: Error }[];
  /** The job's new nextRunTime. */
  nextRunTime: Date | null;
  /** The trigger is exhausted: delete the job after this claim. */
  remove: boolean;
}

/** One run of a claimed submission, with the execution record the store created for it. */
export interface ClaimedRun {
  executionId: string;
  runTime: Date;
}

/** A due job the store claimed, after persisting the plan. */
export interface Claim {
  /** The job as it is after the claim (new nextRunTime). */
  job: JobSpec;
  plan: Plan;
  /** The runs to submit, one execution record each, status 'running'. */
  runs: ClaimedRun[];
}

/** @publicApi */
export type ExecutionStatus = 'running' | 'executed' | 'error' | 'missed' | 'max_instances' | 'lost';

/** One row of execution history. At most one exists per (jobId, scheduledRunTime). @publicApi */
export interface JobExecution {
  id: string;
  jobId: string;
  scheduledRunTime: Date;
  status: ExecutionStatus;
  instanceId: string;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  error: string | null;
  traceback: string | null;
}

/** How a run ended, written by finishExecution. */
export interface Outcome {
  status: 'executed' | 'error' | 'missed';
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  error: string | null;
  traceback: string | null;
}

/** Filters for getExecutions. @publicApi */
export interface ExecutionQuery {
  jobId?: string;
  status?: ExecutionStatus;
  since?: Date;
  /** Default 100. */
  limit?: number;
  /** Rows to skip, for paging. */
  offset?: number;
}

export type TriggerResolver = (job: JobSpec) => Trigger;

/** The scheduler operations a Job snapshot's handles call. */
export interface JobOperations {
  modifyJob(id: string, changes: JobChangesLike, store?: string): Promise<Job>;
  rescheduleJob(id: string, trigger: TriggerSpec, store?: string): Promise<Job>;
  pauseJob(id: string, store?: string): Promise<Job>;
  resumeJob(id: string, store?: string): Promise<Job | null>;
  removeJob(id: string, store?: string): Promise<void>;
  runJobNow(id: string, store?: string): Promise<void>;
}
type JobChangesLike = import('../interfaces/job-options.interface.js').JobChanges;

/**
 * A snapshot of a job, with handles that act on the live job. Read it again (getJob) to see
 * later changes. A job is paused when nextRunTime is null.
 * @publicApi
 */
export class Job {
  readonly id: string;
  readonly name: string;
  readonly handler: string | JobHandlerFunction;
  readonly args: unknown[];
  readonly trigger: TriggerSpec;
  readonly store: string;
  readonly executor: string;
  readonly coalesce: boolean;
  readonly maxInstances: number;
  readonly misfireGraceTime: number | null;
  readonly timeout: number | null;
  readonly rerunOnLoss: boolean;
  readonly nextRunTime: Date | null;
  /** Added before the scheduler started; its nextRunTime is computed at start. */
  readonly pending: boolean;

  constructor(spec: JobSpec, store: string, pending: boolean, private readonly ops: JobOperations) {
    this.id = spec.id;
    this.name = spec.name;
    this.handler = spec.handler;
    this.args = spec.args;
    this.trigger = triggerSpecOf(spec.trigger);
    this.store = store;
    this.executor = spec.executor;
    this.coalesce = spec.coalesce;
    this.maxInstances = spec.maxInstances;
    this.misfireGraceTime = spec.misfireGraceTime;
    this.timeout = spec.timeout;
    this.rerunOnLoss = spec.rerunOnLoss;
    this.nextRunTime = spec.nextRunTime;
    this.pending = pending;
    Object.defineProperty(this, 'ops', { enumerable: false });
  }

  modify(changes: JobChangesLike): Promise<Job> {
    return this.ops.modifyJob(this.id, changes, this.store);
  }

  reschedule(trigger: TriggerSpec): Promise<Job> {
    return this.ops.rescheduleJob(this.id, trigger, this.store);
  }

  pause(): Promise<Job> {
    return this.ops.pauseJob(this.id, this.store);
  }

  resume(): Promise<Job | null> {
    return this.ops.resumeJob(this.id, this.store);
  }

  remove(): Promise<void> {
    return this.ops.removeJob(this.id, this.store);
  }

  runNow(): Promise<void> {
    return this.ops.runJobNow(this.id, this.store);
  }

  toString(): string {
    const when = this.nextRunTime ? `next run at: ${this.nextRunTime.toISOString()}` : 'paused';
    return `${this.name} (trigger: ${describeTrigger(this.trigger)}, ${this.pending ? 'pending' : when})`;
  }
}

/** A trigger as its JSON spec; a custom trigger whose toJSON() throws is shown as the object itself. */
function triggerSpecOf(trigger: TriggerSpec): TriggerSpec {
  if (!isTrigger(trigger)) return trigger;
  try {
    return trigger.toJSON();
  } catch {
    return trigger;
  }
}

function describeTrigger(spec: TriggerSpec): string {
  return typeof spec === 'string' ? `cron['${spec}']` : isTrigger(spec) ? spec.toString() : JSON.stringify(spec);
}
