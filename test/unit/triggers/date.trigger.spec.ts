import { describe, expect, it } from '@jest/globals';
import { InvalidTriggerError } from '../../../lib/core/errors.js';
import { DateTrigger } from '../../../lib/triggers/date.trigger.js';
import { parseDate } from '../../../lib/triggers/parse-date.js';
import { resolveTimezone } from '../../../lib/triggers/timezone.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');

describe('DateTrigger', () => {
  it('returns a future run date until it has fired, then null', () => {
    const t = new DateTrigger({ runDate: '2025-06-02T08:00:00Z', timezone: 'UTC' });
    const run = new Date('2025-06-02T08:00:00Z');
    expect(t.getNextFireTime(null, NOW)).toEqual(run);
    expect(t.getNextFireTime(new Date('2025-06-01T00:00:00Z'), NOW)).toEqual(run);
    expect(t.getNextFireTime(run, NOW)).toBeNull();
    expect(t.getNextFireTime(new Date('2025-06-03T00:00:00Z'), NOW)).toBeNull();
  });

  it('returns a past run date too, leaving the misfire decision to the scheduler', () => {
    const t = new DateTrigger({ runDate: '2020-01-01T00:00:00Z', timezone: 'UTC' });
    expect(t.getNextFireTime(null, NOW)).toEqual(new Date('2020-01-01T00:00:00Z'));
  });

  it('defaults the run date to defaults.now', () => {
    const t = new DateTrigger({}, { now: NOW, timezone: 'UTC' });
    expect(t.getNextFireTime(null, new Date('2030-01-01T00:00:00Z'))).toEqual(NOW);
  });

  it('reads a wall time without offset in the trigger zone, and an ISO offset as absolute', () => {
    expect(new DateTrigger({ runDate: '2025-01-15 09:30:00', timezone: 'Europe/Paris' }).runDate.toISOString()).toBe(
      '2025-01-15T08:30:00.000Z',
    );
    expect(new DateTrigger({ runDate: '2025-07-15T09:30:00', timezone: 'America/New_York' }).runDate.toISOString()).toBe(
      '2025-07-15T13:30:00.000Z',
    );
    expect(new DateTrigger({ runDate: '2025-07-15T09:30:00+02:00', timezone: 'America/New_York' }).runDate.toISOString()).toBe(
      '2025-07-15T07:30:00.000Z',
    );
    expect(new DateTrigger({ runDate: '2025-07-15', timezone: 'Asia/Tokyo' }).runDate.toISOString()).toBe('2025-07-14T15:00:00.000Z');
    expect(new DateTrigger({ runDate: 1_700_000_000_000, timezone: 'UTC' }).runDate.getTime()).toBe(1_700_000_000_000);
  });

  it('uses defaults.timezone for wall times, and serialises the resolved zone', () => {
    const t = new DateTrigger({ runDate: '2025-01-15 09:30:00' }, { timezone: 'Asia/Kolkata' });
    expect(t.toJSON()).toEqual({ type: 'date', runDate: '2025-01-15T04:00:00.000Z', timezone: 'Asia/Kolkata' });
    expect(String(t)).toBe('date[2025-01-15T09:30:00.000+05:30 Asia/Kolkata]');
  });

  it.each([
    ['not a date'],
    ['2025-13-01'],
    ['2025-02-30 10:00:00'],
    [''],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [new Date('nope')],
    [{}],
    [true],
  ])('rejects runDate %p naming the field', (runDate) => {
    expect(() => new DateTrigger({ runDate: runDate as never, timezone: 'UTC' })).toThrow(InvalidTriggerError);
    expect(() => new DateTrigger({ runDate: runDate as never, timezone: 'UTC' })).toThrow(/Invalid trigger field 'runDate'/);
  });

  it('names the value in the message', () => {
    expect(() => new DateTrigger({ runDate: 'tomorrow-ish', timezone: 'UTC' })).toThrow(/'runDate': "tomorrow-ish"; allowed: /);
  });

  it('rejects unknown fields and bad zones', () => {
    expect(() => new DateTrigger({ run_date: '2025-01-01' } as never)).toThrow(/Invalid trigger field 'run_date'/);
    expect(() => new DateTrigger({ timezone: 'Mars/Olympus' })).toThrow(/Invalid trigger field 'timezone': "Mars\/Olympus"/);
  });
});

describe('parseDate / resolveTimezone', () => {
  it('keeps the field name it was given in errors', () => {
    expect(() => parseDate('endDate', 'x', 'UTC')).toThrow(/'endDate'/);
  });

  it('shifts a wall time inside a DST gap forward', () => {
    expect(parseDate('startDate', '2025-03-09 02:30:00', 'America/New_York').toISOString()).toBe('2025-03-09T07:30:00.000Z');
  });

  it('resolves the zone: own, then defaults, then the process zone', () => {
    expect(resolveTimezone('Europe/Berlin', { timezone: 'UTC' })).toBe('Europe/Berlin');
    expect(resolveTimezone(undefined, { timezone: 'Asia/Tokyo' })).toBe('Asia/Tokyo');
    expect(resolveTimezone(undefined)).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(() => resolveTimezone(undefined, { timezone: 'Nowhere/Land' })).toThrow(/'timezone': "Nowhere\/Land"/);
    expect(() => resolveTimezone(42)).toThrow(/'timezone': 42/);
  });
});

describe('DateTrigger run dates in the UTC form toJSON writes', () => {
  it('reads them exactly and still refuses impossible dates', () => {
    const ok = new DateTrigger({ runDate: '2031-02-28T23:59:59.250Z' });
    expect(ok.getNextFireTime(null, new Date(0))!.toISOString()).toBe('2031-02-28T23:59:59.250Z');
    expect(() => new DateTrigger({ runDate: '2031-02-30T00:00:00Z' })).toThrow(/runDate.*2031-02-30/);
  });
});
