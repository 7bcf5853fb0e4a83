import { InvalidJobOptionError, InvalidTriggerError } from '../errors.js';
import {
  MAX_INT32,
  MAX_TIMER_MS,
  checkBoolean,
  checkName,
  checkWhole,
  readOptions,
  type OptionErrorFactory,
} from '../../utils/option-checks.js';
import { parseDate } from '../../triggers/parse-date.js';
import { readRetryOptions } from './retry-policy.js';
import type { DateInput } from '../../triggers/trigger.js';

const OPTION_KEYS = [
  'id',
  'name',
  'store',
  'executor',
  'coalesce',
  'maxInstances',
  'misfireGraceTime',
  'nextRunTime',
  'replaceExisting',
  'timeout',
  'rerunOnLoss',
  'retry',
] as const;
export const ADD_JOB_KEYS: ReadonlySet<string> = new Set([...OPTION_KEYS, 'handler', 'trigger', 'args']);
export const SCHEDULED_JOB_KEYS: ReadonlySet<string> = new Set([...OPTION_KEYS, 'trigger']);
export const MODIFY_JOB_KEYS: ReadonlySet<string> = new Set([
  'id',
  'name',
  'executor',
  'coalesce',
  'maxInstances',
  'misfireGraceTime',
  'nextRunTime',
  'timeout',
  'rerunOnLoss',
  'retry',
  'args',
  'handler',
]);
export const JOB_DEFAULT_KEYS: ReadonlySet<string> = new Set(['coalesce', 'maxInstances', 'misfireGraceTime', 'retry']);

/**
 * What every store can keep, so a job that works on the memory store works on any database:
 * column sizes of the TypeORM tables (a job id is indexed: 191 characters fit an InnoDB key with
 * utf8mb4), INTEGER columns, and JSON in a MySQL TEXT column.
 */
export const JOB_LIMITS = {
  id: 191,
  name: 255,
  jsonBytes: 65_535,
} as const;

const jobOptionError: OptionErrorFactory = (field, value, allowed) => new InvalidJobOptionError(field, value, allowed);

/**
 * Reads job options (addJob's spec, modifyJob's changes, @ScheduledJob's options, jobDefaults)
 * into a plain copy of the defined ones, every one checked: `undefined` is "not given", an
 * unknown key is refused.
 */
export function readJobOptions(value: unknown, allowed: ReadonlySet<string>, what: string, name: string): Record<string, unknown> {
  const options = readOptions(value, allowed, what, jobOptionError, name);
  assertValidOptions(options);
  return options;
}

/** Checks the type and range of every option present (undefined ones were dropped by readJobOptions). */
function assertValidOptions(options: Record<string, unknown>): void {
  const fail = jobOptionError;
  if ('id' in options) checkName(fail, 'id', options.id, JOB_LIMITS.id);
  for (const key of ['store', 'executor'] as const) if (key in options) checkName(fail, key, options[key], JOB_LIMITS.name);
  if ('name' in options) checkName(fail, 'name', options.name, JOB_LIMITS.name, true);
  for (const key of ['coalesce', 'replaceExisting', 'rerunOnLoss'] as const) if (key in options) checkBoolean(fail, key, options[key]);
  if ('maxInstances' in options) checkWhole(fail, 'maxInstances', options.maxInstances, 1, MAX_INT32);
  if ('misfireGraceTime' in options && options.misfireGraceTime !== null) {
    checkWhole(fail, 'misfireGraceTime', options.misfireGraceTime, 0, Number.MAX_SAFE_INTEGER, 'ms (or null for no limit)');
  }
  // A timer's delay: Node fires a longer one after 1 ms.
  if ('timeout' in options) checkWhole(fail, 'timeout', options.timeout, 1, MAX_TIMER_MS, 'ms');
  if ('args' in options) options.args = copyArgs(options.args);
  // Kept as the checked policy, every default filled in: what a JobSpec stores.
  if ('retry' in options) options.retry = readRetryOptions(options.retry);
}

/** The caller's args as an array of our own, so changing theirs later does not change the job. */
function copyArgs(args: unknown): unknown[] {
  let copy: unknown[] | null = null;
  try {
    if (Array.isArray(args)) copy = Array.from(args);
  } catch {
    copy = null;
  }
  if (copy === null) throw new InvalidJobOptionError('args', args, 'allowed: an array of arguments');
  return copy;
}

/** The size a job's JSON (args or trigger) takes, checked against what every store can keep. */
export function assertJsonSize(field: string, json: string): void {
  const bytes = Buffer.byteLength(json);
  if (bytes > JOB_LIMITS.jsonBytes) {
    throw new InvalidJobOptionError(
      field,
      `(${bytes} bytes of JSON)`,
      `allowed: at most ${JOB_LIMITS.jsonBytes} bytes of JSON, what every store can keep`,
    );
  }
}

/** A job's nextRunTime option: a DateInput, read in `zone` when it has no offset. */
export function parseRunTime(input: DateInput, zone: string): Date {
  try {
    return parseDate('nextRunTime', input, zone);
  } catch (err) {
    const allowed = err instanceof InvalidTriggerError ? err.allowed : 'allowed: a Date, an ISO-8601 string or epoch ms';
    throw new InvalidJobOptionError('nextRunTime', input, `${allowed}, or null to add the job paused`);
  }
}
