import { DateTime } from 'luxon';
import type { Trigger } from '../../../lib/triggers/trigger.js';

/** The first `count` fire times from `now`, each fed back as the previous one, as ISO instants. */
export function fireTimes(trigger: Trigger, now: string | Date, count: number): string[] {
  const at = typeof now === 'string' ? new Date(now) : now;
  const out: string[] = [];
  let previous: Date | null = null;
  for (let i = 0; i < count; i++) {
    previous = trigger.getNextFireTime(previous, at);
    if (previous === null) break;
    out.push(previous.toISOString());
  }
  return out;
}

/** Same, rendered as wall time with the zone's abbreviation/offset, e.g. '03-09 03:30:00 EDT'. */
export function wallTimes(trigger: Trigger, now: string, count: number, zone: string): string[] {
  return fireTimes(trigger, now, count).map((iso) => DateTime.fromISO(iso, { zone }).toFormat('yyyy-MM-dd HH:mm:ss ZZ'));
}
