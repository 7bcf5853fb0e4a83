import { DateTime } from 'luxon';
import { InvalidTriggerError } from '../core/errors.js';
import { DAY_MS, daysFromCivil, daysInMonth, MAX_DATE_MS } from './cron/calendar.js';
import { wallTimeToInstant } from './timezone.js';

const ALLOWED =
  'allowed: an ISO-8601 date or date-time ("2025-07-01", "2025-07-01T08:00:00Z", "2025-07-01T08:00:00+02:00"), ' +
  '"YYYY-MM-DD HH:mm:ss" (without an offset: wall time in the trigger\'s zone), a valid Date, or epoch milliseconds';
const ALLOWED_MS = `allowed: epoch milliseconds, a whole number of ms within ±${MAX_DATE_MS} (the range of a Date)`;
const OUT_OF_RANGE = `it is outside the range of a Date (±${MAX_DATE_MS} ms from 1970)`;

const UTC_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** YYYY-MM-DD, optionally followed by T or a space, hh:mm[:ss[.fraction]] and Z or ±hh[:mm]. */
const DATE_TIME =
  /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
/** Other ISO-8601 forms that start with their year ('20250701', '2025-W27-2', '2025-182'): luxon reads them. */
const STARTS_WITH_YEAR = /^(?:[+-]\d{6}|\d{4})(?!:)/;
const TIME_ONLY = /^T?\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?\s?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Turns a DateInput into an instant. A string without an offset is wall time in `zone` (the
 * trigger's zone, as APScheduler does), so '2025-01-01 09:00:00' means 09:00 where the job
 * lives, not where the server happens to run. Anything that is not a real instant inside the
 * Date range (month 13, 02-30, hour 25, a time without a date, 1.5 ms) is refused.
 */
export function parseDate(field: string, value: unknown, zone: string): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new InvalidTriggerError(field, value, ALLOWED);
    return new Date(value.getTime());
  }
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new InvalidTriggerError(field, value, `${ALLOWED_MS}; it is not a whole number of ms`);
    if (Math.abs(value) > MAX_DATE_MS) throw new InvalidTriggerError(field, value, `${ALLOWED_MS}; ${OUT_OF_RANGE}`);
    return new Date(value);
  }
  if (typeof value === 'string') {
    const instant = instantOf(value.trim(), zone);
    if (typeof instant === 'number') return new Date(instant);
    throw new InvalidTriggerError(field, value, instant ? `${ALLOWED}; ${instant}` : ALLOWED);
  }
  throw new InvalidTriggerError(field, value, ALLOWED);
}

/** Parses an optional DateInput; undefined and null mean "not given". */
export function parseOptionalDate(field: string, value: unknown, zone: string): Date | null {
  return value === undefined || value === null ? null : parseDate(field, value, zone);
}

/** The instant (epoch ms) a string means, or why it means none ('' when there is nothing more to say). */
function instantOf(text: string, zone: string): number | string {
  // The form toJSON() writes, read back from a store on every claim: Date.parse is exact for
  // it, and the round trip refuses what Date would roll over (02-30 -> 03-02).
  if (UTC_ISO.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms) && new Date(ms).toISOString() === text) return ms;
  }
  const m = DATE_TIME.exec(text);
  if (m) return fromParts(m, zone);
  if (STARTS_WITH_YEAR.test(text)) {
    let parsed = DateTime.fromISO(text, { zone });
    if (!parsed.isValid && /^\d{4}-\d{2}-\d{2}/.test(text)) parsed = DateTime.fromSQL(text, { zone });
    if (parsed.isValid) return inRange(parsed.toMillis());
    if (!TIME_ONLY.test(text)) return parsed.invalidExplanation ?? '';
  }
  if (TIME_ONLY.test(text)) return 'a time alone has no date (it would silently mean today): give the date too';
  return '';
}

function fromParts(m: RegExpExecArray, zone: string): number | string {
  const [, yearText, monthText, dayText, hourText, minuteText, secondText, fraction, offsetText] = m;
  const year = Number(yearText);
  const month = Number(monthText);
  const day = Number(dayText);
  const hour = hourText === undefined ? 0 : Number(hourText);
  const minute = minuteText === undefined ? 0 : Number(minuteText);
  const second = secondText === undefined ? 0 : Number(secondText);
  // Digits past the millisecond are dropped, as luxon does.
  const ms = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12) return `month ${month} does not exist (1-12)`;
  if (day < 1 || day > daysInMonth(year, month)) return `${yearText}-${monthText} has no day ${day}`;
  // ISO-8601's 24:00 is the midnight that ends the day.
  const endOfDay = hour === 24 && minute === 0 && second === 0 && !/[1-9]/.test(fraction ?? '');
  if (hour > 23 && !endOfDay) return `hour ${hour} does not exist (0-23)`;
  if (minute > 59) return `minute ${minute} does not exist (0-59)`;
  if (second > 59) return `second ${second} does not exist (0-59)`;
  const wall = daysFromCivil(year, month, day) * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000 + ms;
  if (offsetText === undefined) return inRange(wallTimeToInstant(zone, wall));
  if (offsetText.toUpperCase() === 'Z') return inRange(wall);
  const offsetHours = Number(offsetText.slice(1, 3));
  const offsetMinutes = offsetText.length > 3 ? Number(offsetText.slice(-2)) : 0;
  if (offsetHours > 23 || offsetMinutes > 59) return `offset ${offsetText} does not exist (-23:59 to +23:59)`;
  const offset = (offsetText[0] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  return inRange(wall - offset);
}

function inRange(ms: number): number | string {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? ms : OUT_OF_RANGE;
}
