import { describe, expect, it } from '@jest/globals';
import { CronExpressionParser } from 'cron-parser';
import { InvalidTriggerError } from '../../../lib/core/errors.js';
import { CronTrigger } from '../../../lib/triggers/cron/cron.trigger.js';
import { fireTimes } from './helpers.js';

const NOW = '2025-06-01T12:00:00Z'; // a Sunday
const crontab = (expression: string, timezone = 'UTC'): CronTrigger => new CronTrigger({ expression, timezone });
const days = (expression: string, count: number, now = NOW): string[] =>
  fireTimes(crontab(expression), now, count).map((iso) => iso.slice(0, 10));

describe('CronTrigger crontab form', () => {
  it('5 fields: minute hour day month weekday', () => {
    expect(fireTimes(crontab('30 6 * * 1-5'), '2025-06-06T07:00:00Z', 3)).toEqual([
      '2025-06-09T06:30:00.000Z',
      '2025-06-10T06:30:00.000Z',
      '2025-06-11T06:30:00.000Z',
    ]);
  });

  it('6 fields: seconds first', () => {
    expect(fireTimes(crontab('*/15 * * * * *'), '2025-06-01T12:00:01Z', 3)).toEqual([
      '2025-06-01T12:00:15.000Z',
      '2025-06-01T12:00:30.000Z',
      '2025-06-01T12:00:45.000Z',
    ]);
    expect(fireTimes(crontab('0 30 6 * * 1-5'), '2025-06-06T07:00:00Z', 1)).toEqual(['2025-06-09T06:30:00.000Z']);
  });

  it('ranges, steps, lists and names', () => {
    expect(fireTimes(crontab('0,20-30/5 9-10 * * *'), '2025-06-01T00:00:00Z', 6).map((s) => s.slice(11, 16))).toEqual([
      '09:00',
      '09:20',
      '09:25',
      '09:30',
      '10:00',
      '10:20',
    ]);
    expect(days('0 0 1 jan,JUL *', 2)).toEqual(['2025-07-01', '2026-01-01']);
    expect(days('0 0 * * SAT,sun', 3)).toEqual(['2025-06-07', '2025-06-08', '2025-06-14']);
  });

  it('weekday 0 and 7 are both Sunday', () => {
    expect(days('0 0 * * 0', 2)).toEqual(['2025-06-08', '2025-06-15']);
    expect(days('0 0 * * 7', 2)).toEqual(['2025-06-08', '2025-06-15']);
  });

  it('L in day-of-month and in day-of-week, # in day-of-week', () => {
    expect(days('0 0 L * *', 3, '2024-01-15T00:00:00Z')).toEqual(['2024-01-31', '2024-02-29', '2024-03-31']);
    expect(days('0 0 15,L * *', 3)).toEqual(['2025-06-15', '2025-06-30', '2025-07-15']);
    expect(days('0 0 * * 5L', 3)).toEqual(['2025-06-27', '2025-07-25', '2025-08-29']);
    expect(days('0 0 * * 1#2', 3)).toEqual(['2025-06-09', '2025-07-14', '2025-08-11']);
    expect(days('0 0 * * 1#5', 2)).toEqual(['2025-06-30', '2025-09-29']);
  });

  it('day-of-month OR day-of-week when both are restricted (cron rule)', () => {
    expect(days('0 0 13 * 5', 7)).toEqual([
      '2025-06-06',
      '2025-06-13',
      '2025-06-20',
      '2025-06-27',
      '2025-07-04',
      '2025-07-11',
      '2025-07-13',
    ]);
    // '?' or '*' leaves a field unrestricted: only the other one counts
    expect(days('0 0 0 13 * ?', 2)).toEqual(['2025-06-13', '2025-07-13']);
    expect(days('0 0 0 ? * 5', 2)).toEqual(['2025-06-06', '2025-06-13']);
  });

  it('aliases', () => {
    expect(fireTimes(crontab('@daily'), NOW, 1)).toEqual(['2025-06-02T00:00:00.000Z']);
    expect(fireTimes(crontab('@hourly'), NOW, 2)).toEqual(['2025-06-01T12:00:00.000Z', '2025-06-01T13:00:00.000Z']);
    expect(fireTimes(crontab('@monthly'), NOW, 1)).toEqual(['2025-07-01T00:00:00.000Z']);
    expect(days('0 0 * * thu', 1)).toEqual(['2025-06-05']);
  });

  it('serialises as { type, expression, timezone } and prints the expression', () => {
    const t = new CronTrigger({ expression: ' 30 6 * * 1-5 ' }, { timezone: 'Europe/Paris' });
    expect(t.toJSON()).toEqual({ type: 'cron', expression: '30 6 * * 1-5', timezone: 'Europe/Paris' });
    expect(String(t)).toBe("cron['30 6 * * 1-5', timezone='Europe/Paris']");
    expect(CronTrigger.fromCrontab('0 0 * * *', 'UTC').toJSON()).toEqual({ type: 'cron', expression: '0 0 * * *', timezone: 'UTC' });
  });

  it.each([
    '',
    '   ',
    '* * * *',
    '* * * * * * *',
    '61 * * * *',
    '* 24 * * *',
    '* * 32 * *',
    '* * * 13 *',
    '* * * * 8',
    'foo',
    'H * * * *',
    '0 0 30 2 *',
    '0 0 * * 1#6',
    '0 0 * * L',
    '@reboot',
    '*/0 * * * *',
    '0 0 1W * *',
  ])('rejects %p with field expression', (expression) => {
    const make = (): CronTrigger => crontab(expression);
    expect(make).toThrow(InvalidTriggerError);
    expect(make).toThrow(`Invalid trigger field 'expression': ${JSON.stringify(expression)}; allowed: a crontab string`);
  });

  it('rejects a non-string expression', () => {
    expect(() => new CronTrigger({ expression: 5 as never })).toThrow(/^Invalid trigger field 'expression': 5; allowed/);
  });
});

describe('CronTrigger crontab form agrees with cron-parser', () => {
  // Zones without DST, so only the field logic is compared (DST rules are tested on their own).
  const cases: [string, string, number][] = [
    ['*/7 * * * *', 'UTC', 300],
    ['30 6 * * 1-5', 'UTC', 300],
    ['0 30 6 * * 1-5', 'Asia/Kolkata', 300],
    ['15,45 9-17/2 * * *', 'Asia/Tokyo', 300],
    ['0 0 1,15 * *', 'UTC', 300],
    ['0 12 * JAN,JUL MON', 'Asia/Kolkata', 300],
    ['0 0 L * *', 'UTC', 300],
    ['0 0 * * 5L', 'Asia/Tokyo', 300],
    ['0 0 * * 1#2', 'UTC', 300],
    ['0 0 13 * 5', 'UTC', 300],
    ['*/20 */5 */2 * * *', 'Asia/Kolkata', 300],
    ['5 4 */3 * sun,wed', 'UTC', 300],
    ['0 0 29 2 *', 'UTC', 30],
    ['0 5 4 ? * SAT', 'Asia/Tokyo', 300],
    ['0 0 * * 1/2', 'UTC', 300],
  ];

  it.each(cases)('%s in %s, %i fire times', (expression, tz, count) => {
    const start = new Date('2024-01-01T00:00:00Z');
    const ours = fireTimes(new CronTrigger({ expression, timezone: tz }), start, count + 1).slice(0, count + 1);
    // cron-parser's next() is strictly after currentDate; ours with null previous is "at or after".
    const first = ours[0] === start.toISOString() ? ours.slice(1) : ours.slice(0, count);
    const reference = CronExpressionParser.parse(expression, { currentDate: start, tz });
    const theirs = Array.from({ length: first.length }, () => reference.next().toISOString());
    expect(first).toHaveLength(count);
    expect(first).toEqual(theirs);
  });
});

describe('CronTrigger crontab form: the reason of a refusal', () => {
  it.each<[string, RegExp[]]>([
    ['61 * * * *', [/minute/, /61/, /0-59/]],
    ['* 24 * * *', [/hour/, /24/, /0-23/]],
    ['* * 32 * *', [/day of month/, /32/, /1-31/]],
    ['* * * 13 *', [/month/, /13/, /1-12/]],
    ['* * * * 8', [/day of week/, /8/, /0-7/]],
    ['70 * * * * *', [/second/, /70/, /0-59/]],
    ['0 1-70 * * *', [/hour/, /1-70/]],
    ['0 0 * * 1#6', [/day of week/, /#/]],
    ['*/0 * * * *', [/minute/, /every 0/]],
    ['0 0 30 2 *', [/day of month/i]],
    ['* * * *', [/4 fields/]],
    ['* * * * * * *', [/7 fields/]],
    ['H * * * *', [/H/]],
    ['@reboot', [/reboot/]],
    ['0 0 * * FRI-MON', [/day of week/, /5-1/]],
  ])('%p says why', (expression, reasons) => {
    const make = (): CronTrigger => crontab(expression);
    expect(make).toThrow(InvalidTriggerError);
    expect(make).toThrow(`Invalid trigger field 'expression': ${JSON.stringify(expression)}; allowed: a crontab string`);
    let message = '';
    try {
      make();
    } catch (error) {
      message = (error as Error).message;
    }
    const reason = message.slice(message.indexOf('aliases') + 'aliases'.length);
    for (const pattern of reasons) expect(reason).toMatch(pattern);
  });
});

describe('CronTrigger crontab form: overlapping lists and ranges ending on SUN, as the field form accepts', () => {
  it.each<[string, string]>([
    ['1 1 0-6,1,10 * * *', '1 1 0-6,10 * * *'],
    ['1-5,3 * * * *', '1-5 * * * *'],
    ['*/15,30 * * * *', '*/15 * * * *'],
    ['0 0 1-5,3 * *', '0 0 1-5 * *'],
    ['0 0 1 jan,1,JAN-MAR *', '0 0 1 1-3 *'],
    ['0 0 * * MON-SUN', '0 0 * * 0-6'],
    ['0 0 * * mon-sun', '0 0 * * 1-7'],
    ['0 0 * * SAT-SUN', '0 0 * * 0,6'],
    ['0 0 * * THU-SUN/2', '0 0 * * 4,6'],
    ['0 0 * * 7,0', '0 0 * * 0'],
    ['0 0 * * mon,1,1-2', '0 0 * * 1-2'],
    ['0 0 L,L,15 * *', '0 0 15,L * *'],
    ['0 0 13,13 * 5,FRI', '0 0 13 * 5'],
  ])('%p fires like %p', (overlapping, plain) => {
    expect(fireTimes(crontab(overlapping), NOW, 40)).toEqual(fireTimes(crontab(plain), NOW, 40));
  });

  it('keeps the expression as written', () => {
    expect(crontab('1 1 0-6,1,10 * * *').toJSON()).toEqual({ type: 'cron', expression: '1 1 0-6,1,10 * * *', timezone: 'UTC' });
  });

  it('still refuses what no list can fix', () => {
    for (const expression of ['0 0 30,30 2 *', '0 0 31,31 4,4 *', '1,61 * * * *', '0 0 * * 1#2,1']) {
      expect(() => crontab(expression)).toThrow(InvalidTriggerError);
    }
    // the day of week rescues an impossible day of month (cron's OR rule), as without duplicates
    expect(days('0 0 30,30 2 mon,1', 2)).toEqual(days('0 0 30 2 mon', 2));
  });
});
