import { InvalidJobOptionError } from '../errors.js';
import { MAX_TIMER_MS, checkWhole, readOptions, type OptionErrorFactory } from '../../utils/option-checks.js';

/** How the delay between attempts grows. @publicApi */
export type RetryBackoff = 'fixed' | 'exponential';

/**
 * A job's `retry` option (per job or in `jobDefaults`): a run that failed (its handler threw or
 * rejected, or it timed out) runs again after a delay, up to `attempts` more times. A run that was
 * missed, dropped for maxInstances or lost with a crashed instance is not retried. @publicApi
 */
export interface RetryOptions {
  /** How many times a failed run is run again (0: never); the first run is attempt 1. */
  attempts: number;
  /** ms before the first retry; default 1000. */
  delay?: number;
  /** 'fixed' (default): every retry waits `delay`; 'exponential': delay, 2 × delay, 4 × delay, … */
  backoff?: RetryBackoff;
  /** ms; the longest wait before a retry, jitter aside; default: no limit but Node's timer limit. */
  maxDelay?: number;
  /** ms; a random 0..jitter added to every wait, so failed runs of many jobs do not retry at once. */
  jitter?: number;
}

/** A checked `retry` option with every default filled in: what a JobSpec keeps (plain JSON). */
export interface RetryPolicy {
  attempts: number;
  delay: number;
  backoff: RetryBackoff;
  /** null: no limit but MAX_TIMER_MS. */
  maxDelay: number | null;
  jitter: number;
}

export const DEFAULT_RETRY_DELAY = 1000;
/** More retries than this of one run are surely a mistake (and a long history of errors). */
export const MAX_RETRY_ATTEMPTS = 1000;

const RETRY_KEYS: ReadonlySet<string> = new Set(['attempts', 'delay', 'backoff', 'maxDelay', 'jitter']);

/** Errors name the nested field: `retry.attempts`. */
function retryOptionError(prefix: string): OptionErrorFactory {
  return (field, value, allowed) =>
    new InvalidJobOptionError(field.startsWith(`${prefix}.`) || field === prefix ? field : `${prefix}.${field}`, value, allowed);
}

/**
 * Reads and checks a `retry` option into a RetryPolicy; `null` (no retries, e.g. to override
 * jobDefaults) gives null. Refuses, with InvalidJobOptionError naming `retry.<field>`, what is not
 * allowed: an unknown key, attempts outside 0..1000, a delay, maxDelay or jitter that is not a whole
 * number of ms within Node's timer limit, a maxDelay below delay, a backoff other than the two.
 */
export function readRetryOptions(value: unknown, field = 'retry'): RetryPolicy | null {
  if (value === null) return null;
  const fail = retryOptionError(field);
  if (value === undefined || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidJobOptionError(
      field,
      value,
      'allowed: { attempts, delay?, backoff?: "fixed" | "exponential", maxDelay?, jitter? }, or null for no retries',
    );
  }
  const options = readOptions(value, RETRY_KEYS, 'retry', fail, field);
  if (!('attempts' in options)) {
    throw new InvalidJobOptionError(`${field}.attempts`, undefined, `allowed: a whole number from 0 to ${MAX_RETRY_ATTEMPTS} (required)`);
  }
  const attempts = checkWhole(fail, `${field}.attempts`, options.attempts, 0, MAX_RETRY_ATTEMPTS);
  const delay = 'delay' in options ? checkWhole(fail, `${field}.delay`, options.delay, 0, MAX_TIMER_MS, 'ms') : DEFAULT_RETRY_DELAY;
  let backoff: RetryBackoff = 'fixed';
  if ('backoff' in options) {
    if (options.backoff !== 'fixed' && options.backoff !== 'exponential') {
      throw new InvalidJobOptionError(`${field}.backoff`, options.backoff, "allowed: 'fixed' or 'exponential'");
    }
    backoff = options.backoff;
  }
  let maxDelay: number | null = null;
  if ('maxDelay' in options) {
    maxDelay = checkWhole(fail, `${field}.maxDelay`, options.maxDelay, 0, MAX_TIMER_MS, 'ms');
    if (maxDelay < delay) {
      throw new InvalidJobOptionError(`${field}.maxDelay`, maxDelay, `allowed: at least delay (${delay} ms)`);
    }
  }
  const jitter = 'jitter' in options ? checkWhole(fail, `${field}.jitter`, options.jitter, 0, MAX_TIMER_MS, 'ms') : 0;
  return { attempts, delay, backoff, maxDelay, jitter };
}

/** How a run ended, as far as retrying is concerned. */
export type RetryableEnd = 'executed' | 'error' | 'timeout' | 'missed' | 'max_instances' | 'lost';

/**
 * Whether a run that ended as `end` on attempt `attempt` (the first run is 1) is run again. Only a
 * failure is retried: an error or a timeout. Costs a field check for a job without a policy.
 */
export function shouldRetry(policy: RetryPolicy | null, end: RetryableEnd, attempt: number): boolean {
  if (policy === null) return false;
  return (end === 'error' || end === 'timeout') && attempt <= policy.attempts;
}

/**
 * ms to wait before running again a run whose attempt `failedAttempt` failed (1: the first run).
 * fixed: delay; exponential: delay × 2^(failedAttempt − 1). Capped at maxDelay (and MAX_TIMER_MS),
 * then a random 0..jitter added (so at most maxDelay + jitter, still capped at MAX_TIMER_MS).
 */
export function retryDelay(policy: RetryPolicy, failedAttempt: number, random: () => number = Math.random): number {
  const steps = Math.max(0, failedAttempt - 1);
  let base = policy.backoff === 'exponential' ? policy.delay * 2 ** steps : policy.delay;
  const cap = policy.maxDelay ?? MAX_TIMER_MS;
  if (!(base <= cap)) base = cap; // also catches Infinity from a large exponent
  const jitter = policy.jitter > 0 ? Math.floor(random() * (policy.jitter + 1)) : 0;
  return Math.min(base + Math.min(jitter, policy.jitter), MAX_TIMER_MS);
}

/** When the retry of a run that failed at `failedAt` on attempt `failedAttempt` comes due. */
export function retryTime(policy: RetryPolicy, failedAttempt: number, failedAt: Date, random?: () => number): Date {
  return new Date(failedAt.getTime() + retryDelay(policy, failedAttempt, random));
}
