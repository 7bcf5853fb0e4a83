import { describe, expect, it } from '@jest/globals';
import { CronTrigger } from '../../../lib/triggers/cron/cron.trigger.js';
import type { CronTriggerSpec } from '../../../lib/triggers/trigger.js';
import { fireTimes, wallTimes } from './helpers.js';

// 2025 transitions:
//   America/New_York  spring 03-09 02:00 EST -> 03:00 EDT,  fall 11-02 02:00 EDT -> 01:00 EST
//   Europe/London     spring 03-30 01:00 GMT -> 02:00 BST,  fall 10-26 02:00 BST -> 01:00 GMT
//   Australia/Sydney  fall 04-06 03:00 AEDT -> 02:00 AEST,  spring 10-05 02:00 AEST -> 03:00 AEDT
const NY = 'America/New_York';
const LONDON = 'Europe/London';
const SYDNEY = 'Australia/Sydney';

const trigger = (spec: string | Omit<CronTriggerSpec, 'type'>, timezone: string): CronTrigger =>
  new CronTrigger(typeof spec === 'string' ? { expression: spec, timezone } : { ...spec, timezone });

/** Real time between consecutive fire times, in ms. */
function gaps(t: CronTrigger, now: string, count: number): number[] {
  const times = fireTimes(t, now, count).map((iso) => Date.parse(iso));
  return times.slice(1).map((time, i) => time - times[i]);
}

describe('cron across DST: a skipped wall time fires once, shifted forward by the gap', () => {
  it.each<[string, string | Omit<CronTriggerSpec, 'type'>]>([
    ['crontab', '30 2 * * *'],
    ['fields', { hour: 2, minute: 30 }],
  ])('daily 02:30 in New York (%s)', (_form, spec) => {
    expect(wallTimes(trigger(spec, NY), '2025-03-07T12:00:00Z', 3, NY)).toEqual([
      '2025-03-08 02:30:00 -05:00',
      '2025-03-09 03:30:00 -04:00',
      '2025-03-10 02:30:00 -04:00',
    ]);
  });

  it('daily 01:30 in London', () => {
    expect(wallTimes(trigger('30 1 * * *', LONDON), '2025-03-29T12:00:00Z', 3, LONDON)).toEqual([
      '2025-03-30 02:30:00 +01:00',
      '2025-03-31 01:30:00 +01:00',
      '2025-04-01 01:30:00 +01:00',
    ]);
  });

  it('daily 02:30 in Sydney', () => {
    expect(wallTimes(trigger('30 2 * * *', SYDNEY), '2025-10-04T00:00:00Z', 3, SYDNEY)).toEqual([
      '2025-10-05 03:30:00 +11:00',
      '2025-10-06 02:30:00 +11:00',
      '2025-10-07 02:30:00 +11:00',
    ]);
  });

  it('minute and second granularity inside the skipped hour', () => {
    expect(wallTimes(trigger('*/15 2 * * *', NY), '2025-03-09T06:00:00Z', 5, NY)).toEqual([
      '2025-03-09 03:00:00 -04:00',
      '2025-03-09 03:15:00 -04:00',
      '2025-03-09 03:30:00 -04:00',
      '2025-03-09 03:45:00 -04:00',
      '2025-03-10 02:00:00 -04:00',
    ]);
    expect(wallTimes(trigger('*/20 30 1 * * *', LONDON), '2025-03-30T00:00:00Z', 4, LONDON)).toEqual([
      '2025-03-30 02:30:00 +01:00',
      '2025-03-30 02:30:20 +01:00',
      '2025-03-30 02:30:40 +01:00',
      '2025-03-31 01:30:00 +01:00',
    ]);
  });

  it('a shifted time still ahead of now is not lost when now is already past the gap', () => {
    // now = 03:10 EDT: the 02:30 run (shifted to 03:30) has not happened yet
    expect(wallTimes(trigger('30 2 * * *', NY), '2025-03-09T07:10:00Z', 2, NY)).toEqual([
      '2025-03-09 03:30:00 -04:00',
      '2025-03-10 02:30:00 -04:00',
    ]);
  });
});

describe('cron across DST: a repeated wall time fires at its first occurrence only', () => {
  it('daily 01:30 in New York', () => {
    expect(wallTimes(trigger('30 1 * * *', NY), '2025-10-31T12:00:00Z', 4, NY)).toEqual([
      '2025-11-01 01:30:00 -04:00',
      '2025-11-02 01:30:00 -04:00',
      '2025-11-03 01:30:00 -05:00',
      '2025-11-04 01:30:00 -05:00',
    ]);
  });

  it('daily 01:30 in London (fields form)', () => {
    expect(wallTimes(trigger({ hour: 1, minute: 30 }, LONDON), '2025-10-25T12:00:00Z', 2, LONDON)).toEqual([
      '2025-10-26 01:30:00 +01:00',
      '2025-10-27 01:30:00 +00:00',
    ]);
  });

  it('daily 02:30 in Sydney', () => {
    expect(wallTimes(trigger('30 2 * * *', SYDNEY), '2025-04-04T00:00:00Z', 3, SYDNEY)).toEqual([
      '2025-04-05 02:30:00 +11:00',
      '2025-04-06 02:30:00 +11:00',
      '2025-04-07 02:30:00 +10:00',
    ]);
  });

  it('minute granularity with a fixed hour: the repeated minutes do not fire again', () => {
    expect(wallTimes(trigger('*/15 1 * * *', NY), '2025-11-02T04:00:00Z', 5, NY)).toEqual([
      '2025-11-02 01:00:00 -04:00',
      '2025-11-02 01:15:00 -04:00',
      '2025-11-02 01:30:00 -04:00',
      '2025-11-02 01:45:00 -04:00',
      '2025-11-03 01:00:00 -05:00',
    ]);
    expect(wallTimes(trigger('0 1-2 * * *', NY), '2025-11-02T04:00:00Z', 3, NY)).toEqual([
      '2025-11-02 01:00:00 -04:00',
      '2025-11-02 02:00:00 -05:00',
      '2025-11-03 01:00:00 -05:00',
    ]);
  });

  it('now inside the second pass: the fixed-hour run already happened', () => {
    expect(wallTimes(trigger('30 1 * * *', NY), '2025-11-02T06:10:00Z', 1, NY)).toEqual(['2025-11-03 01:30:00 -05:00']);
  });
});

describe('cron across DST: with every hour allowed, both passes fire and the rhythm is real time', () => {
  it('*/30 * * * * keeps firing every 30 real minutes in New York', () => {
    expect(wallTimes(trigger('*/30 * * * *', NY), '2025-11-02T04:00:00Z', 8, NY)).toEqual([
      '2025-11-02 00:00:00 -04:00',
      '2025-11-02 00:30:00 -04:00',
      '2025-11-02 01:00:00 -04:00',
      '2025-11-02 01:30:00 -04:00',
      '2025-11-02 01:00:00 -05:00',
      '2025-11-02 01:30:00 -05:00',
      '2025-11-02 02:00:00 -05:00',
      '2025-11-02 02:30:00 -05:00',
    ]);
    expect(gaps(trigger('*/30 * * * *', NY), '2025-03-08T20:00:00Z', 40)).toEqual(Array(39).fill(1_800_000));
    expect(gaps(trigger('*/30 * * * *', NY), '2025-11-01T20:00:00Z', 40)).toEqual(Array(39).fill(1_800_000));
  });

  it.each<[string, string | Omit<CronTriggerSpec, 'type'>, number]>([
    [LONDON, '*/15 * * * *', 900_000],
    [LONDON, { minute: '*/20' }, 1_200_000],
    [SYDNEY, '0 0-23 * * *', 3_600_000],
    [NY, '*/30 * * * * *', 30_000],
    [SYDNEY, '*/10 * * * * *', 10_000],
  ])('%s %j: constant real-time gaps through both transitions', (zone, spec, step) => {
    const around = {
      [NY]: ['2025-03-09T06:40:00Z', '2025-11-02T05:40:00Z'],
      [LONDON]: ['2025-03-30T00:00:00Z', '2025-10-26T00:00:00Z'],
      [SYDNEY]: ['2025-04-05T15:00:00Z', '2025-10-04T15:00:00Z'],
    }[zone]!;
    const count = Math.ceil((3 * 3_600_000) / step);
    for (const now of around) expect(gaps(trigger(spec, zone), now, count)).toEqual(Array(count - 1).fill(step));
  });

  it('now inside the first pass: the second pass of earlier minutes comes before later wall times', () => {
    expect(wallTimes(trigger('0,55 * * * *', NY), '2025-11-02T05:50:00Z', 4, NY)).toEqual([
      '2025-11-02 01:55:00 -04:00',
      '2025-11-02 01:00:00 -05:00',
      '2025-11-02 01:55:00 -05:00',
      '2025-11-02 02:00:00 -05:00',
    ]);
    expect(wallTimes(trigger('*/30 * * * *', NY), '2025-11-02T06:10:00Z', 2, NY)).toEqual([
      '2025-11-02 01:30:00 -05:00',
      '2025-11-02 02:00:00 -05:00',
    ]);
  });
});
