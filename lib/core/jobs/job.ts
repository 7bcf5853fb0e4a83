import { isTrigger, type Trigger, type TriggerSpec } from '../../triggers/trigger.js';
import type { JobChanges, JobHandlerFunction } from './job-options.js';
import type { RetryPolicy } from './retry-policy.js';

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
  /** How a failed run is retried (every default filled in); null: it is not. */
  retry: RetryPolicy | null;
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
    retry: job.retry,
    nextRunTime,
  };
}

export type TriggerResolver = (job: JobSpec) => Trigger;

/** The scheduler operations a Job snapshot's handles call. */
export interface JobOperations {
  modifyJob(id: string, changes: JobChanges, store?: string): Promise<Job>;
  rescheduleJob(id: string, trigger: TriggerSpec, store?: string): Promise<Job>;
  pauseJob(id: string, store?: string): Promise<Job>;
  resumeJob(id: string, store?: string): Promise<Job | null>;
  removeJob(id: string, store?: string): Promise<void>;
  runJobNow(id: string, store?: string): Promise<void>;
}

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
  /** How a failed run is retried, every default filled in; null: it is not. */
  readonly retry: RetryPolicy | null;
  readonly nextRunTime: Date | null;
  /** Added before the scheduler started; its nextRunTime is computed at start. */
  readonly pending: boolean;

  constructor(
    spec: JobSpec,
    store: string,
    pending: boolean,
    private readonly ops: JobOperations,
  ) {
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
    this.retry = spec.retry === null ? null : { ...spec.retry };
    this.nextRunTime = spec.nextRunTime;
    this.pending = pending;
    Object.defineProperty(this, 'ops', { enumerable: false });
  }

  modify(changes: JobChanges): Promise<Job> {
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
