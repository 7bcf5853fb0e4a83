import { InvalidTriggerError } from '../core/errors.js';
import type { TriggerSpec } from '../triggers/trigger.js';

/**
 * What the `cron` package (and so @nestjs/schedule's @Cron) takes as a cron time: a crontab string
 * of 5 or 6 fields, a Date, or a luxon DateTime (any object with toJSDate(), so a second copy of
 * luxon works too). @publicApi
 */
export type CronTimeInput = string | Date | { toJSDate(): Date };

/** `cron`'s two ways of naming a zone: an IANA name, or a fixed offset in minutes. */
export interface CronZoneInput {
  timeZone?: string | null;
  utcOffset?: number | null;
}

const OFFSET_NAME = /^(?:UTC|GMT)\s*([+-])(\d{1,2})(?::?(\d{2}))?$/i;
const UTC_OFFSET_ALLOWED =
  'allowed: minutes east of UTC making a whole number of hours from -720 to 840 (a fixed zone exists only for those: Etc/GMT-5 is UTC+5); ' +
  "for another offset give timeZone, e.g. 'Asia/Kolkata'";

/**
 * Our trigger spec for a cron time: a crontab string becomes a cron trigger (the same fields, the
 * same day-of-month OR day-of-week rule as `cron`), a date a date trigger. `startDate` holds off the
 * first fire (@Cron's initialDelay). Throws InvalidTriggerError for what cannot be mapped.
 */
export function cronTimeToTrigger(cronTime: CronTimeInput, zone: CronZoneInput = {}, startDate?: Date): TriggerSpec {
  const timezone = zoneOf(zone);
  const zoned = timezone === undefined ? {} : { timezone };
  if (typeof cronTime === 'string') {
    return { type: 'cron', expression: cronTime, ...zoned, ...(startDate ? { startDate } : {}) };
  }
  const runDate = dateOf(cronTime);
  if (runDate === null) {
    throw new InvalidTriggerError('cronTime', cronTime, 'allowed: a crontab string, a Date or a luxon DateTime');
  }
  return { type: 'date', runDate, ...zoned };
}

function dateOf(value: unknown): Date | null {
  if (value instanceof Date) return value;
  if (typeof value === 'object' && value !== null && typeof (value as { toJSDate?: unknown }).toJSDate === 'function') {
    const date = (value as { toJSDate(): unknown }).toJSDate();
    if (date instanceof Date) return date;
  }
  return null;
}

/**
 * The IANA zone for `cron`'s timeZone or utcOffset; undefined when neither is given (then the
 * module's timezone applies, which defaults to the process's zone, as `cron` does). A fixed offset
 * ('UTC+2', utcOffset: 120) becomes the Etc/GMT zone of that offset, since a trigger's zone is
 * stored by its IANA name.
 */
export function zoneOf({ timeZone, utcOffset }: CronZoneInput): string | undefined {
  if (timeZone != null && utcOffset != null) {
    throw new InvalidTriggerError('utcOffset', utcOffset, "allowed: either timeZone or utcOffset, not both (as in 'cron')");
  }
  if (timeZone != null) {
    if (typeof timeZone !== 'string') return timeZone;
    const match = OFFSET_NAME.exec(timeZone.trim());
    if (!match) return timeZone;
    const minutes = (Number(match[2]) * 60 + Number(match[3] ?? 0)) * (match[1] === '-' ? -1 : 1);
    return fixedZone(minutes, 'timeZone', timeZone);
  }
  if (utcOffset != null) return fixedZone(utcOffset, 'utcOffset', utcOffset);
  return undefined;
}

function fixedZone(minutes: number, field: string, given: unknown): string {
  if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes % 60 !== 0 || minutes < -720 || minutes > 840) {
    throw new InvalidTriggerError(field, given, UTC_OFFSET_ALLOWED);
  }
  const hours = minutes / 60;
  // The Etc zones count the other way round: Etc/GMT-5 is five hours east of UTC.
  return hours === 0 ? 'UTC' : `Etc/GMT${hours > 0 ? '-' : '+'}${Math.abs(hours)}`;
}
