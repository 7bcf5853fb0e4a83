import { describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { civilFromDays, daysFromCivil, isoWeek, weekdayOfDays } from '../../../lib/triggers/cron/calendar.js';
import { CronMatcher } from '../../../lib/triggers/cron/cron-matcher.js';
import { compileCrontab } from '../../../lib/triggers/cron/crontab.compiler.js';
import { ZoneOffsets } from '../../../lib/triggers/cron/zone-offsets.js';

describe('calendar arithmetic', () => {
  it('agrees with luxon on day numbers, weekdays and ISO weeks from 1969 to 2101', () => {
    for (let days = daysFromCivil(1969, 12, 1); days <= daysFromCivil(2101, 1, 31); days += 3) {
      const dt = DateTime.fromMillis(days * 86_400_000, { zone: 'UTC' });
      const [y, m, d] = civilFromDays(days);
      expect([y, m, d]).toEqual([dt.year, dt.month, dt.day]);
      expect(daysFromCivil(y, m, d)).toBe(days);
      expect(weekdayOfDays(days)).toBe(dt.weekday % 7);
      expect(isoWeek(y, m, d)).toBe(dt.weekNumber);
    }
  });
});

describe('ZoneOffsets', () => {
  it('finds the exact transitions of a year', () => {
    const ny = ZoneOffsets.for('America/New_York');
    const spring = Date.parse('2025-03-09T07:00:00Z');
    const fall = Date.parse('2025-11-02T06:00:00Z');
    expect(ny.offset(spring - 1)).toBe(-5 * 3_600_000);
    expect(ny.offset(spring)).toBe(-4 * 3_600_000);
    expect(ny.offset(fall - 1)).toBe(-4 * 3_600_000);
    expect(ny.offset(fall)).toBe(-5 * 3_600_000);
    expect(ny.firstAfter(spring - 3_600_000, 7_200_000)).toEqual({ at: spring, before: -18_000_000, after: -14_400_000 });
    expect(ny.lastAtOrBefore(fall + 60_000, 7_200_000)).toEqual({ at: fall, before: -14_400_000, after: -18_000_000 });
    expect(ny.lastAtOrBefore(fall + 3 * 3_600_000, 7_200_000)).toBeNull();
  });

  it('handles half-hour offsets and zones without DST', () => {
    expect(ZoneOffsets.for('Asia/Kolkata').offset(Date.parse('2025-06-01T00:00:00Z'))).toBe(5.5 * 3_600_000);
    expect(ZoneOffsets.for('UTC').firstAfter(Date.parse('2025-06-01T00:00:00Z'), 400 * 86_400_000)).toBeNull();
  });

  it('agrees with luxon hour by hour across a year with DST', () => {
    const zone = ZoneOffsets.for('Europe/London');
    for (let ms = Date.parse('2024-01-01T00:00:00Z'); ms < Date.parse('2025-01-01T00:00:00Z'); ms += 3_600_000 - 1000) {
      expect(zone.offset(ms)).toBe(DateTime.fromMillis(ms, { zone: 'Europe/London' }).offset * 60_000);
    }
  });
});

describe('CronMatcher', () => {
  it('nextWall skips to the next allowed wall time on integers', () => {
    const m = new CronMatcher(compileCrontab('0 30 6 * * 1-5'), 'UTC');
    // Saturday 2025-06-07 07:00 -> Monday 06:30
    expect(new Date(m.nextWall(Date.parse('2025-06-07T07:00:00Z'))!).toISOString()).toBe('2025-06-09T06:30:00.000Z');
    // a sub-second start rounds up
    expect(new Date(m.nextWall(Date.parse('2025-06-09T06:29:59.500Z'))!).toISOString()).toBe('2025-06-09T06:30:00.000Z');
  });

  it('returns null past year 9999', () => {
    const m = new CronMatcher(compileCrontab('0 0 1 1 *'), 'UTC');
    expect(m.next(Date.parse('9999-06-01T00:00:00Z'))).toBeNull();
  });
});
