import { IANAZone } from 'luxon';
import { InvalidTriggerError } from '../core/errors.js';
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
