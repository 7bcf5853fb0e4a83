import { InvalidJobOptionError, InvalidTriggerError } from './errors.js';
import { parseDate } from '../triggers/parse-date.js';
import type { DateInput } from '../triggers/trigger.js';

const OPTION_KEYS = [
  'id', 'name', 'store', 'executor', 'coalesce', 'maxInstances', 'misfireGraceTime',
  'nextRunTime', 'replaceExisting', 'timeout', 'rerunOnLoss',
] as const;
export const ADD_JOB_KEYS: ReadonlySet<string> = new Set([...OPTION_KEYS, 'handler', 'trigger', 'args']);
export const SCHEDULED_JOB_KEYS: ReadonlySet<string> = new Set([...OPTION_KEYS, 'trigger']);
export const MODIFY_JOB_KEYS: ReadonlySet<string> = new Set([
  'id', 'name', 'executor', 'coalesce', 'maxInstances', 'misfireGraceTime', 'nextRunTime', 'timeout',
  'rerunOnLoss', 'args', 'handler',
]);

/** Throws for a key the caller did not mean (a typo would otherwise be silently ignored). */
export function assertKnownKeys(value: object, allowed: ReadonlySet<string>, what: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) {
      throw new InvalidJobOptionError(key, (value as Record<string, unknown>)[key], `not a ${what} option; allowed: ${[...allowed].join(', ')}`);
    }
  }
}

/** Checks the type and range of every option that is present. */
export function assertValidOptions(options: Record<string, unknown>): void {
  const has = (key: string) => options[key] !== undefined;
  for (const key of ['id', 'store', 'executor']) {
    if (has(key) && (typeof options[key] !== 'string' || options[key] === '')) {
      throw new InvalidJobOptionError(key, options[key], 'allowed: a non-empty string');
    }
  }
  if (has('name') && typeof options.name !== 'string') {
    throw new InvalidJobOptionError('name', options.name, 'allowed: a string');
  }
  for (const key of ['coalesce', 'replaceExisting', 'rerunOnLoss']) {
    if (has(key) && typeof options[key] !== 'boolean') {
      throw new InvalidJobOptionError(key, options[key], 'allowed: true or false');
    }
  }
  if (has('maxInstances') && !(Number.isInteger(options.maxInstances) && (options.maxInstances as number) >= 1)) {
    throw new InvalidJobOptionError('maxInstances', options.maxInstances, 'allowed: a whole number >= 1');
  }
  const grace = options.misfireGraceTime;
  if (has('misfireGraceTime') && grace !== null && !(typeof grace === 'number' && Number.isFinite(grace) && grace >= 0)) {
    throw new InvalidJobOptionError('misfireGraceTime', grace, 'allowed: ms >= 0, or null for no limit');
  }
  const timeout = options.timeout;
  if (has('timeout') && !(typeof timeout === 'number' && Number.isFinite(timeout) && timeout > 0)) {
    throw new InvalidJobOptionError('timeout', timeout, 'allowed: ms > 0');
  }
  if (has('args') && !Array.isArray(options.args)) {
    throw new InvalidJobOptionError('args', options.args, 'allowed: an array of arguments');
  }
}

/** A job's nextRunTime option: a DateInput, read in `zone` when it has no offset. */
export function parseRunTime(input: DateInput, zone: string): Date {
  try {
    return parseDate('nextRunTime', input, zone);
  } catch (err) {
    if (!(err instanceof InvalidTriggerError)) throw err;
    throw new InvalidJobOptionError('nextRunTime', input, `${err.allowed}, or null to add the job paused`);
  }
}
