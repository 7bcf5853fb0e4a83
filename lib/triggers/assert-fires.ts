import { DateTime } from 'luxon';
import { InvalidTriggerError } from '../core/errors.js';
import { AND_TRIGGER_MAX_STEPS, AndTrigger, firstAtOrAfter, OrTrigger } from './combining.trigger.js';
import { CronMatcher } from './cron/cron-matcher.js';
import type { CronSchedule, ValueSet } from './cron/cron-schedule.js';
import { CronTrigger } from './cron/cron.trigger.js';
import { DateTrigger } from './date.trigger.js';
import { IntervalTrigger } from './interval.trigger.js';
import type { Trigger } from './trigger.js';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/** The most days each month ever has (February: 29). */
const LONGEST = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Refuses a trigger that has no fire time at or after `now`: InvalidTriggerError on 'trigger'
 * with the trigger's spec and, where it can tell, why ("it never fires: February has no day
 * 30", "its endDate ... is in the past"). For adding and rescheduling a job; createTrigger does
 * not call it, since a stored trigger that has ended must still compile. A date trigger in the
 * past passes: it fires once within the misfire grace time or is recorded as missed.
 */
export function assertTriggerFires(trigger: Trigger, now: Date): void {
  if (trigger.getNextFireTime(null, now) !== null) return;
  throw new InvalidTriggerError('trigger', trigger.toJSON(), whyNoFireTime(trigger, now));
}

function whyNoFireTime(trigger: Trigger, now: Date): string {
  if (trigger instanceof CronTrigger) return cronReason(trigger, now);
  if (trigger instanceof IntervalTrigger) return endReason(trigger.endDate, now) ?? noneAfter(now);
  if (trigger instanceof AndTrigger) return andReason(trigger, now);
  if (trigger instanceof OrTrigger) {
    return `none of its triggers fires: ${trigger.triggers.map((t) => `${t}: ${whyNoFireTime(t, now)}`).join('; ')}`;
  }
  return noneAfter(now);
}

function noneAfter(now: Date): string {
  return `it has no fire time at or after ${now.toISOString()}`;
}

function endReason(endDate: Date | null, now: Date): string | null {
  return endDate && endDate.getTime() < now.getTime() ? `its endDate ${endDate.toISOString()} is in the past` : null;
}

function cronReason(trigger: CronTrigger, now: Date): string {
  const ended = endReason(trigger.endDate, now);
  if (ended) return ended;
  // Whether a wall time ever matches does not depend on the zone (a skipped one still fires).
  if (new CronMatcher(trigger.schedule, 'UTC').next(Number.NEGATIVE_INFINITY) === null) {
    return `it never fires: ${impossibleDays(trigger.schedule) ?? 'no date matches all of its fields'}`;
  }
  const lastYear = lastAllowed(trigger.schedule.year);
  if (lastYear < trigger.schedule.year.max) {
    const yearNow = DateTime.fromJSDate(now, { zone: trigger.timezone }).year;
    if (lastYear < yearNow) return `its years are all in the past (the last is ${lastYear})`;
  }
  if (trigger.endDate) {
    return `it has no fire time between ${now.toISOString()} and its endDate ${trigger.endDate.toISOString()}`;
  }
  return noneAfter(now);
}

/** "February has no day 30" when the day field only lists days that none of the months has. */
function impossibleDays(s: CronSchedule): string | null {
  const dom = s.dayOfMonth;
  const onlyDates = dom.restricted && !dom.lastDay && dom.weekdays === 0 && dom.lastWeekdays === 0 && dom.nthWeekdays.length === 0;
  if (!onlyDates || s.dayOfWeek.restricted || s.week !== null) return null;
  const days: number[] = [];
  for (let d = 1; d <= 31; d++) if (dom.days & (1 << (d - 1))) days.push(d);
  const months: string[] = [];
  for (let m = 1; m <= 12; m++) {
    if (s.month.next[m - 1] !== m) continue;
    if (LONGEST[m - 1] >= days[0]) return null;
    months.push(MONTHS[m - 1]);
  }
  const have = months.length === 1 ? 'has' : 'have';
  return `${list(months, 'and')} ${have} no day ${list(days.map(String), 'or')}`;
}

function andReason(trigger: AndTrigger, now: Date): string {
  for (const part of trigger.triggers) {
    if (firstAtOrAfter(part, now.getTime()) !== null) continue;
    if (part instanceof DateTrigger) return `its trigger ${part} is in the past, so they never fire together again`;
    return `its trigger ${part}: ${whyNoFireTime(part, now)}`;
  }
  return `its triggers never fire at the same time (none in a search of ${AND_TRIGGER_MAX_STEPS} steps from ${now.toISOString()})`;
}

function lastAllowed(set: ValueSet): number {
  for (let v = set.max; v >= set.min; v--) if (set.next[v - set.min] === v) return v;
  return set.min - 1;
}

function list(items: readonly string[], conjunction: 'and' | 'or'): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}
