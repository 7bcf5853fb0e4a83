import { InvalidTriggerError } from '../core/errors.js';
import { MAX_DATE_MS } from './cron/calendar.js';

/**
 * Spec checks shared by every built-in trigger. A spec usually comes from JSON (a store, a
 * config file), so a misspelt key such as `hours` on a cron spec must fail loudly instead of
 * being ignored and silently scheduling something else.
 */
export function assertKnownKeys(spec: object, allowed: readonly string[]): void {
  for (const key of Object.keys(spec)) {
    const value = (spec as Record<string, unknown>)[key];
    if (!allowed.includes(key) && value !== undefined) {
      throw new InvalidTriggerError(key, value, `allowed fields: ${allowed.join(', ')}`);
    }
  }
}

/** A finite number >= 0, or undefined when absent. */
export function optionalNonNegative(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidTriggerError(field, value, 'allowed: a finite number >= 0');
  }
  return value;
}

/** The largest jitter: Node's timer limit, about 24.8 days. */
export const MAX_JITTER_MS = 2 ** 31 - 1;

/** jitter is in ms; 0 is the same as none. */
export function parseJitter(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_JITTER_MS) {
    throw new InvalidTriggerError('jitter', value, `allowed: a finite number of ms in 0..${MAX_JITTER_MS} (2^31-1)`);
  }
  return value;
}

/** Adds a random 0..jitter ms to `time`, never past `endMs` (the trigger's endDate) or the Date range. */
export function applyJitter(time: number, jitter: number, endMs: number | null): number {
  if (jitter <= 0) return time;
  const end = endMs === null ? MAX_DATE_MS : Math.min(endMs, MAX_DATE_MS);
  const jittered = time + Math.floor(Math.random() * (jitter + 1));
  return jittered > end ? Math.max(time, end) : jittered;
}
