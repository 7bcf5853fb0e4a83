import { applyDecorators, SetMetadata } from '@nestjs/common';
import { InvalidJobOptionError } from '../core/errors.js';
import { JOB_LIMITS } from '../core/jobs/job-validation.js';
import { ScheduledJob, type ScheduledJobOptions } from '../decorators/scheduled-job.decorator.js';
import type { TriggerSpec } from '../triggers/trigger.js';
import { MAX_INT32, MAX_TIMER_MS, checkBoolean, checkName, checkWhole, readOptions } from '../utils/option-checks.js';
import { SCHEDULE_COMPAT_METADATA, type CompatJobMetadata, type CompatKind } from './compat-metadata.js';
import { cronTimeToTrigger, type CronTimeInput } from './cron-time.js';

/**
 * @Cron's options, as @nestjs/schedule declares them. How each maps (README, "Coming from
 * @nestjs/schedule"): name is the job id; timeZone and utcOffset the trigger's zone;
 * waitForCompletion is maxInstances 1 (without it runs may overlap, as with `cron`); disabled
 * stores the job paused at every start; threshold is misfireGraceTime; initialDelay holds off the
 * first fire; unrefTimeout has no effect (one timer serves every job).
 * @publicApi
 */
export type CronOptions = {
  /** The job's id and name, and its name in SchedulerRegistry. Default: `ClassName.methodName`. */
  name?: string;
  /** An IANA zone, or a fixed offset such as 'UTC+2'. Default: the module's timezone (the process's zone). */
  timeZone?: string;
  /** Minutes east of UTC, a whole number of hours (an IANA zone exists only for those). */
  utcOffset?: number;
  /** Accepted and ignored: the scheduler's one timer does not decide whether the process stays alive. */
  unrefTimeout?: boolean;
  /** true: a fire while a run is still going is skipped (maxInstances 1, across replicas). Default: runs overlap. */
  waitForCompletion?: boolean;
  /** true: stored paused at every start; start it with SchedulerRegistry.getCronJob(name).start(). */
  disabled?: boolean;
  /** ms a run may start late; later, it is recorded as missed (misfireGraceTime). Default: the module's jobDefaults (1000). */
  threshold?: number;
  /** ms after application bootstrap before the first fire; later fires keep the schedule. */
  initialDelay?: number;
} & ({ timeZone?: string; utcOffset?: never } | { timeZone?: never; utcOffset?: number });

const CRON_OPTION_KEYS: ReadonlySet<string> = new Set([
  'name',
  'timeZone',
  'utcOffset',
  'unrefTimeout',
  'waitForCompletion',
  'disabled',
  'threshold',
  'initialDelay',
]);

/** Runs may overlap without limit, as they do with `cron` and setInterval. */
const OVERLAPPING = MAX_INT32;

const fail = (field: string, value: unknown, allowed: string) => new InvalidJobOptionError(field, value, allowed);

/**
 * @nestjs/schedule's @Cron: runs the method on a crontab string (5 fields, or 6 with seconds first,
 * such as the CronExpression values), a Date or a luxon DateTime. The job is a @ScheduledJob: kept in
 * the scheduler's store (persistent and run once per fire across replicas with a TypeORM store),
 * with history and events.
 * @publicApi
 */
export function Cron(cronTime: CronTimeInput, options: CronOptions = {}): MethodDecorator {
  const read = readOptions(options, CRON_OPTION_KEYS, '@Cron', fail) as CronOptions;
  for (const key of ['unrefTimeout', 'waitForCompletion', 'disabled'] as const) if (key in read) checkBoolean(fail, key, read[key]);
  if (read.threshold !== undefined) checkWhole(fail, 'threshold', read.threshold, 0, Number.MAX_SAFE_INTEGER, 'ms');
  if (read.initialDelay !== undefined) checkWhole(fail, 'initialDelay', read.initialDelay, 0, MAX_TIMER_MS, 'ms');
  const name = nameOf(read.name);
  const zone = { timeZone: read.timeZone, utcOffset: read.utcOffset };
  const trigger = cronTimeToTrigger(cronTime, zone);
  const job: ScheduledJobOptions = {
    ...idOf(name),
    maxInstances: read.waitForCompletion ? 1 : OVERLAPPING,
    ...(read.threshold !== undefined ? { misfireGraceTime: read.threshold } : {}),
    ...(read.disabled ? { paused: true } : {}),
  };
  const delay = read.initialDelay ?? 0;
  if (delay > 0 && typeof cronTime === 'string') {
    // Read when the scheduler takes the job at bootstrap, so the delay counts from then.
    bootstrapRelative(job, () => cronTimeToTrigger(cronTime, zone, new Date(Date.now() + delay)));
  } else {
    job.trigger = trigger;
  }
  return decorate('cron', job, {
    name,
    trigger,
    disabled: read.disabled ?? false,
    waitForCompletion: read.waitForCompletion ?? false,
    threshold: read.threshold,
    runOnce: typeof cronTime !== 'string',
  });
}

/**
 * @nestjs/schedule's @Interval: runs the method every `timeout` ms, the first time `timeout` ms
 * after bootstrap; runs may overlap, as with setInterval. A job on an interval trigger: after a
 * restart with a persistent store it keeps its grid, and the fires due while the application was
 * down are coalesced or missed by the job's rules.
 * @publicApi
 */
export function Interval(timeout: number): MethodDecorator;
export function Interval(name: string, timeout: number): MethodDecorator;
export function Interval(nameOrTimeout: string | number, timeout?: number): MethodDecorator {
  const [name, ms] = nameAndTimeout('@Interval', nameOrTimeout, timeout, 1);
  const trigger: TriggerSpec = { type: 'interval', milliseconds: ms };
  return decorate('interval', { ...idOf(name), trigger, maxInstances: OVERLAPPING }, { ...plain(name), trigger });
}

/**
 * @nestjs/schedule's @Timeout: runs the method once, `timeout` ms after bootstrap. A job on a date
 * trigger, never missed however late it starts (a setTimeout always runs), and removed once it ran.
 * With a store shared by replicas it runs once for the replicas that start within `timeout` ms of
 * each other: each start sets its run date again.
 * @publicApi
 */
export function Timeout(timeout: number): MethodDecorator;
export function Timeout(name: string, timeout: number): MethodDecorator;
export function Timeout(nameOrTimeout: string | number, timeout?: number): MethodDecorator {
  const [name, ms] = nameAndTimeout('@Timeout', nameOrTimeout, timeout, 0);
  const job: ScheduledJobOptions = { ...idOf(name), misfireGraceTime: null };
  bootstrapRelative(job, () => ({ type: 'date', runDate: new Date(Date.now() + ms) }));
  return decorate('timeout', job, { ...plain(name), trigger: { type: 'date' }, runOnce: true });
}

function decorate(kind: CompatKind, job: ScheduledJobOptions, meta: Omit<CompatJobMetadata, 'kind'>): MethodDecorator {
  const metadata: CompatJobMetadata = { kind, ...meta };
  return applyDecorators(ScheduledJob(job), SetMetadata(SCHEDULE_COMPAT_METADATA, metadata));
}

/**
 * A trigger counted from bootstrap: the decorator runs when the class is defined, long before, so
 * the trigger is a getter that the scheduler module reads when it takes the declared jobs at
 * application bootstrap (each application reading it gets its own date).
 */
function bootstrapRelative(job: ScheduledJobOptions, trigger: () => TriggerSpec): void {
  Object.defineProperty(job, 'trigger', { get: trigger, enumerable: true, configurable: true });
}

function plain(name: string | undefined): Omit<CompatJobMetadata, 'kind' | 'trigger'> {
  return { name, disabled: false, waitForCompletion: false, runOnce: false };
}

function idOf(name: string | undefined): { id?: string; name?: string } {
  return name === undefined ? {} : { id: name, name };
}

/** A name as @nestjs/schedule reads it ('' is no name), checked as a job id. */
function nameOf(name: unknown): string | undefined {
  if (name === undefined || name === '') return undefined;
  return checkName(fail, 'name', name, JOB_LIMITS.id);
}

function nameAndTimeout(
  what: string,
  nameOrTimeout: string | number,
  timeout: number | undefined,
  min: number,
): [string | undefined, number] {
  const [name, ms] = typeof nameOrTimeout === 'string' ? [nameOrTimeout, timeout] : [undefined, nameOrTimeout];
  const allowed = `${what} takes (ms) or (name, ms), ms a whole number from ${min} to ${MAX_TIMER_MS}`;
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < min || ms > MAX_TIMER_MS) throw fail('timeout', ms, `allowed: ${allowed}`);
  return [nameOf(name), ms];
}
