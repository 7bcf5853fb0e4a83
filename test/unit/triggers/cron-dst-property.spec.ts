import { describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { CronTrigger } from '../../../lib/triggers/cron/cron.trigger.js';
import { fireTimes } from './helpers.js';

/**
 * Every hour of 2024 in zones with 1-hour, 30-minute and no DST changes, compared with a
 * reference built the plain way: walk real time on a 15-minute grid, ask luxon for the wall
 * clock at each instant, and apply DESIGN.md's DST rules to what it sees.
 *
 * The grid is exact here because every offset change of these zones in 2024 happens on a
 * quarter hour and moves the clock by a multiple of 15 minutes, and every crontab below uses
 * minutes that are multiples of 15.
 */
const STEP = 15 * 60_000;
const YEAR_START = Date.parse('2024-01-01T00:00:00Z');
const YEAR_END = Date.parse('2025-01-01T00:00:00Z');
/** The reference covers a margin on both sides, so the last hours of the year have a next fire time. */
const FROM = YEAR_START - 3 * 86_400_000;
const TO = YEAR_END + 3 * 86_400_000;

interface Crontab {
  expression: string;
  minutes: readonly number[];
  /** null: every hour (the hour field is a wildcard). */
  hours: readonly number[] | null;
}

const CRONTABS: readonly Crontab[] = [
  { expression: '0 7 * * *', minutes: [0], hours: [7] },
  { expression: '30 2 * * *', minutes: [30], hours: [2] },
  { expression: '0 2 * * *', minutes: [0], hours: [2] },
  { expression: '30 1 * * *', minutes: [30], hours: [1] },
  { expression: '0 * * * *', minutes: [0], hours: null },
  { expression: '*/30 * * * *', minutes: [0, 30], hours: null },
];

const ZONES = ['America/New_York', 'Europe/Paris', 'Australia/Lord_Howe', 'Asia/Kolkata', 'UTC'] as const;

interface Sample {
  instant: number;
  /** Wall time as ms since 1970 read as UTC. */
  wall: number;
  minute: number;
  hour: number;
}

function samples(zone: string): Sample[] {
  const out: Sample[] = [];
  for (let instant = FROM; instant <= TO; instant += STEP) {
    const dt = DateTime.fromMillis(instant, { zone });
    const wall = Date.UTC(dt.year, dt.month - 1, dt.day, dt.hour, dt.minute);
    out.push({ instant, wall, minute: dt.minute, hour: dt.hour });
  }
  return out;
}

/**
 * DESIGN.md: a wall time the clock skips fires once, shifted forward by the gap; a wall time the
 * clock shows twice fires at its first occurrence only, unless every hour is allowed.
 */
function reference(zoneSamples: readonly Sample[], cron: Crontab): number[] {
  const matches = (hour: number, minute: number): boolean =>
    cron.minutes.includes(minute) && (cron.hours === null || cron.hours.includes(hour));
  const fires = new Set<number>();
  const seenWalls = new Set<number>();
  for (let i = 0; i < zoneSamples.length; i++) {
    const s = zoneSamples[i];
    if (matches(s.hour, s.minute) && (cron.hours === null || !seenWalls.has(s.wall))) fires.add(s.instant);
    seenWalls.add(s.wall);
    const next = zoneSamples[i + 1];
    // Spring forward: the wall times between this sample and the next one never show on the
    // clock; each fires at (its wall time - the offset before the gap).
    if (next && next.wall - s.wall > STEP) {
      for (let wall = s.wall + STEP; wall < next.wall; wall += STEP) {
        const d = new Date(wall);
        if (matches(d.getUTCHours(), d.getUTCMinutes())) fires.add(s.instant + (wall - s.wall));
      }
    }
  }
  return [...fires].sort((a, b) => a - b);
}

/** The first element of sorted `times` at or after `at`. */
function firstAtOrAfter(times: readonly number[], at: number): number | undefined {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < at) lo = mid + 1;
    else hi = mid;
  }
  return times[lo];
}

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

describe.each(ZONES)('cron DST property: every hour of 2024 in %s agrees with a luxon reference', (zone) => {
  const zoneSamples = samples(zone);

  it.each(CRONTABS.map((c) => [c.expression, c] as const))('%s', (_expression, cron) => {
    const expected = reference(zoneSamples, cron);
    for (const trigger of [
      new CronTrigger({ expression: cron.expression, timezone: zone }),
      // The field form defaults seconds to 0 and follows the same DST rules.
      new CronTrigger({
        minute: cron.minutes.join(','),
        hour: cron.hours === null ? '*' : cron.hours.join(','),
        timezone: zone,
      }),
    ]) {
      // "At or after now", now on every hour of the year (and on the half hour in between, so
      // a now inside a 30-minute gap or repeat of Lord Howe is covered too).
      const mismatches: string[] = [];
      for (let now = YEAR_START; now < YEAR_END; now += 30 * 60_000) {
        const ours = trigger.getNextFireTime(null, new Date(now))?.getTime();
        const want = firstAtOrAfter(expected, now);
        if (ours !== want) mismatches.push(`now ${iso(now)}: got ${iso(ours)}, want ${iso(want)}`);
        if (mismatches.length >= 5) break;
      }
      expect(mismatches).toEqual([]);

      // "After previous", walked one by one through the whole year.
      // (One past the end of the year, which the reference's margin still covers.)
      const want = expected.filter((t) => t >= YEAR_START && t < YEAR_END + 86_400_000);
      const walked = fireTimes(trigger, new Date(YEAR_START), want.length).map((s) => Date.parse(s));
      const firstDiff = want.findIndex((t, i) => t !== walked[i]);
      expect(firstDiff === -1 ? null : `${iso(walked[firstDiff])} instead of ${iso(want[firstDiff])}`).toBeNull();
    }
  });
});

describe('cron DST: a clock change two days ahead (the matcher looks one day either side)', () => {
  it("'0 7 * * *' in New York from 2024-03-08T13:00Z: 07:00 EST, then 07:00 EDT", () => {
    const t = new CronTrigger({ expression: '0 7 * * *', timezone: 'America/New_York' });
    expect(fireTimes(t, '2024-03-08T13:00:00Z', 3)).toEqual([
      '2024-03-09T12:00:00.000Z',
      '2024-03-10T11:00:00.000Z',
      '2024-03-11T11:00:00.000Z',
    ]);
    expect(t.getNextFireTime(null, new Date('2024-03-08T13:00:00Z'))?.toISOString()).toBe('2024-03-09T12:00:00.000Z');
  });

  it("'0 * * * *' in Paris does not skip 2024-03-30T00:00Z (01:00 CET, two days before the change)", () => {
    const t = new CronTrigger({ expression: '0 * * * *', timezone: 'Europe/Paris' });
    expect(fireTimes(t, '2024-03-29T22:30:00Z', 4)).toEqual([
      '2024-03-29T23:00:00.000Z',
      '2024-03-30T00:00:00.000Z',
      '2024-03-30T01:00:00.000Z',
      '2024-03-30T02:00:00.000Z',
    ]);
    expect(t.getNextFireTime(null, new Date('2024-03-29T23:00:01Z'))?.toISOString()).toBe('2024-03-30T00:00:00.000Z');
  });

  it('a fall-back two days ahead does not move a fixed time either', () => {
    // New York falls back on 2024-11-03 at 06:00Z; 01:30 EDT on 11-01 is 05:30Z.
    const t = new CronTrigger({ hour: 1, minute: 30, timezone: 'America/New_York' });
    expect(fireTimes(t, '2024-10-31T12:00:00Z', 4)).toEqual([
      '2024-11-01T05:30:00.000Z',
      '2024-11-02T05:30:00.000Z',
      '2024-11-03T05:30:00.000Z',
      '2024-11-04T06:30:00.000Z',
    ]);
  });
});
