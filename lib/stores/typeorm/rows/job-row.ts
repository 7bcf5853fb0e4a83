import { SchedulerError, SerializationError } from '../../../core/errors.js';
import { MAX_INT32, MAX_TIMER_MS } from '../../../utils/option-checks.js';
import type { JobSpec } from '../../../core/jobs/job.js';
import type { ExecutionStatus, JobExecution } from '../../../core/runs/execution.js';
import type { TriggerSpec } from '../../../triggers/trigger.js';
import { readRetryOptions, type RetryPolicy } from '../../../core/jobs/retry-policy.js';

/** The jobs table's columns, in the order every statement lists them. */
export const JOB_COLUMNS = [
  'id',
  'name',
  'handler',
  'args',
  'trigger',
  'executor',
  'coalesce',
  'max_instances',
  'misfire_grace_time',
  'timeout',
  'rerun_on_loss',
  'retry',
  'next_run_time',
] as const;

export const EXECUTION_COLUMNS = [
  'id',
  'job_id',
  'scheduled_run_time',
  'attempt',
  'status',
  'instance_id',
  'batch_id',
  'started_at',
  'finished_at',
  'duration_ms',
  'error',
  'traceback',
  'retry_at',
] as const;

export type Row = Record<string, unknown>;

/** A job as column values (booleans still booleans: the dialect converts them). */
export interface JobValues {
  id: string;
  name: string;
  handler: string;
  args: string;
  trigger: string;
  executor: string;
  coalesce: boolean;
  maxInstances: number;
  misfireGraceTime: number | null;
  timeout: number | null;
  rerunOnLoss: boolean;
  /** The policy as JSON; null: none. */
  retry: string | null;
  nextRunTime: number | null;
}

/** Only names and JSON reach the database: a stored row can never make the process run code it did not register. */
export function toJobValues(job: JobSpec): JobValues {
  if (typeof job.handler !== 'string') {
    throw new SerializationError('handler', 'a function cannot be persisted; register it with @JobHandler and pass its name');
  }
  const args = toJson('args', job.args);
  if (!Array.isArray(job.args)) throw new SerializationError('args', 'must be an array');
  return {
    id: job.id,
    name: job.name,
    handler: job.handler,
    args,
    // A Trigger object serialises through its toJSON().
    trigger: toJson('trigger', job.trigger),
    executor: job.executor,
    coalesce: job.coalesce,
    maxInstances: job.maxInstances,
    misfireGraceTime: job.misfireGraceTime,
    timeout: job.timeout,
    rerunOnLoss: job.rerunOnLoss,
    retry: job.retry === null ? null : JSON.stringify(job.retry),
    nextRunTime: toEpochMs(job.nextRunTime),
  };
}

function toJson(field: string, value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new SerializationError(field, (error as Error).message);
  }
  if (json === undefined) throw new SerializationError(field, 'it has no JSON representation');
  return json;
}

export function toEpochMs(date: Date | null): number | null {
  if (date === null) return null;
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new TypeError('Invalid Date');
  return ms;
}

/** The columns a row can be unreadable by. */
export type JobColumn =
  | 'id'
  | 'name'
  | 'handler'
  | 'args'
  | 'trigger'
  | 'executor'
  | 'max_instances'
  | 'misfire_grace_time'
  | 'timeout'
  | 'retry'
  | 'next_run_time';

/** A jobs row that cannot become a JobSpec (edited by hand, written by a newer version). @publicApi */
export class UnreadableJobRowError extends SchedulerError {
  constructor(
    readonly jobId: string,
    readonly column: JobColumn,
    reason: string,
  ) {
    super(`Job '${jobId}' cannot be read from the job store: column '${column}' ${reason}; the job is skipped until its row changes`);
  }
}

/** The range of a JavaScript Date, in epoch ms. */
const MAX_DATE_MS = 8.64e15;

/**
 * Reads a jobs row as input is read: every column is checked against what the scheduler accepts
 * from a caller, and UnreadableJobRowError names the first that is not. Trigger semantics are the
 * scheduler's to check (at planning).
 */
export function toJobSpec(row: Row): JobSpec {
  const id = typeof row.id === 'string' ? row.id : String(row.id);
  if (id === '' || row.id === null || row.id === undefined) throw new UnreadableJobRowError(id, 'id', 'is empty');
  const text = (column: 'name' | 'handler' | 'executor', allowEmpty = false): string => {
    const value = row[column];
    if (typeof value !== 'string' || (!allowEmpty && value === ''))
      throw new UnreadableJobRowError(id, column, 'is not a non-empty string');
    return value;
  };
  const whole = (column: 'max_instances' | 'misfire_grace_time' | 'timeout', min: number, max: number): number | null => {
    const value = toNumberOrNull(row[column]);
    if (value === null) return null;
    if (!(Number.isInteger(value) && value >= min && value <= max)) {
      throw new UnreadableJobRowError(id, column, `holds ${String(row[column])}, outside ${min}..${max}`);
    }
    return value;
  };
  const args = parseColumn(id, 'args', row.args);
  if (!Array.isArray(args)) throw new UnreadableJobRowError(id, 'args', 'is not a JSON array');
  const trigger = parseColumn(id, 'trigger', row.trigger);
  if (typeof trigger !== 'string' && (typeof trigger !== 'object' || trigger === null || Array.isArray(trigger))) {
    throw new UnreadableJobRowError(id, 'trigger', 'is neither a JSON object nor a string');
  }
  const maxInstances = whole('max_instances', 1, MAX_INT32);
  if (maxInstances === null) throw new UnreadableJobRowError(id, 'max_instances', 'is NULL');
  const nextRunTime = toNumberOrNull(row.next_run_time);
  if (nextRunTime !== null && !(Number.isInteger(nextRunTime) && Math.abs(nextRunTime) <= MAX_DATE_MS)) {
    throw new UnreadableJobRowError(id, 'next_run_time', `holds ${String(row.next_run_time)}, outside the range of a date`);
  }
  return {
    id,
    name: text('name', true),
    handler: text('handler'),
    args,
    trigger: trigger as TriggerSpec,
    executor: text('executor'),
    coalesce: toBoolean(row.coalesce),
    maxInstances,
    misfireGraceTime: whole('misfire_grace_time', 0, Number.MAX_SAFE_INTEGER),
    timeout: whole('timeout', 1, MAX_TIMER_MS),
    rerunOnLoss: toBoolean(row.rerun_on_loss),
    retry: toRetryPolicy(id, row.retry),
    nextRunTime: nextRunTime === null ? null : new Date(nextRunTime),
  };
}

/** A retry column read as a caller's `retry` option is read: NULL is none, anything else must pass its checks. */
function toRetryPolicy(id: string, value: unknown): RetryPolicy | null {
  if (value === null || value === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(value));
  } catch (error) {
    throw new UnreadableJobRowError(id, 'retry', `is not valid JSON (${(error as Error).message})`);
  }
  if (parsed === null) return null;
  // A policy written by this version has every field; one edited by hand is read like input.
  const { maxDelay, ...rest } = (typeof parsed === 'object' && parsed !== null ? parsed : { attempts: parsed }) as Record<string, unknown>;
  try {
    return readRetryOptions(maxDelay === null ? rest : { ...rest, maxDelay });
  } catch (error) {
    throw new UnreadableJobRowError(id, 'retry', `holds a policy the scheduler refuses (${(error as Error).message})`);
  }
}

/** Whether a next_run_time read from the database is a date a JobSpec can hold. */
export function isDateMs(ms: number): boolean {
  return Number.isInteger(ms) && Math.abs(ms) <= MAX_DATE_MS;
}

function parseColumn(id: string, column: 'args' | 'trigger', value: unknown): unknown {
  if (typeof value !== 'string') throw new UnreadableJobRowError(id, column, 'is empty');
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new UnreadableJobRowError(id, column, `is not valid JSON (${(error as Error).message})`);
  }
}

export function toExecution(row: Row): JobExecution {
  return {
    id: String(row.id),
    jobId: String(row.job_id),
    scheduledRunTime: new Date(Number(row.scheduled_run_time)),
    attempt: toAttempt(row.attempt),
    status: String(row.status) as ExecutionStatus,
    instanceId: String(row.instance_id),
    startedAt: toDateOrNull(row.started_at),
    finishedAt: toDateOrNull(row.finished_at),
    durationMs: toNumberOrNull(row.duration_ms),
    error: toStringOrNull(row.error),
    traceback: toStringOrNull(row.traceback),
    retryAt: toDateOrNull(row.retry_at),
  };
}

/** An execution row's attempt (INTEGER, 1 by default); anything else reads as the first run. */
function toAttempt(value: unknown): number {
  const attempt = Number(value);
  return Number.isInteger(attempt) && attempt >= 1 ? attempt : 1;
}

// pg and mysql2 return BIGINT as strings, MySQL booleans are 0/1, SQLite has neither type.
function toBoolean(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't' || value === 'true';
}

export function toNumberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

export function toDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : new Date(Number(value));
}

function toStringOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}
