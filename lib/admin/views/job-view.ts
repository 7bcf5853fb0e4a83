import { describeValue } from '../../core/errors.js';
import type { Job } from '../../core/jobs/job.js';
import type { JobExecution } from '../../core/runs/execution.js';
import type { RetryPolicy } from '../../core/jobs/retry-policy.js';
import type { TriggerSpec } from '../../triggers/trigger.js';
import { describeTrigger } from './trigger-text.js';

/**
 * A job as the admin API answers it (API.md "Admin"): what the store keeps, plus its trigger in
 * words and its latest execution record. Times are ISO-8601 strings once serialised.
 * @publicApi
 */
export interface JobView {
  id: string;
  name: string;
  /** The registered handler's name; a memory store's function handler shows as its function name. */
  handler: string;
  args: unknown[];
  trigger: TriggerSpec;
  triggerText: string;
  store: string;
  executor: string;
  coalesce: boolean;
  maxInstances: number;
  misfireGraceTime: number | null;
  /** How failed runs are retried; null: they are not. */
  retry: RetryPolicy | null;
  nextRunTime: string | null;
  paused: boolean;
  /** Added before the scheduler started; its first run time is computed at start. */
  pending: boolean;
  lastExecution: JobExecution | null;
}

export function toJobView(job: Job, lastExecution: JobExecution | null): JobView {
  return {
    id: job.id,
    name: job.name,
    handler: typeof job.handler === 'function' ? `function ${job.handler.name || '(anonymous)'}` : job.handler,
    args: jsonArgs(job.args),
    trigger: job.trigger,
    triggerText: safeTriggerText(job.trigger),
    store: job.store,
    executor: job.executor,
    coalesce: job.coalesce,
    maxInstances: job.maxInstances,
    misfireGraceTime: job.misfireGraceTime,
    retry: job.retry,
    nextRunTime: job.nextRunTime === null ? null : job.nextRunTime.toISOString(),
    paused: job.nextRunTime === null,
    pending: job.pending,
    lastExecution,
  };
}

/**
 * Args as JSON. A persistent store only keeps JSON; a memory store may keep anything
 * (allowNonJsonArgs), which is shown described rather than failing the whole page.
 */
function jsonArgs(args: unknown[]): unknown[] {
  try {
    return JSON.parse(JSON.stringify(args)) as unknown[];
  } catch {
    return args.map((arg) => describeValue(arg));
  }
}

/** A custom trigger's toJSON may give anything: its words must not fail the page either. */
function safeTriggerText(trigger: TriggerSpec): string {
  try {
    return describeTrigger(trigger);
  } catch {
    return 'custom trigger';
  }
}
