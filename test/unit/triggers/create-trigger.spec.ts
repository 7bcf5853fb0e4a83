import { describe, expect, it } from '@jest/globals';
import { InvalidTriggerError } from '../../../lib/core/errors.js';
import { AndTrigger, OrTrigger } from '../../../lib/triggers/combining.trigger.js';
import { createTrigger } from '../../../lib/triggers/create-trigger.js';
import { CronTrigger } from '../../../lib/triggers/cron/cron.trigger.js';
import { DateTrigger } from '../../../lib/triggers/date.trigger.js';
import { IntervalTrigger } from '../../../lib/triggers/interval.trigger.js';
import type { Trigger, TriggerSpec } from '../../../lib/triggers/trigger.js';
import { fireTimes } from './helpers.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const DEFAULTS = { timezone: 'America/Chicago', now: NOW };

describe('createTrigger', () => {
  it('builds each kind', () => {
    expect(createTrigger('30 6 * * 1-5', DEFAULTS)).toBeInstanceOf(CronTrigger);
    expect(createTrigger({ type: 'cron', hour: 6 }, DEFAULTS)).toBeInstanceOf(CronTrigger);
    expect(createTrigger({ type: 'date' }, DEFAULTS)).toBeInstanceOf(DateTrigger);
    expect(createTrigger({ type: 'interval', minutes: 1 }, DEFAULTS)).toBeInstanceOf(IntervalTrigger);
    expect(createTrigger({ type: 'and', triggers: ['* * * * *'] }, DEFAULTS)).toBeInstanceOf(AndTrigger);
    expect(createTrigger({ type: 'or', triggers: ['* * * * *'] }, DEFAULTS)).toBeInstanceOf(OrTrigger);
  });

  it('returns a Trigger object as it is', () => {
    const custom: Trigger = {
      getNextFireTime: () => null,
      toJSON: () => ({ type: 'date', runDate: 0 }),
      toString: () => 'custom',
    };
    expect(createTrigger(custom)).toBe(custom);
    const cron = new CronTrigger({ hour: 1 });
    expect(createTrigger(cron)).toBe(cron);
  });

  it('passes the defaults to nested specs', () => {
    const t = createTrigger({ type: 'or', triggers: ['0 9 * * *', { type: 'interval', hours: 1 }] }, DEFAULTS) as OrTrigger;
    expect(t.toJSON().triggers).toEqual([
      { type: 'cron', expression: '0 9 * * *', timezone: 'America/Chicago' },
      { type: 'interval', hours: 1, startDate: '2025-06-01T13:00:00.000Z', timezone: 'America/Chicago' },
    ]);
  });

  it.each<[unknown, string, string]>([
    [null, 'trigger', 'null'],
    [42, 'trigger', '42'],
    [undefined, 'trigger', 'undefined'],
    [[], 'trigger', '\\[\\]'],
    [{}, 'type', 'undefined'],
    [{ type: 'weekly' }, 'type', '"weekly"'],
    [{ type: 'cron', hour: 6, hours: 7 }, 'hours', '7'],
    ['not a cron', 'expression', '"not a cron"'],
  ])('%p -> field %s', (spec, field, value) => {
    const make = (): Trigger => createTrigger(spec as TriggerSpec);
    expect(make).toThrow(InvalidTriggerError);
    expect(make).toThrow(new RegExp(`^Invalid trigger field '${field}': ${value}; allowed`));
  });
});

describe('toJSON round-trips through JSON', () => {
  const specs: [string, TriggerSpec][] = [
    ['date', { type: 'date', runDate: '2025-07-01 08:00:00', timezone: 'Europe/Berlin' }],
    ['date, defaulted', { type: 'date' }],
    ['interval', { type: 'interval', hours: 1, minutes: 30, jitter: 0, endDate: '2026-01-01' }],
    ['interval with start', { type: 'interval', weeks: 2, startDate: '2025-01-06 09:00:00', timezone: 'Asia/Tokyo' }],
    ['crontab string', '*/5 9-17 * * mon-fri'],
    ['crontab spec', { type: 'cron', expression: '0 0 L * *', timezone: 'Australia/Sydney' }],
    ['cron fields', { type: 'cron', day: '3rd fri', hour: '6,18', startDate: '2025-07-01', endDate: 1_900_000_000_000 }],
    ['cron fields, numbers', { type: 'cron', year: '2025-2030', month: 6, dayOfWeek: 7, week: '*/2', second: 30 }],
    ['and', { type: 'and', triggers: ['0 */2 * * *', { type: 'interval', hours: 3, startDate: '2025-06-01T00:00:00Z' }] }],
    [
      'or',
      {
        type: 'or',
        triggers: [
          { type: 'cron', hour: 6 },
          { type: 'date', runDate: '2025-06-03T10:00:00Z' },
        ],
      },
    ],
  ];

  it.each(specs)('%s', (_name, spec) => {
    const original = createTrigger(spec, DEFAULTS);
    const json = original.toJSON();
    const copy = createTrigger(JSON.parse(JSON.stringify(json)) as TriggerSpec);
    expect(copy.toJSON()).toEqual(json);
    expect(String(copy)).toBe(String(original));
    expect(fireTimes(copy, NOW, 20)).toEqual(fireTimes(original, NOW, 20));
    expect(fireTimes(original, NOW, 1)).toHaveLength(1);
    // Only plain JSON values: strings, numbers, arrays and objects.
    const plain = (v: unknown): boolean =>
      typeof v === 'string' ||
      typeof v === 'number' ||
      (Array.isArray(v) && v.every(plain)) ||
      (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype && Object.values(v).every(plain));
    expect(plain(json)).toBe(true);
  });

  it('keeps the resolved timezone, so another process in another zone reads the same schedule', () => {
    const json = createTrigger('0 9 * * *', { timezone: 'Asia/Kolkata' }).toJSON();
    expect(json).toEqual({ type: 'cron', expression: '0 9 * * *', timezone: 'Asia/Kolkata' });
    const elsewhere = createTrigger(json as TriggerSpec, { timezone: 'America/Los_Angeles' });
    expect(elsewhere.getNextFireTime(null, NOW)?.toISOString()).toBe('2025-06-02T03:30:00.000Z');
  });
});
