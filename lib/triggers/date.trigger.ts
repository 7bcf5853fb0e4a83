import { DateTime } from 'luxon';
import { parseDate } from './parse-date.js';
import { resolveTimezone } from './timezone.js';
import type { DateTriggerSpec, Trigger, TriggerDefaults } from './trigger.js';
import { assertKnownKeys } from './validate.js';

const KEYS = ['type', 'runDate', 'timezone'] as const;

/** Fires once, at `runDate` (omitted: when the trigger is created, i.e. "run now"). @publicApi */
export class DateTrigger implements Trigger {
  readonly runDate: Date;
  readonly timezone: string;

  constructor(spec: Omit<DateTriggerSpec, 'type'> & { type?: 'date' } = {}, defaults?: TriggerDefaults) {
    assertKnownKeys(spec, KEYS);
    this.timezone = resolveTimezone(spec.timezone, defaults);
    this.runDate =
      spec.runDate === undefined ? new Date((defaults?.now ?? new Date()).getTime()) : parseDate('runDate', spec.runDate, this.timezone);
  }

  /**
   * The run date until it has fired, even when it is already past: the scheduler, not the
   * trigger, decides whether a late run is still within misfireGraceTime.
   */
  getNextFireTime(previousFireTime: Date | null, _now: Date): Date | null {
    if (previousFireTime === null || previousFireTime.getTime() < this.runDate.getTime()) {
      return new Date(this.runDate.getTime());
    }
    return null;
  }

  toJSON(): DateTriggerSpec {
    return { type: 'date', runDate: this.runDate.toISOString(), timezone: this.timezone };
  }

  toString(): string {
    return `date[${DateTime.fromJSDate(this.runDate, { zone: this.timezone }).toISO()} ${this.timezone}]`;
  }
}
