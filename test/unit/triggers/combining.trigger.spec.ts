import { describe, expect, it } from '@jest/globals';
import { InvalidTriggerError } from '../../../lib/core/errors.js';
import { AND_TRIGGER_MAX_STEPS, AndTrigger, OrTrigger } from '../../../lib/triggers/combining.trigger.js';
import { createTrigger } from '../../../lib/triggers/create-trigger.js';
import { CronTrigger } from '../../../lib/triggers/cron/cron.trigger.js';
import { DateTrigger } from '../../../lib/triggers/date.trigger.js';
import { IntervalTrigger } from '../../../lib/triggers/interval.trigger.js';
import { fireTimes } from './helpers.js';

const NOW = '2025-06-01T12:01:00Z';
const cron = (spec: object): CronTrigger => new CronTrigger({ timezone: 'UTC', ...spec });

describe('AndTrigger', () => {
  it('fires only when every trigger fires at the same instant', () => {
    const t = new AndTrigger([cron({ minute: '*/10' }), cron({ minute: '*/15' })]);
    expect(fireTimes(t, NOW, 3)).toEqual(['2025-06-01T12:30:00.000Z', '2025-06-01T13:00:00.000Z', '2025-06-01T13:30:00.000Z']);
  });

  it('mixes interval and cron', () => {
    const t = new AndTrigger([
      new IntervalTrigger({ hours: 3, startDate: '2025-06-01T00:00:00Z', timezone: 'UTC' }),
      cron({ hour: '*/2' }),
    ]);
    expect(fireTimes(t, '2025-06-01T01:00:00Z', 3)).toEqual([
      '2025-06-01T06:00:00.000Z',
      '2025-06-01T12:00:00.000Z',
      '2025-06-01T18:00:00.000Z',
    ]);
  });

  it('with a date trigger, fires at that date if the others agree, then finishes', () => {
    const t = new AndTrigger([new DateTrigger({ runDate: '2025-06-02T06:00:00Z' }), cron({ hour: 6 })]);
    expect(fireTimes(t, NOW, 3)).toEqual(['2025-06-02T06:00:00.000Z']);
  });

  it(`gives up (null) after ${AND_TRIGGER_MAX_STEPS} steps when the triggers never coincide`, () => {
    const t = new AndTrigger([cron({ dayOfWeek: 'mon', second: '*' }), cron({ dayOfWeek: 'tue', second: '*' })]);
    expect(t.getNextFireTime(null, new Date(NOW))).toBeNull();
  });

  it('applies its own jitter to the combined time', () => {
    const t = new AndTrigger([cron({ minute: 0 }), cron({ minute: '*/30' })], { jitter: 1000 });
    for (let i = 0; i < 20; i++) {
      const next = t.getNextFireTime(null, new Date(NOW))!.getTime();
      expect(next).toBeGreaterThanOrEqual(Date.parse('2025-06-01T13:00:00Z'));
      expect(next).toBeLessThanOrEqual(Date.parse('2025-06-01T13:00:01Z'));
    }
    expect(t.toJSON()).toMatchObject({ type: 'and', jitter: 1000 });
  });
});

describe('OrTrigger', () => {
  it('fires at the earliest of the triggers', () => {
    const t = new OrTrigger([cron({ hour: 6 }), cron({ hour: 18 }), new DateTrigger({ runDate: '2025-06-02T09:00:00Z' })]);
    expect(fireTimes(t, NOW, 5)).toEqual([
      '2025-06-01T18:00:00.000Z',
      '2025-06-02T06:00:00.000Z',
      '2025-06-02T09:00:00.000Z',
      '2025-06-02T18:00:00.000Z',
      '2025-06-03T06:00:00.000Z',
    ]);
  });

  it('is null when every trigger is finished', () => {
    const t = new OrTrigger([
      new DateTrigger({ runDate: '2025-06-01T13:00:00Z' }),
      new IntervalTrigger({ hours: 1, startDate: '2025-06-01T12:00:00Z', endDate: '2025-06-01T14:00:00Z' }),
    ]);
    expect(fireTimes(t, NOW, 10)).toEqual(['2025-06-01T13:00:00.000Z', '2025-06-01T14:00:00.000Z']);
  });

  it('prints its children', () => {
    expect(String(new OrTrigger([cron({ hour: 6 }), cron({ hour: 18 })]))).toBe(
      "or[cron[hour='6', timezone='UTC'], cron[hour='18', timezone='UTC']]",
    );
  });
});

describe('combining triggers: validation', () => {
  it.each<[unknown, string, string]>([
    [{ type: 'and', triggers: [] }, 'triggers', '\\[\\]'],
    [{ type: 'or' }, 'triggers', 'undefined'],
    [{ type: 'or', triggers: '0 * * * *' }, 'triggers', '"0 \\* \\* \\* \\*"'],
    [{ type: 'and', triggers: ['0 * * * *'], jitter: -1 }, 'jitter', '-1'],
    [{ type: 'and', triggers: ['0 * * * *'], timezone: 'UTC' }, 'timezone', '"UTC"'],
    [{ type: 'or', triggers: ['0 * * * *', { type: 'cron', hour: 30 }] }, 'hour', '30'],
    [{ type: 'or', triggers: [{ type: 'and', triggers: [{ type: 'interval', minutes: -1 }] }] }, 'minutes', '-1'],
  ])('%j -> field %s', (spec, field, value) => {
    const make = (): unknown => createTrigger(spec as never);
    expect(make).toThrow(InvalidTriggerError);
    expect(make).toThrow(new RegExp(`^Invalid trigger field '${field}': ${value}; allowed`));
  });

  it('the constructors check their inputs too', () => {
    expect(() => new AndTrigger([])).toThrow(/'triggers'/);
    expect(() => new OrTrigger([{} as never])).toThrow(/'triggers'/);
  });
});
