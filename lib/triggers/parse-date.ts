import { DateTime } from 'luxon';
import { InvalidTriggerError } from '../core/errors.js';

const UTC_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

const ALLOWED =
  'allowed: a valid Date, finite epoch milliseconds, an ISO-8601 string, "YYYY-MM-DD HH:mm:ss" or "YYYY-MM-DD"';

/**
 * Turns a DateInput into an instant. A string without an offset is wall time in `zone` (the
 * trigger's zone, as APScheduler does), so '2025-01-01 09:00:00' means 09:00 where the job
 * lives, not where the server happens to run.
 */
export function parseDate(field: string, value: unknown, zone: string): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new InvalidTriggerError(field, value, ALLOWED);
    return new Date(value.getTime());
  }
  if (typeof value === 'number') {
    const date = new Date(value);
    if (!Number.isFinite(value) || Number.isNaN(date.getTime())) throw new InvalidTriggerError(field, value, ALLOWED);
    return date;
  }
  if (typeof value === 'string') {
    // The form toJSON() writes, read back from a store on every claim: no need for luxon.
    if (UTC_ISO.test(value)) {
      const date = new Date(value);
      // Date rolls 02-30 over into March; luxon below refuses it, so only a round trip counts.
      if (date.toISOString().slice(0, 19) === value.slice(0, 19)) return date;
    }
    const text = value.trim();
    // fromISO keeps an explicit offset/Z absolute and reads a bare wall time in `zone`;
    // fromSQL covers the space-separated 'YYYY-MM-DD HH:mm:ss' form.
    let parsed = DateTime.fromISO(text, { zone });
    if (!parsed.isValid) parsed = DateTime.fromSQL(text, { zone });
    if (text !== '' && parsed.isValid) return parsed.toJSDate();
  }
  throw new InvalidTriggerError(field, value, ALLOWED);
}

/** Parses an optional DateInput; undefined and null mean "not given". */
export function parseOptionalDate(field: string, value: unknown, zone: string): Date | null {
  return value === undefined || value === null ? null : parseDate(field, value, zone);
}
