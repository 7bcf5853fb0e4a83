import { describe, expect, it } from '@jest/globals';
import { describeTrigger } from '../../../lib/admin/views/trigger-text.js';
import { createTrigger } from '../../../lib/triggers/create-trigger.js';
import type { TriggerSpec } from '../../../lib/triggers/trigger.js';

/** Specs as a store keeps them: what createTrigger(...).toJSON() writes. */
const stored = (spec: TriggerSpec): TriggerSpec => createTrigger(spec, { timezone: 'UTC', now: new Date('2026-01-01T00:00:00Z') }).toJSON();

describe('describeTrigger: a trigger in words for the dashboard', () => {
  it.each<[TriggerSpec, string]>([
    [{ type: 'interval', minutes: 5 }, 'every 5 minutes'],
    [{ type: 'interval', hours: 1 }, 'every hour'],
    [{ type: 'interval', hours: 1, minutes: 30 }, 'every 1 hour 30 minutes'],
    [{ type: 'interval', seconds: 10, jitter: 500 }, 'every 10 seconds, up to 500 ms late (jitter)'],
    [{ type: 'interval', days: 1, endDate: '2026-06-01T00:00:00Z' }, 'every day until 2026-06-01T00:00:00Z'],
    [{ type: 'date', runDate: '2026-12-02T10:00:00Z' }, 'once at 2026-12-02T10:00:00Z'],
    [{ type: 'date', runDate: '2026-12-02T10:00:00.250Z' }, 'once at 2026-12-02T10:00:00.250Z'],
    [{ type: 'cron', hour: 9, minute: 0, dayOfWeek: 'mon-fri', timezone: 'Europe/Paris' }, 'at 09:00 on Monday–Friday (Europe/Paris)'],
    [{ type: 'cron', hour: 3 }, 'at 03:00 (UTC)'],
    [{ type: 'cron', minute: '*/15' }, 'every 15 minutes (UTC)'],
    [{ type: 'cron', month: 6 }, 'at 00:00 on day 1 of the month in June (UTC)'],
    ['0 9 * * 1-5', 'at 09:00 on Monday–Friday (UTC)'],
    ['*/5 * * * *', 'every 5 minutes (UTC)'],
    ['* * * * *', 'every minute (UTC)'],
    ['30 * * * *', 'every hour at minute 30 (UTC)'],
    ['0 */2 * * *', 'every 2 hours (UTC)'],
    ['15 8 1 * *', 'at 08:15 on day 1 of the month (UTC)'],
    ['0 18 * * sat,sun', 'at 18:00 on Saturday and Sunday (UTC)'],
    ['*/10 * * * * *', 'every 10 seconds (UTC)'],
    ['0 9 L * *', 'at 09:00 on the last day of the month (UTC)'],
    // No words for these: shown as written, never guessed.
    ['0 9 1-7 * 1', 'cron "0 9 1-7 * 1" (UTC)'],
    [{ type: 'cron', day: 'last fri', hour: 9 }, 'cron day=last fri, hour=9 (UTC)'],
    [
      {
        type: 'or',
        triggers: [
          { type: 'cron', hour: 9 },
          { type: 'interval', hours: 6 },
        ],
      },
      'when any fires: at 09:00 (UTC); every 6 hours',
    ],
  ])('%j -> %s', (spec, text) => {
    expect(describeTrigger(stored(spec))).toBe(text);
  });

  it('says "custom trigger" for a shape it does not know', () => {
    expect(describeTrigger({ kind: 'lunar' } as unknown as TriggerSpec)).toBe('custom trigger');
  });
});
