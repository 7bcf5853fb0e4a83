import { describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { InvalidTriggerError } from '../../../lib/core/errors.js';
import { createTrigger } from '../../../lib/triggers/create-trigger.js';
import { parseDate } from '../../../lib/triggers/parse-date.js';
import type { TriggerSpec } from '../../../lib/triggers/trigger.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const DEFAULTS = { timezone: 'UTC', now: NOW };

/** The error createTrigger throws for `spec`, or a failure naming what it did instead. */
function errorOf(spec: TriggerSpec): InvalidTriggerError {
  try {
    createTrigger(spec, DEFAULTS);
  } catch (error) {
    if (error instanceof InvalidTriggerError) return error;
    throw new Error(`threw ${(error as Error)?.name}: ${(error as Error)?.message}, not InvalidTriggerError`, { cause: error });
  }
  throw new Error(`accepted ${JSON.stringify(spec)}`);
}

describe('date inputs: impossible calendar values are InvalidTriggerError, never a RangeError', () => {
  it.each([
    ['2020-13-01T00:00:00Z', /month 13/],
    ['2020-00-10T00:00:00Z', /month 0/],
    ['2020-01-01T25:00:00Z', /hour 25/],
    ['2020-01-01T23:60:00Z', /minute 60/],
    ['2020-01-01T23:59:60Z', /second 60/],
    ['2031-02-30T00:00:00Z', /2031-02 has no day 30/],
    ['2023-02-29 10:00:00', /2023-02 has no day 29/],
    ['2020-01-01 25:00:00', /hour 25/],
    ['2020-01-32', /has no day 32/],
    ['2020-01-01T10:00:00+24:00', /offset/],
  ])('runDate %p', (runDate, reason) => {
    const error = errorOf({ type: 'date', runDate });
    expect(error.field).toBe('runDate');
    expect(error.value).toBe(runDate);
    expect(error.message.startsWith(`Invalid trigger field 'runDate': ${JSON.stringify(runDate)}; allowed: `)).toBe(true);
    expect(error.message).toMatch(reason);
  });

  it.each<[string, TriggerSpec]>([
    ['startDate', { type: 'interval', minutes: 5, startDate: '2020-13-01T00:00:00Z' }],
    ['endDate', { type: 'interval', minutes: 5, endDate: '2020-01-01T25:00:00Z' }],
    ['startDate', { type: 'cron', hour: 6, startDate: '2020-13-01T00:00:00Z' }],
    ['endDate', { type: 'cron', expression: '0 6 * * *', endDate: '2020-02-30 00:00:00' }],
    ['startDate', { type: 'or', triggers: [{ type: 'cron', hour: 1, startDate: '2020-01-01T24:30:00Z' }] }],
  ])('%s of %j', (field, spec) => {
    expect(errorOf(spec).field).toBe(field);
  });
});

describe('date inputs: a time without a date is refused (it would silently mean "today")', () => {
  it.each(['00:35:00', '00:35', '00:35:00Z', '00:35:00+02:00', '12', '003500', 'T00:35', '10:30:00.123'])('%p', (runDate) => {
    const error = errorOf({ type: 'date', runDate });
    expect(error.field).toBe('runDate');
    expect(error.message).toMatch(/a time alone|allowed: /);
  });
});

describe('date inputs: numbers are whole epoch milliseconds inside the Date range', () => {
  it.each([
    [1.5, /whole number of ms/],
    [1_700_000_000_000.25, /whole number of ms/],
    [8.64e15 + 1, /8640000000000000/],
    [-8.64e15 - 1, /8640000000000000/],
    [1e300, /8640000000000000/],
    [Number.MAX_SAFE_INTEGER, /8640000000000000/],
    [Number.NaN, /whole number of ms/],
    [Number.NEGATIVE_INFINITY, /whole number of ms/],
  ])('%p is refused', (runDate, reason) => {
    const error = errorOf({ type: 'date', runDate });
    expect(error.field).toBe('runDate');
    expect(error.message).toMatch(/^Invalid trigger field 'runDate': [^;]+; allowed: /);
    expect(error.message).toMatch(reason);
  });

  it('the ends of the Date range are accepted', () => {
    expect(parseDate('runDate', 8.64e15, 'UTC').getTime()).toBe(8.64e15);
    expect(parseDate('runDate', -8.64e15, 'UTC').getTime()).toBe(-8.64e15);
    expect(parseDate('runDate', 0, 'UTC').getTime()).toBe(0);
  });

  it('an Invalid Date and strings outside the Date range are refused', () => {
    expect(errorOf({ type: 'date', runDate: new Date(Number.NaN) }).message).toMatch(/Invalid Date; allowed: /);
    expect(errorOf({ type: 'date', runDate: '+275760-09-13T00:00:00.001Z' }).message).toMatch(/range/);
    expect(errorOf({ type: 'interval', minutes: 1, startDate: '-271821-04-19T00:00:00Z' }).field).toBe('startDate');
  });
});

describe('date inputs: the valid forms keep working', () => {
  it.each<[string | number, string, string]>([
    ['2025-07-15', 'Asia/Tokyo', '2025-07-14T15:00:00.000Z'],
    ['2025-07-15 09:30:00', 'Europe/Paris', '2025-07-15T07:30:00.000Z'],
    ['2025-07-15 09:30', 'Europe/Paris', '2025-07-15T07:30:00.000Z'],
    ['2025-07-15T09:30:00', 'America/New_York', '2025-07-15T13:30:00.000Z'],
    ['2025-07-15T09:30', 'America/New_York', '2025-07-15T13:30:00.000Z'],
    ['2025-07-15T09:30:00.250', 'UTC', '2025-07-15T09:30:00.250Z'],
    ['2025-07-15T09:30:00.123456Z', 'Asia/Tokyo', '2025-07-15T09:30:00.123Z'],
    ['2025-07-15T09:30:00+02:00', 'America/New_York', '2025-07-15T07:30:00.000Z'],
    ['2025-07-15T09:30:00-0330', 'UTC', '2025-07-15T13:00:00.000Z'],
    ['2025-07-15T09:30:00Z', 'Asia/Kolkata', '2025-07-15T09:30:00.000Z'],
    ['  2025-07-15T09:30:00Z  ', 'UTC', '2025-07-15T09:30:00.000Z'],
    ['2024-02-29T00:00:00Z', 'UTC', '2024-02-29T00:00:00.000Z'],
    ['2025-07-15T24:00:00Z', 'UTC', '2025-07-16T00:00:00.000Z'],
    ['+010000-01-01T00:00:00Z', 'UTC', '+010000-01-01T00:00:00.000Z'],
    ['1969-12-31T23:59:59Z', 'UTC', '1969-12-31T23:59:59.000Z'],
    // Other ISO-8601 forms that begin with their date (read by luxon)
    ['20250715', 'UTC', '2025-07-15T00:00:00.000Z'],
    ['2025-W29-2', 'UTC', '2025-07-15T00:00:00.000Z'],
    ['2025-196', 'UTC', '2025-07-15T00:00:00.000Z'],
    ['2025-07-15T0930', 'UTC', '2025-07-15T09:30:00.000Z'],
    [1_752_571_800_000, 'UTC', '2025-07-15T09:30:00.000Z'],
  ])('%p in %s', (input, zone, expected) => {
    expect(parseDate('runDate', input, zone).toISOString()).toBe(expected);
  });

  it('a wall time the clock skips is shifted forward by the gap; a repeated one is its first occurrence', () => {
    expect(parseDate('startDate', '2025-03-09 02:30:00', 'America/New_York').toISOString()).toBe('2025-03-09T07:30:00.000Z');
    expect(parseDate('startDate', '2024-10-06 02:15:00', 'Australia/Lord_Howe').toISOString()).toBe('2024-10-05T15:45:00.000Z');
    // 01:30 happens twice on 2025-11-02 in New York (EDT, then EST): the first, whatever the season now.
    expect(parseDate('startDate', '2025-11-02 01:30:00', 'America/New_York').toISOString()).toBe('2025-11-02T05:30:00.000Z');
    expect(parseDate('startDate', '2025-10-26T02:30:00', 'Europe/Paris').toISOString()).toBe('2025-10-26T00:30:00.000Z');
  });
});

describe('date inputs: wall times agree with luxon', () => {
  it('on 3,000 random wall times across zones with and without DST (the first pass where a time repeats)', () => {
    const zones = ['America/New_York', 'Europe/Paris', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Santiago', 'Pacific/Apia', 'UTC'];
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
    for (let i = 0; i < 3000; i++) {
      const zone = zones[i % zones.length];
      const text = `${1970 + random(70)}-${pad(1 + random(12))}-${pad(1 + random(28))} ${pad(random(24))}:${pad(random(60))}:${pad(random(60))}`;
      const ours = parseDate('startDate', text, zone).getTime();
      const theirs = DateTime.fromSQL(text, { zone });
      // luxon picks either pass of a repeated wall time (by the offset now); both read back as `text`.
      const wall = DateTime.fromMillis(ours, { zone }).toFormat('yyyy-MM-dd HH:mm:ss');
      if (wall === text) {
        expect(ours).toBeLessThanOrEqual(theirs.toMillis());
        const seenEarlier = [1_800_000, 3_600_000].some(
          (back) => DateTime.fromMillis(ours - back, { zone }).toFormat('yyyy-MM-dd HH:mm:ss') === text,
        );
        expect(`${text} ${zone}: ${seenEarlier ? 'not the first pass' : 'ok'}`).toBe(`${text} ${zone}: ok`);
      } else {
        // A wall time the clock skips: as luxon, shifted forward by the gap.
        expect(`${text} ${zone} ${ours}`).toBe(`${text} ${zone} ${theirs.toMillis()}`);
      }
    }
  });
});
