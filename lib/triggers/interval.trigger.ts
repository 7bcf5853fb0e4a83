import { InvalidTriggerError } from '../core/errors.js';
import { MAX_DATE_MS } from './cron/calendar.js';
import { parseDate, parseOptionalDate } from './parse-date.js';
import { resolveTimezone } from './timezone.js';
import type { IntervalTriggerSpec, Trigger, TriggerDefaults } from './trigger.js';
import { applyJitter, assertKnownKeys, optionalNonNegative, parseJitter } from './validate.js';

const UNITS = [
  ['weeks', 604_800_000],
  ['days', 86_400_000],
  ['hours', 3_600_000],
  ['minutes', 60_000],
  ['seconds', 1_000],
  ['milliseconds', 1],
] as const;

type Unit = (typeof UNITS)[number][0];

const ALLOWED = `allowed: weeks, days, hours, minutes, seconds and milliseconds adding up to a whole number of ms from 1 to ${MAX_DATE_MS}`;
const PAST_RANGE = 'the first fire time (now + the interval) would be past the end of the Date range';

/** The sum of the units in ms; float noise (1.1 hours = 3960000.0000000005 ms) is not a fraction. */
function intervalMs(total: number, given: object): number {
  const ms = Math.round(total);
  if (!Number.isFinite(total) || ms > MAX_DATE_MS) {
    throw new InvalidTriggerError('interval', given, `${ALLOWED}; it is longer than the Date range`);
  }
  if (Math.abs(total - ms) > 8 * Number.EPSILON * Math.max(1, total)) {
    throw new InvalidTriggerError('interval', given, `${ALLOWED}; ${total} is not a whole number of ms`);
  }
  if (ms < 1) throw new InvalidTriggerError('interval', given, `${ALLOWED} (at least 1 ms)`);
  return ms;
}

const KEYS = ['type', ...UNITS.map(([unit]) => unit), 'startDate', 'endDate', 'timezone', 'jitter'] as const;

/**
 * Fires at startDate + k * interval. The interval is absolute milliseconds, so a 24-hour
 * interval stays 24 real hours across a DST change (APScheduler does the same); use cron for
 * "every day at 09:00 wall time". @publicApi
 */
export class IntervalTrigger implements Trigger {
  /** The interval in ms. */
  readonly interval: number;
  readonly startDate: Date;
  readonly endDate: Date | null;
  readonly timezone: string;
  /** ms */
  readonly jitter: number;
  private readonly units: Partial<Record<Unit, number>> = {};

  constructor(spec: Omit<IntervalTriggerSpec, 'type'> & { type?: 'interval' }, defaults?: TriggerDefaults) {
    assertKnownKeys(spec, KEYS);
    let total = 0;
    for (const [unit, ms] of UNITS) {
      const value = optionalNonNegative(unit, spec[unit]);
      if (value === undefined) continue;
      this.units[unit] = value;
      total += value * ms;
    }
    this.interval = intervalMs(total, Object.keys(this.units).length ? this.units : spec);
    this.timezone = resolveTimezone(spec.timezone, defaults);
    this.jitter = parseJitter(spec.jitter);
    // No startDate: the first run is one interval after the job is added, as in APScheduler.
    // The resolved start is what toJSON stores, so a job read back keeps the same grid.
    if (spec.startDate === undefined || spec.startDate === null) {
      const start = (defaults?.now ?? new Date()).getTime() + this.interval;
      if (start > MAX_DATE_MS) throw new InvalidTriggerError('interval', this.units, `${ALLOWED}; ${PAST_RANGE}`);
      this.startDate = new Date(start);
    } else {
      this.startDate = parseDate('startDate', spec.startDate, this.timezone);
    }
    this.endDate = parseOptionalDate('endDate', spec.endDate, this.timezone);
    if (this.endDate && this.endDate.getTime() < this.startDate.getTime()) {
      throw new InvalidTriggerError('endDate', spec.endDate, `allowed: a date at or after startDate (${this.startDate.toISOString()})`);
    }
  }

  /**
   * The grid index is recomputed from `previousFireTime` instead of adding the interval to it,
   * so a jittered previous run never shifts later runs (jitter is expected to be below the interval).
   */
  getNextFireTime(previousFireTime: Date | null, now: Date): Date | null {
    const start = this.startDate.getTime();
    let k: number;
    if (previousFireTime === null) {
      k = Math.max(0, Math.ceil((now.getTime() - start) / this.interval));
    } else {
      k = Math.max(0, Math.floor((previousFireTime.getTime() - start) / this.interval) + 1);
    }
    const next = start + k * this.interval;
    const end = this.endDate ? this.endDate.getTime() : null;
    if ((end !== null && next > end) || next > MAX_DATE_MS) return null;
    return new Date(applyJitter(next, this.jitter, end));
  }

  toJSON(): IntervalTriggerSpec {
    const spec: IntervalTriggerSpec = { type: 'interval', ...this.units, startDate: this.startDate.toISOString() };
    if (this.endDate) spec.endDate = this.endDate.toISOString();
    spec.timezone = this.timezone;
    if (this.jitter) spec.jitter = this.jitter;
    return spec;
  }

  toString(): string {
    const parts = Object.entries(this.units).map(([unit, value]) => `${unit}=${value}`);
    return `interval[${parts.join(', ')}]`;
  }
}
