import { IANAZone } from 'luxon';
import { InvalidTriggerError } from '../core/errors.js';
import { MAX_DATE_MS } from './cron/calendar.js';
import { MAX_OFFSET, MIN_OFFSET } from './cron/zone-offsets.js';
import type { TriggerDefaults } from './trigger.js';

/** The zone of this process, used when neither the trigger nor the defaults name one. */
export function processTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * The trigger's own zone, else the defaults' zone, else the process zone. The result is stored
 * in toJSON so a trigger keeps its zone when it is read back by a process in another zone.
 */
export function resolveTimezone(timezone: unknown, defaults?: TriggerDefaults): string {
  const zone = timezone ?? defaults?.timezone ?? processTimezone();
  if (typeof zone === 'string' && validZones.has(zone)) return zone;
  if (typeof zone !== 'string' || zone === '' || !IANAZone.isValidZone(zone)) {
    throw new InvalidTriggerError('timezone', zone, 'allowed: an IANA time zone name such as "Europe/London" or "UTC"');
  }
  validZones.add(zone);
  return zone;
}

/** luxon checks a zone by building an Intl.DateTimeFormat, ~40 µs; there are only a few hundred zones. */
const validZones = new Set<string>();

/**
 * The instant of a wall time (ms since 1970 read as UTC) in `zone`. A wall time the clock skips
 * is shifted forward by the gap (02:30 -> 03:30, as luxon and the cron rules do); one the clock
 * shows twice is its first occurrence, whatever the season is now (luxon's pick depends on it).
 */
export function wallTimeToInstant(zone: string, wall: number): number {
  const z = IANAZone.create(zone);
  // Probes are kept inside the Date range, so a wall time near its ends still resolves.
  const offset = (ms: number): number => z.offset(Math.min(Math.max(ms, -MAX_DATE_MS), MAX_DATE_MS)) * 60_000;
  // Every instant whose wall time can be `wall` lies in [wall - MAX_OFFSET, wall - MIN_OFFSET].
  const before = offset(wall - MAX_OFFSET);
  const after = offset(wall - MIN_OFFSET);
  if (before === after) return wall - before;
  const early = wall - before;
  const late = wall - after;
  const earlyReal = offset(early) === before;
  const lateReal = offset(late) === after;
  if (earlyReal && lateReal) return Math.min(early, late);
  if (lateReal) return late;
  // Real before the change, or in a gap: shifted forward by the gap, i.e. read with the old offset.
  return early;
}
