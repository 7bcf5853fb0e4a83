import { describe, expect, it } from '@jest/globals';
import { InvalidTriggerError } from '../../../lib/core/errors.js';
import { createTrigger } from '../../../lib/triggers/create-trigger.js';
import { IntervalTrigger } from '../../../lib/triggers/interval.trigger.js';
import type { Trigger, TriggerSpec } from '../../../lib/triggers/trigger.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const DEFAULTS = { timezone: 'UTC', now: NOW };
const MAX_JITTER = 2 ** 31 - 1;

function errorOf(spec: TriggerSpec): InvalidTriggerError {
  try {
    createTrigger(spec, DEFAULTS);
  } catch (error) {
    if (error instanceof InvalidTriggerError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(spec)}`);
}

/** Every fire time a trigger gives in `count` steps is a valid Date. */
function assertValidFireTimes(trigger: Trigger, count: number): void {
  let previous: Date | null = null;
  for (let i = 0; i < count; i++) {
    previous = trigger.getNextFireTime(previous, NOW);
    if (previous === null) return;
    expect(Number.isNaN(previous.getTime())).toBe(false);
  }
}

const withJitter = (jitter: unknown): [string, TriggerSpec][] => [
  ['interval', { type: 'interval', minutes: 5, jitter } as TriggerSpec],
  ['cron fields', { type: 'cron', hour: 6, jitter } as TriggerSpec],
  ['crontab', { type: 'cron', expression: '0 6 * * *', jitter } as TriggerSpec],
  ['and', { type: 'and', triggers: ['0 6 * * *'], jitter } as TriggerSpec],
  ['or', { type: 'or', triggers: ['0 6 * * *'], jitter } as TriggerSpec],
];

describe('jitter: a finite number of ms in 0..2^31-1', () => {
  it.each([1e300, 2 ** 31, 1e12, Number.POSITIVE_INFINITY, Number.NaN, -1, '5', null].flatMap((j) => withJitter(j)))(
    '%s refuses jitter %j',
    (_kind, spec) => {
      const error = errorOf(spec);
      expect(error.field).toBe('jitter');
      expect(error.message).toMatch(/^Invalid trigger field 'jitter': [^;]+; allowed: /);
      expect(error.message).toContain(`0..${MAX_JITTER}`);
    },
  );

  it.each(withJitter(MAX_JITTER))('%s accepts the largest jitter, and every fire time is a valid Date', (_kind, spec) => {
    const trigger = createTrigger(spec, DEFAULTS);
    assertValidFireTimes(trigger, 5);
    expect(trigger.toJSON()).toMatchObject({ jitter: MAX_JITTER });
  });

  it('jitter near the end of the Date range never makes an Invalid Date', () => {
    const t = createTrigger({ type: 'interval', days: 1, startDate: 8.64e15 - 86_400_000 * 2, jitter: MAX_JITTER }, DEFAULTS);
    for (let i = 0; i < 20; i++) assertValidFireTimes(t, 5);
  });
});

describe('interval length: a whole number of ms, > 0, keeping fire times inside the Date range', () => {
  it.each<[Record<string, unknown>, string, RegExp]>([
    [{ milliseconds: 1.5 }, 'interval', /whole number of ms/],
    [{ seconds: 0.0015 }, 'interval', /whole number of ms/],
    [{ seconds: 0.0004 }, 'interval', /at least 1 ms|whole number/],
    [{ weeks: 1e9 }, 'interval', /Date range/],
    [{ days: 1e8 }, 'interval', /Date range/],
    [{ weeks: 1e300 }, 'interval', /Date range|finite/],
    [{ weeks: Number.MAX_VALUE, days: Number.MAX_VALUE }, 'interval', /Date range|finite/],
    [{ hours: Number.NaN }, 'hours', /finite number >= 0/],
    [{ days: Number.POSITIVE_INFINITY }, 'days', /finite number >= 0/],
    [{ milliseconds: -1 }, 'milliseconds', /finite number >= 0/],
    [{ minutes: 1, seconds: -30 }, 'seconds', /finite number >= 0/],
  ])('%j -> %s', (units, field, reason) => {
    const error = errorOf({ type: 'interval', ...units } as TriggerSpec);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(reason);
  });

  it('fractions of larger units that add up to whole ms are fine', () => {
    expect(new IntervalTrigger({ seconds: 1.5, startDate: 0 }).interval).toBe(1500);
    expect(new IntervalTrigger({ hours: 1 / 3, startDate: 0 }).interval).toBe(1_200_000);
    expect(new IntervalTrigger({ minutes: 0.1, startDate: 0 }).interval).toBe(6000);
    // 3960000.0000000005 and 1004.9999999999999 in floating point
    expect(new IntervalTrigger({ hours: 1.1, startDate: 0 }).interval).toBe(3_960_000);
    expect(new IntervalTrigger({ seconds: 1.005, startDate: 0 }).interval).toBe(1005);
  });

  it('an interval whose first fire time would leave the Date range is refused when it has no startDate', () => {
    expect(errorOf({ type: 'interval', days: 99_990_000 }).message).toMatch(/Date range/);
  });

  it('fire times past the end of the Date range end the trigger (null), never an Invalid Date', () => {
    const t = new IntervalTrigger({ days: 50_000_000, startDate: '2025-01-01T00:00:00Z', timezone: 'UTC' });
    expect(t.getNextFireTime(null, NOW)?.toISOString()).toBe('+138920-05-09T00:00:00.000Z');
    expect(t.getNextFireTime(null, new Date(8.6e15))).toBeNull();
    expect(t.getNextFireTime(new Date('+138920-05-09T00:00:00.000Z'), NOW)).toBeNull();
    assertValidFireTimes(t, 10);
  });
});

describe('fire times at the ends of the Date range', () => {
  it('a cron trigger asked from the last or first instant a Date can hold answers (it used to loop forever)', () => {
    for (const zone of ['America/New_York', 'UTC']) {
      const t = createTrigger({ type: 'cron', expression: '0 0 * * *', timezone: zone });
      expect(t.getNextFireTime(null, new Date(8.64e15))).toBeNull();
      expect(t.getNextFireTime(new Date(8.64e15 - 1000), NOW)).toBeNull();
      expect(t.getNextFireTime(null, new Date(-8.64e15))?.getTime()).toBe(
        Date.parse('1970-01-01T00:00:00Z') + (zone === 'UTC' ? 0 : 5 * 3_600_000),
      );
    }
  });
});
