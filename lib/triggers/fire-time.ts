import { InvalidTriggerError, SchedulerError, describeValue } from '../core/errors.js';
import { describeThrown } from '../utils/thrown-value.js';
import { isValidDate } from '../utils/option-checks.js';
import { assertTriggerFires } from './assert-fires.js';
import type { Trigger } from './trigger.js';

/**
 * What a trigger answered, refused unless it is null or a valid date: a custom trigger (or a
 * jitter past the Date range) must not put NaN into a store's order of jobs. The store reports the
 * job and skips it, as it does a job it cannot read.
 */
export function checkedFireTime(trigger: Trigger, time: unknown): Date | null {
  if (time === null) return null;
  if (isValidDate(time)) return time;
  throw new InvalidTriggerError(
    'trigger',
    safeDescription(trigger),
    `getNextFireTime() returned ${describeValue(time)}, not a valid Date or null`,
  );
}

function safeDescription(trigger: Trigger): string {
  try {
    return String(trigger.toString());
  } catch {
    return '(a trigger)';
  }
}

/**
 * A trigger's first fire time at or after `now`, for adding or changing a job: what a custom
 * trigger throws or answers that is not a Date becomes InvalidTriggerError at that call.
 */
export function firstFireTime(trigger: Trigger, now: Date): Date | null {
  let time: unknown;
  try {
    time = trigger.getNextFireTime(null, now);
  } catch (error) {
    if (error instanceof SchedulerError) throw error;
    throw new InvalidTriggerError('trigger', safeDescription(trigger), `getNextFireTime() threw: ${describeThrown(error)}`);
  }
  return checkedFireTime(trigger, time);
}

/** Refuses a trigger that will never fire from `now` on, saying why (see assertTriggerFires). */
export function assertFiresFrom(trigger: Trigger, now: Date): void {
  if (firstFireTime(trigger, now) !== null) return;
  try {
    assertTriggerFires(trigger, now);
  } catch (error) {
    if (error instanceof SchedulerError) throw error;
  }
  throw new InvalidTriggerError('trigger', safeDescription(trigger), `it has no fire time after ${now.toISOString()}`);
}
