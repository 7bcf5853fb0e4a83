import { describe, expect, it } from '@jest/globals';
import { InvalidTriggerError } from '../../../lib/core/errors.js';
import { CronTrigger } from '../../../lib/triggers/cron/cron.trigger.js';
import { withDefaults } from '../../../lib/triggers/cron/field.compiler.js';
import type { CronTriggerSpec } from '../../../lib/triggers/trigger.js';
import { fireTimes } from './helpers.js';

const NOW = '2025-06-01T12:00:00Z'; // a Sunday
const cron = (spec: Omit<CronTriggerSpec, 'type'>): CronTrigger => new CronTrigger({ timezone: 'UTC', ...spec });
const days = (spec: Omit<CronTriggerSpec, 'type'>, count: number, now = NOW): string[] =>
  fireTimes(cron(spec), now, count).map((iso) => iso.slice(0, 10));

describe('CronTrigger field form: defaulting (APScheduler)', () => {
  it('fills more significant fields with * and less significant ones with their minimum', () => {
    expect(withDefaults({ hour: 6, minute: 30 })).toEqual({
      year: '*',
      month: '*',
      day: '*',
      week: '*',
      dayOfWeek: '*',
      hour: 6,
      minute: 30,
      second: 0,
    });
    expect(withDefaults({ minute: '*/5' })).toMatchObject({ hour: '*', minute: '*/5', second: 0 });
    expect(withDefaults({ month: 6 })).toEqual({
      year: '*',
      month: 6,
      day: 1,
      week: '*',
      dayOfWeek: '*',
      hour: 0,
      minute: 0,
      second: 0,
    });
    expect(withDefaults({ dayOfWeek: 'mon' })).toMatchObject({ day: '*', week: '*', hour: 0, minute: 0, second: 0 });
    expect(withDefaults({})).toEqual({
      year: '*',
      month: '*',
      day: '*',
      week: '*',
      dayOfWeek: '*',
      hour: '*',
      minute: '*',
      second: '*',
    });
  });

  it('{hour: 6, minute: 30} fires daily at 06:30:00', () => {
    expect(fireTimes(cron({ hour: 6, minute: 30 }), NOW, 3)).toEqual([
      '2025-06-02T06:30:00.000Z',
      '2025-06-03T06:30:00.000Z',
      '2025-06-04T06:30:00.000Z',
    ]);
  });

  it('{minute: "*/5"} fires at second 0 every 5 minutes', () => {
    expect(fireTimes(cron({ minute: '*/5' }), '2025-06-01T12:01:30Z', 3)).toEqual([
      '2025-06-01T12:05:00.000Z',
      '2025-06-01T12:10:00.000Z',
      '2025-06-01T12:15:00.000Z',
    ]);
  });

  it('an empty spec fires every second', () => {
    expect(fireTimes(cron({}), '2025-06-01T12:00:00.200Z', 2)).toEqual(['2025-06-01T12:00:01.000Z', '2025-06-01T12:00:02.000Z']);
  });
});

describe('CronTrigger field form: grammar', () => {
  it('*/a, a-b/c, a/c, lists', () => {
    expect(fireTimes(cron({ second: '*/20' }), NOW, 3)).toEqual([
      '2025-06-01T12:00:00.000Z',
      '2025-06-01T12:00:20.000Z',
      '2025-06-01T12:00:40.000Z',
    ]);
    expect(fireTimes(cron({ hour: '9-17/4', minute: 0 }), '2025-06-01T00:00:00Z', 4).map((s) => s.slice(11, 16))).toEqual([
      '09:00',
      '13:00',
      '17:00',
      '09:00',
    ]);
    expect(fireTimes(cron({ minute: '50/5' }), NOW, 3).map((s) => s.slice(11, 16))).toEqual(['12:50', '12:55', '13:50']);
    expect(fireTimes(cron({ hour: '1,3,5-6', minute: 0 }), '2025-06-01T00:00:00Z', 5).map((s) => s.slice(11, 13))).toEqual([
      '01',
      '03',
      '05',
      '06',
      '01',
    ]);
  });

  it('month names, case-insensitive, and name ranges', () => {
    expect(days({ month: 'JAN,jul', day: 1 }, 3)).toEqual(['2025-07-01', '2026-01-01', '2026-07-01']);
    expect(days({ month: 'oct-dec', day: 15 }, 4)).toEqual(['2025-10-15', '2025-11-15', '2025-12-15', '2026-10-15']);
  });

  it('dayOfWeek: cron numbering (1 = Monday), 0 and 7 and sun are Sunday', () => {
    const sundays = ['2025-06-01', '2025-06-08', '2025-06-15'];
    expect(days({ dayOfWeek: 0, hour: 12 }, 3)).toEqual(sundays);
    expect(days({ dayOfWeek: 7, hour: 12 }, 3)).toEqual(sundays);
    expect(days({ dayOfWeek: 'sun', hour: 12 }, 3)).toEqual(sundays);
    expect(days({ dayOfWeek: 1, hour: 12 }, 2)).toEqual(['2025-06-02', '2025-06-09']);
    expect(days({ dayOfWeek: 'mon-fri', hour: 12 }, 6)).toEqual([
      '2025-06-02',
      '2025-06-03',
      '2025-06-04',
      '2025-06-05',
      '2025-06-06',
      '2025-06-09',
    ]);
    expect(days({ dayOfWeek: 'sat-sun', hour: 13 }, 3)).toEqual(['2025-06-01', '2025-06-07', '2025-06-08']);
    expect(days({ dayOfWeek: '5-7', hour: 13 }, 4)).toEqual(['2025-06-01', '2025-06-06', '2025-06-07', '2025-06-08']);
  });

  it("day 'last' is the last day of each month (leap years included)", () => {
    expect(days({ day: 'last' }, 4, '2024-01-15T00:00:00Z')).toEqual(['2024-01-31', '2024-02-29', '2024-03-31', '2024-04-30']);
    expect(days({ day: '1,last' }, 4, '2025-02-01T00:00:00Z')).toEqual(['2025-02-01', '2025-02-28', '2025-03-01', '2025-03-31']);
  });

  it("day 'last fri', '3rd fri', '5th mon'", () => {
    expect(days({ day: 'last fri' }, 3)).toEqual(['2025-06-27', '2025-07-25', '2025-08-29']);
    expect(days({ day: '3rd fri' }, 3)).toEqual(['2025-06-20', '2025-07-18', '2025-08-15']);
    expect(days({ day: '5th mon' }, 3)).toEqual(['2025-06-30', '2025-09-29', '2025-12-29']);
    expect(days({ day: '1st sun,last sat' }, 4)).toEqual(['2025-06-28', '2025-07-06', '2025-07-26', '2025-08-03']);
  });

  it('week is the ISO week, across year boundaries', () => {
    // ISO week 1 of 2026 starts on Monday 2025-12-29; 2026 has 53 weeks.
    expect(days({ week: 1, dayOfWeek: 'mon' }, 2)).toEqual(['2025-12-29', '2027-01-04']);
    expect(days({ week: 53, dayOfWeek: 'mon' }, 2)).toEqual(['2026-12-28', '2032-12-27']);
    expect(days({ week: '1', dayOfWeek: 'sun' }, 1)).toEqual(['2026-01-04']);
  });

  it('year bounds the schedule and finishes it', () => {
    expect(fireTimes(cron({ year: 2027, month: 3 }), NOW, 5)).toEqual(['2027-03-01T00:00:00.000Z']);
    expect(cron({ year: '2020-2024' }).getNextFireTime(null, new Date(NOW))).toBeNull();
    expect(days({ year: '2024-2040/4', month: 2, day: 29 }, 2)).toEqual(['2028-02-29', '2032-02-29']);
    // '*/4' counts from 1970, so it never lands on a leap year: no fire time at all
    expect(days({ year: '*/4', month: 2, day: 29 }, 2)).toEqual([]);
  });

  it('day AND dayOfWeek must both match (APScheduler, unlike crontab)', () => {
    expect(days({ day: 13, dayOfWeek: 'fri' }, 3)).toEqual(['2025-06-13', '2026-02-13', '2026-03-13']);
    expect(days({ day: '1-7', dayOfWeek: 'mon' }, 2)).toEqual(['2025-06-02', '2025-07-07']);
  });

  it('a schedule that can never match ends (null) instead of looping', () => {
    expect(cron({ month: 2, day: 30 }).getNextFireTime(null, new Date(NOW))).toBeNull();
  });

  it('toString lists the given fields', () => {
    expect(String(cron({ hour: 6, minute: 30 }))).toBe("cron[hour='6', minute='30', timezone='UTC']");
    expect(String(cron({ day: '3rd fri', dayOfWeek: '*' }))).toBe("cron[day='3rd fri', dayOfWeek='*', timezone='UTC']");
  });
});

describe('CronTrigger: now, previous, startDate, endDate, jitter', () => {
  it('rounds now up to a whole second; previous is exclusive even when jittered', () => {
    const t = cron({ second: '*' });
    expect(t.getNextFireTime(null, new Date('2025-06-01T12:00:00.001Z'))?.toISOString()).toBe('2025-06-01T12:00:01.000Z');
    expect(t.getNextFireTime(null, new Date('2025-06-01T12:00:01.000Z'))?.toISOString()).toBe('2025-06-01T12:00:01.000Z');
    const daily = cron({ hour: 6, minute: 30 });
    expect(daily.getNextFireTime(new Date('2025-06-02T06:30:00.700Z'), new Date(NOW))?.toISOString()).toBe('2025-06-03T06:30:00.000Z');
    // previous before now: the next after previous, not after now
    expect(daily.getNextFireTime(new Date('2025-05-01T06:30:00Z'), new Date(NOW))?.toISOString()).toBe('2025-05-02T06:30:00.000Z');
  });

  it('startDate and endDate bound the fire times', () => {
    const t = cron({
      hour: 6,
      minute: 30,
      startDate: '2025-06-10 00:00:00',
      endDate: '2025-06-12T06:30:00Z',
    });
    expect(fireTimes(t, NOW, 10)).toEqual(['2025-06-10T06:30:00.000Z', '2025-06-11T06:30:00.000Z', '2025-06-12T06:30:00.000Z']);
  });

  it('jitter adds 0..jitter ms but never passes endDate', () => {
    const t = cron({ minute: '*', jitter: 10_000, endDate: '2025-06-01T12:05:03Z' });
    for (let i = 0; i < 50; i++) {
      const next = t.getNextFireTime(new Date('2025-06-01T12:01:00Z'), new Date(NOW))!.getTime();
      expect(next).toBeGreaterThanOrEqual(Date.parse('2025-06-01T12:02:00Z'));
      expect(next).toBeLessThanOrEqual(Date.parse('2025-06-01T12:02:10Z'));
      const last = t.getNextFireTime(new Date('2025-06-01T12:04:00Z'), new Date(NOW))!.getTime();
      expect(last).toBeGreaterThanOrEqual(Date.parse('2025-06-01T12:05:00Z'));
      expect(last).toBeLessThanOrEqual(Date.parse('2025-06-01T12:05:03Z'));
    }
  });
});

describe('CronTrigger field form: validation', () => {
  it.each<[Record<string, unknown>, string, string]>([
    [{ hour: 25 }, 'hour', '25'],
    [{ hour: '24' }, 'hour', '"24"'],
    [{ hour: 1.5 }, 'hour', '1.5'],
    [{ hour: '*/0' }, 'hour', '"\\*/0"'],
    [{ hour: '5-3' }, 'hour', '"5-3"'],
    [{ hour: '' }, 'hour', '""'],
    [{ hour: '1,,2' }, 'hour', '"1,,2"'],
    [{ hour: true }, 'hour', 'true'],
    [{ minute: 60 }, 'minute', '60'],
    [{ second: -1 }, 'second', '-1'],
    [{ dayOfWeek: 8 }, 'dayOfWeek', '8'],
    [{ dayOfWeek: 'funday' }, 'dayOfWeek', '"funday"'],
    [{ dayOfWeek: '3rd fri' }, 'dayOfWeek', '"3rd fri"'],
    [{ month: 13 }, 'month', '13'],
    [{ month: 'foo' }, 'month', '"foo"'],
    [{ day: 0 }, 'day', '0'],
    [{ day: 32 }, 'day', '32'],
    [{ day: 'last xyz' }, 'day', '"last xyz"'],
    [{ day: '6th fri' }, 'day', '"6th fri"'],
    [{ day: 'mon' }, 'day', '"mon"'],
    [{ week: 54 }, 'week', '54'],
    [{ year: 1969 }, 'year', '1969'],
    [{ year: 10000 }, 'year', '10000'],
    [{ expression: '0 * * * *', hour: 5 }, 'hour', '5'],
    [{ hours: 5 }, 'hours', '5'],
    [{ days: 5 }, 'days', '5'],
    [{ hour: 5, jitter: -1 }, 'jitter', '-1'],
    [{ hour: 5, startDate: 'x' }, 'startDate', '"x"'],
    [{ hour: 5, startDate: '2025-02-01', endDate: '2025-01-01' }, 'endDate', '"2025-01-01"'],
    [{ hour: 5, timezone: 'Not/AZone' }, 'timezone', '"Not/AZone"'],
  ])('%j -> field %s', (spec, field, value) => {
    const make = (): CronTrigger => new CronTrigger({ timezone: 'UTC', ...spec } as never);
    expect(make).toThrow(InvalidTriggerError);
    expect(make).toThrow(new RegExp(`^Invalid trigger field '${field}': ${value}; allowed`));
  });

  it('says what is allowed', () => {
    expect(() => cron({ hour: 25 })).toThrow("Invalid trigger field 'hour': 25; allowed: 0-23");
    expect(() => cron({ dayOfWeek: 9 })).toThrow(/0 and 7 are Sunday/);
    expect(() => cron({ day: 'x' })).toThrow(/'last fri'|'last mon'/);
  });
});
