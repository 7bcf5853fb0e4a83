import { describe, expect, it } from '@jest/globals';
import { InvalidTriggerError } from '../../../lib/core/errors.js';
import { assertTriggerFires } from '../../../lib/triggers/assert-fires.js';
import { AND_TRIGGER_MAX_STEPS, AndTrigger } from '../../../lib/triggers/combining.trigger.js';
import { createTrigger } from '../../../lib/triggers/create-trigger.js';
import type { Trigger, TriggerSpec } from '../../../lib/triggers/trigger.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const make = (spec: TriggerSpec): Trigger => createTrigger(spec, { timezone: 'UTC', now: NOW });

/** The error assertTriggerFires throws, checked for its field and value. */
function refusal(spec: TriggerSpec): InvalidTriggerError {
  const trigger = make(spec);
  try {
    assertTriggerFires(trigger, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidTriggerError);
    const e = error as InvalidTriggerError;
    expect(e.field).toBe('trigger');
    expect(e.value).toEqual(trigger.toJSON());
    return e;
  }
  throw new Error(`${String(trigger)} was accepted`);
}

/** Average ms of one getNextFireTime(null, NOW) over `runs` calls on fresh triggers. */
function averageMs(spec: TriggerSpec, runs = 10): number {
  let total = 0;
  for (let i = 0; i < runs; i++) {
    const trigger = make(spec);
    const start = performance.now();
    expect(trigger.getNextFireTime(null, NOW)).toBeNull();
    total += performance.now() - start;
  }
  return total / runs;
}

describe('triggers that can never fire: getNextFireTime is null after a small, bounded amount of work', () => {
  it.each<[string, TriggerSpec]>([
    ['February 30', { type: 'cron', month: 2, day: 30 }],
    ['day 31 in 30-day months', { type: 'cron', month: '4,6,9,11', day: 31 }],
    ['years all past', { type: 'cron', year: 2020 }],
    ['29 February in years that are never leap', { type: 'cron', year: '*/4', month: 2, day: 29 }],
    ['the 5th Monday that is a Tuesday', { type: 'cron', day: '5th mon', dayOfWeek: 'tue' }],
    ['ISO week 53 in June', { type: 'cron', week: 53, month: 6 }],
    ['ISO week 1 on the 15th', { type: 'cron', week: 1, day: 15 }],
    ['a last Friday that is the 1st', { type: 'cron', day: 'last fri', dayOfWeek: 'mon' }],
    ['cron endDate past', { type: 'cron', hour: 1, endDate: '2020-01-01T00:00:00Z' }],
    ['interval endDate past', { type: 'interval', hours: 1, startDate: '2019-01-01T00:00:00Z', endDate: '2020-01-01T00:00:00Z' }],
    [
      'and of a never-firing part',
      {
        type: 'and',
        triggers: [
          { type: 'cron', month: 2, day: 30 },
          { type: 'cron', hour: 2 },
        ],
      },
    ],
  ])('%s', (_name, spec) => {
    averageMs(spec, 1); // warm up
    // Before the matcher learnt which years can never match, these took 3-400 ms (ISO week 1 on
    // the 15th walked every month of 8,000 years); now well under a millisecond outside Jest.
    expect(averageMs(spec)).toBeLessThan(100);
  });

  it('an and whose parts never coincide gives up after a bounded search', () => {
    const spec: TriggerSpec = {
      type: 'and',
      triggers: [
        { type: 'cron', hour: 1 },
        { type: 'cron', hour: 2 },
      ],
    };
    expect(make(spec).getNextFireTime(null, NOW)).toBeNull();
    expect(averageMs(spec, 3)).toBeLessThan(1000);
  });

  it('an and asks its parts a bounded number of times, whatever a custom part answers', () => {
    let calls = 0;
    // A custom trigger firing every second whose first answer lags 999 s behind `now`, so each
    // step of the and walks it forward one second at a time.
    const lagging: Trigger = {
      getNextFireTime: (previous, now) => {
        calls++;
        return previous === null ? new Date(now.getTime() - 999_000) : new Date(previous.getTime() + 1000);
      },
      toJSON: () => ({ type: 'date', runDate: 0 }),
      toString: () => 'lagging',
    };
    const t = new AndTrigger([lagging, make({ type: 'cron', hour: 1 }), make({ type: 'cron', hour: 2 })]);
    expect(t.getNextFireTime(null, NOW)).toBeNull();
    expect(calls).toBeLessThanOrEqual(4 * AND_TRIGGER_MAX_STEPS);
  });
});

describe('assertTriggerFires', () => {
  it('accepts triggers that fire at or after now, and a date trigger in the past', () => {
    for (const spec of [
      '0 6 * * *',
      { type: 'cron', hour: 6, minute: 30 },
      { type: 'cron', year: 2025, month: 6, day: 1, hour: 12 }, // exactly now
      { type: 'cron', month: 2, day: 29 },
      { type: 'cron', expression: '0 0 31 2 1' }, // crontab: day 31 OR Monday
      { type: 'interval', minutes: 5 },
      { type: 'interval', hours: 1, startDate: '2019-01-01T00:00:00Z', endDate: '2025-06-01T12:00:00Z' },
      { type: 'date', runDate: '2030-01-01T00:00:00Z' },
      { type: 'date', runDate: '2020-01-01T00:00:00Z' },
      {
        type: 'and',
        triggers: [
          { type: 'cron', minute: '*/10' },
          { type: 'cron', minute: '*/15' },
        ],
      },
      { type: 'or', triggers: [{ type: 'cron', year: 2020 }, '0 6 * * *'] },
    ] as TriggerSpec[]) {
      expect(() => assertTriggerFires(make(spec), NOW)).not.toThrow();
    }
  });

  it.each<[TriggerSpec, RegExp]>([
    [{ type: 'cron', month: 2, day: 30 }, /; it never fires: February has no day 30$/],
    [{ type: 'cron', month: '4,6', day: 31 }, /; it never fires: April and June have no day 31$/],
    [{ type: 'cron', month: '4,6,9,11', day: '31' }, /; it never fires: April, June, September and November have no day 31$/],
    [{ type: 'cron', year: 2020 }, /; its years are all in the past \(the last is 2020\)$/],
    [{ type: 'cron', year: '2000-2024', hour: 5 }, /; its years are all in the past \(the last is 2024\)$/],
    [{ type: 'cron', hour: 1, endDate: '2020-01-01T00:00:00Z' }, /; its endDate 2020-01-01T00:00:00\.000Z is in the past$/],
    [
      { type: 'interval', hours: 1, startDate: '2019-01-01T00:00:00Z', endDate: '2020-01-01T00:00:00Z' },
      /; its endDate 2020-01-01T00:00:00\.000Z is in the past$/,
    ],
    [{ type: 'cron', year: '*/4', month: 2, day: 29 }, /; it never fires: no date matches all of its fields$/],
    [{ type: 'cron', day: '5th mon', dayOfWeek: 'tue' }, /; it never fires: no date matches all of its fields$/],
    [
      { type: 'cron', hour: 3, startDate: '2025-06-01T13:00:00Z', endDate: '2025-06-02T02:00:00Z' },
      /; it has no fire time between 2025-06-01T12:00:00\.000Z and its endDate 2025-06-02T02:00:00\.000Z$/,
    ],
    [
      {
        type: 'and',
        triggers: [
          { type: 'cron', hour: 1 },
          { type: 'cron', hour: 2 },
        ],
      },
      /; its triggers never fire at the same time/,
    ],
    [
      {
        type: 'and',
        triggers: [
          { type: 'cron', hour: 2 },
          { type: 'cron', month: 2, day: 30 },
        ],
      },
      /; its trigger cron\[month='2', day='30', timezone='UTC'\]: it never fires: February has no day 30$/,
    ],
    [
      {
        type: 'and',
        triggers: [
          { type: 'cron', hour: 2 },
          { type: 'date', runDate: '2020-01-01T00:00:00Z' },
        ],
      },
      /; its trigger date\[2020-01-01T00:00:00\.000Z UTC\] is in the past, so they never fire together again$/,
    ],
    [
      {
        type: 'or',
        triggers: [
          { type: 'cron', year: 2020 },
          { type: 'cron', hour: 1, endDate: '2021-01-01' },
        ],
      },
      /; none of its triggers fires: cron\[year='2020', timezone='UTC'\]: its years are all in the past \(the last is 2020\); cron\[hour='1', timezone='UTC'\]: its endDate 2021-01-01T00:00:00\.000Z is in the past$/,
    ],
  ])('%j', (spec, reason) => {
    const error = refusal(spec);
    expect(error.message).toMatch(/^Invalid trigger field 'trigger': \{/);
    expect(error.message).toMatch(reason);
  });

  it('says what it can for a custom trigger', () => {
    const ended: Trigger = { getNextFireTime: () => null, toJSON: () => ({ type: 'date', runDate: 0 }), toString: () => 'ended' };
    expect(() => assertTriggerFires(ended, NOW)).toThrow(
      `Invalid trigger field 'trigger': {"type":"date","runDate":0}; it has no fire time at or after 2025-06-01T12:00:00.000Z`,
    );
  });

  it('a stored trigger that has ended still compiles (createTrigger does not check)', () => {
    expect(() => make({ type: 'cron', hour: 1, endDate: '2020-01-01T00:00:00Z' })).not.toThrow();
    expect(() => make({ type: 'cron', year: 2020 })).not.toThrow();
  });
});
