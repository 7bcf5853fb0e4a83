/** Base class of every error the scheduler throws. @publicApi */
export class SchedulerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A job with this id already exists in the store. @publicApi */
export class ConflictingIdError extends SchedulerError {
  constructor(readonly jobId: string) {
    super(`Job identifier '${jobId}' conflicts with an existing job (pass replaceExisting: true to replace it)`);
  }
}

/** No job with this id exists. @publicApi */
export class JobLookupError extends SchedulerError {
  constructor(
    readonly jobId: string,
    store?: string,
  ) {
    super(`No job by the id of '${jobId}' was found${store ? ` in store '${store}'` : ''}`);
  }
}

/** A trigger spec is invalid; the message names the field, the value and what is allowed. @publicApi */
export class InvalidTriggerError extends SchedulerError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`Invalid trigger field '${field}': ${describeValue(value)}; ${allowed}`);
  }
}

/** A job names a handler that no @JobHandler / @ScheduledJob registered. @publicApi */
export class HandlerNotFoundError extends SchedulerError {
  constructor(readonly handler: string) {
    super(`No handler named '${handler}' is registered (decorate a method with @JobHandler('${handler}'))`);
  }
}

/** Args, handler or trigger that a persistent store cannot keep as JSON. @publicApi */
export class SerializationError extends SchedulerError {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`Cannot store '${field}' in a persistent job store: ${reason}`);
  }
}

/** @publicApi */
export class SchedulerNotRunningError extends SchedulerError {
  constructor() {
    super('The scheduler is not running');
  }
}

/** @publicApi */
export class SchedulerAlreadyRunningError extends SchedulerError {
  constructor() {
    super('The scheduler is already running');
  }
}

/** @publicApi */
export class StoreLookupError extends SchedulerError {
  constructor(
    readonly alias: string,
    known: string[] = [],
  ) {
    super(`No job store by the alias of '${alias}'${known.length ? ` (known: ${known.join(', ')})` : ''}`);
  }
}

/** @publicApi */
export class ExecutorLookupError extends SchedulerError {
  constructor(
    readonly alias: string,
    known: string[] = [],
  ) {
    super(`No executor by the alias of '${alias}'${known.length ? ` (known: ${known.join(', ')})` : ''}`);
  }
}

/** A job ran longer than its `timeout`; its ctx.signal was aborted. @publicApi */
export class JobTimeoutError extends SchedulerError {
  constructor(
    readonly jobId: string,
    readonly timeout: number,
  ) {
    super(`Job '${jobId}' timed out after ${timeout} ms`);
  }
}

/** A job option other than the trigger is invalid. @publicApi */
export class InvalidJobOptionError extends SchedulerError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`Invalid job option '${field}': ${describeValue(value)}; ${allowed}`);
  }
}

/** A value as an error message shows it; never throws, whatever the value (a revoked Proxy, a cycle). */
export function describeValue(value: unknown): string {
  try {
    if (typeof value === 'string') return clip(JSON.stringify(value));
    if (value instanceof Date) return isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'number') return String(value);
    if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
    const json = JSON.stringify(value);
    return json === undefined ? String(value) : clip(json);
  } catch {
    try {
      return clip(String(value));
    } catch {
      return '(a value that cannot be shown)';
    }
  }
}

/** Long values are cut in messages: an error must stay readable, and a log line bounded. */
function clip(text: string): string {
  return text.length <= 200 ? text : `${text.slice(0, 200)}… (${text.length} characters)`;
}

/** Two different functions were registered under one handler name. @publicApi */
export class ConflictingHandlerError extends SchedulerError {
  constructor(readonly handler: string) {
    super(`A different function is already registered as handler '${handler}' (give one of them another name)`);
  }
}

/** A scheduler or module option is invalid. @publicApi */
export class InvalidSchedulerOptionError extends SchedulerError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`Invalid scheduler option '${field}': ${describeValue(value)}; ${allowed}`);
  }
}

/** A store refused to write how a run ended; a minimal record was written instead. @publicApi */
export class OutcomeRefusedError extends SchedulerError {
  constructor(readonly executionId: string) {
    super(
      `The store refused the outcome of execution '${executionId}' (a value it cannot hold); it was written with its error text reduced to plain ASCII and without its traceback`,
    );
  }
}

/**
 * This instance was taken for dead by the others sharing its store (its heartbeat stopped for
 * longer than instanceTimeout: a long pause, a frozen VM, SIGSTOP, a network partition; or its
 * session lock was free, as when its lock connection alone was cut): they
 * decided its running runs (lost, or re-run elsewhere). Its outcomes for those runs are not written
 * over their decisions, and the signals of its runs in progress are aborted. @publicApi
 */
export class InstanceFencedError extends SchedulerError {
  constructor(
    readonly instanceId: string,
    /** The records whose outcome this instance no longer owns (empty when found by the heartbeat). */
    readonly executionIds: readonly string[] = [],
  ) {
    super(
      executionIds.length === 0
        ? `Instance '${instanceId}' was taken for dead by the other instances (no heartbeat within instanceTimeout, or its session lock free); ` +
            'its running runs are theirs to decide now: their signals are aborted and their outcomes will not be written'
        : `${executionIds.length} outcome(s) of instance '${instanceId}' were not written: other instances decided those runs ` +
            'while this one was taken for dead (no heartbeat within instanceTimeout, or its session lock free)',
    );
  }
}

/** A query (getExecutions) has an unknown key or a value out of range. @publicApi */
export class InvalidQueryError extends SchedulerError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`Invalid query field '${field}': ${describeValue(value)}; ${allowed}`);
  }
}

/**
 * A stored job the scheduler cannot plan (its trigger cannot be compiled or answered with an
 * invalid date): reported once with jobstore_error and skipped until the job is changed. @publicApi
 */
export class UnplannableJobError extends SchedulerError {
  constructor(
    readonly jobId: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Job '${jobId}' could not be planned and is skipped until it is changed: ${reason}`);
    if (options && 'cause' in options) Object.defineProperty(this, 'cause', { value: options.cause, configurable: true, writable: true });
  }
}

/**
 * A due job's fire time already has an execution record: its next run time was set back onto a
 * time that ran or is running (a hand edit of the row, a restored backup). The time is not run
 * again (invariant 1), the job moves on to its next fire time, and the other jobs of the claim are
 * claimed (invariant 3). Reported once per time with jobstore_error. @publicApi
 */
export class FireTimeRecordedError extends SchedulerError {
  constructor(
    readonly jobId: string,
    readonly scheduledRunTime: Date,
  ) {
    super(
      `Job '${jobId}': its fire time ${scheduledRunTime.toISOString()} already has an execution record, so it is not run again; ` +
        'the job moves on to its next fire time',
    );
  }
}
