import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { InvalidTriggerError } from '../../../lib/core/errors.js';
import { IntervalTrigger } from '../../../lib/triggers/interval.trigger.js';
import { fireTimes } from './helpers.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');

describe('IntervalTrigger', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('fires on the grid startDate + k * interval', () => {
    const t = new IntervalTrigger({ minutes: 10, startDate: '2025-06-01T11:03:00Z', timezone: 'UTC' });
    expect(fireTimes(t, NOW, 3)).toEqual(['2025-06-01T12:03:00.000Z', '2025-06-01T12:13:00.000Z', '2025-06-01T12:23:00.000Z']);
    // now exactly on a grid point: that point (at or after now)
    expect(t.getNextFireTime(null, new Date('2025-06-01T12:13:00Z'))?.toISOString()).toBe('2025-06-01T12:13:00.000Z');
    // before the start: the start
    expect(t.getNextFireTime(null, new Date('2025-01-01T00:00:00Z'))?.toISOString()).toBe('2025-06-01T11:03:00.000Z');
  });

  it('sums every unit', () => {
    const t = new IntervalTrigger({ weeks: 1, days: 1, hours: 1, minutes: 1, seconds: 1, milliseconds: 1, startDate: 0 });
    expect(t.interval).toBe(604_800_000 + 86_400_000 + 3_600_000 + 60_000 + 1_000 + 1);
  });

  it('with previous, returns the next grid point after it even when that is before now', () => {
    const t = new IntervalTrigger({ hours: 1, startDate: '2025-06-01T00:00:00Z', timezone: 'UTC' });
    expect(t.getNextFireTime(new Date('2025-06-01T03:00:00Z'), NOW)?.toISOString()).toBe('2025-06-01T04:00:00.000Z');
    // a previous time off the grid (jittered) maps back onto the grid
    expect(t.getNextFireTime(new Date('2025-06-01T03:00:07.250Z'), NOW)?.toISOString()).toBe('2025-06-01T04:00:00.000Z');
  });

  it('without startDate, first fires one interval after defaults.now, and toJSON keeps that start', () => {
    const t = new IntervalTrigger({ seconds: 30 }, { now: NOW, timezone: 'Europe/Madrid' });
    expect(t.getNextFireTime(null, NOW)?.toISOString()).toBe('2025-06-01T12:00:30.000Z');
    expect(t.toJSON()).toEqual({
      type: 'interval',
      seconds: 30,
      startDate: '2025-06-01T12:00:30.000Z',
      timezone: 'Europe/Madrid',
    });
    expect(String(t)).toBe('interval[seconds=30]');
  });

  it('ignores DST: 24 hours stay 24 real hours', () => {
    const t = new IntervalTrigger({ days: 1, startDate: '2025-03-08 09:00:00', timezone: 'America/New_York' });
    expect(fireTimes(t, '2025-03-08T00:00:00Z', 3)).toEqual([
      '2025-03-08T14:00:00.000Z',
      '2025-03-09T14:00:00.000Z',
      '2025-03-10T14:00:00.000Z',
    ]);
  });

  it('stops after endDate (inclusive)', () => {
    const t = new IntervalTrigger({
      minutes: 1,
      startDate: '2025-06-01T12:00:00Z',
      endDate: '2025-06-01T12:02:00Z',
      timezone: 'UTC',
    });
    expect(fireTimes(t, NOW, 10)).toEqual(['2025-06-01T12:00:00.000Z', '2025-06-01T12:01:00.000Z', '2025-06-01T12:02:00.000Z']);
    expect(t.getNextFireTime(null, new Date('2025-06-01T12:02:00.001Z'))).toBeNull();
  });

  it('jitter stays within 0..jitter, never drifts, never passes endDate', () => {
    const t = new IntervalTrigger({
      minutes: 1,
      jitter: 5000,
      startDate: '2025-06-01T12:00:00Z',
      endDate: '2025-06-01T12:10:02Z',
      timezone: 'UTC',
    });
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.999999);
    const times = fireTimes(t, NOW, 20).map((iso) => new Date(iso).getTime());
    const start = Date.parse('2025-06-01T12:00:00Z');
    expect(times).toHaveLength(11);
    times.slice(0, 10).forEach((time, k) => expect(time).toBe(start + k * 60_000 + 5000));
    expect(times[10]).toBe(Date.parse('2025-06-01T12:10:02Z')); // clamped to endDate
    random.mockReturnValue(0);
    expect(t.getNextFireTime(new Date(times[3]), NOW)?.getTime()).toBe(start + 4 * 60_000);
  });

  it.each([
    [{ minutes: -1 }, 'minutes', '-1'],
    [{ hours: Number.NaN }, 'hours', 'NaN'],
    [{ seconds: '5' }, 'seconds', '"5"'],
    [{ days: Number.POSITIVE_INFINITY }, 'days', 'Infinity'],
    [{}, 'interval', '\\{\\}'],
    [{ minutes: 0 }, 'interval', '\\{"minutes":0\\}'],
    [{ minutes: 1, jitter: -5 }, 'jitter', '-5'],
    [{ minutes: 1, startDate: 'soon' }, 'startDate', '"soon"'],
    [{ minutes: 1, endDate: 'later' }, 'endDate', '"later"'],
    [{ minutes: 1, startDate: '2025-01-02T00:00:00Z', endDate: '2025-01-01T00:00:00Z' }, 'endDate', '"2025-01-01T00:00:00Z"'],
    [{ minutes: 1, timezone: 'Europe/Atlantis' }, 'timezone', '"Europe/Atlantis"'],
    [{ minute: 5 }, 'minute', '5'],
    [{ minutes: 1, hour: 5 }, 'hour', '5'],
  ])('rejects %j naming field %s and its value', (spec, field, value) => {
    const make = (): IntervalTrigger => new IntervalTrigger(spec as never, { now: NOW });
    expect(make).toThrow(InvalidTriggerError);
    expect(make).toThrow(new RegExp(`^Invalid trigger field '${field}': ${value}; allowed`));
  });
});
