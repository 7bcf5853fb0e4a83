import { createTrigger } from '../../lib/triggers/create-trigger.js';
import type { Trigger, TriggerSpec } from '../../lib/triggers/trigger.js';
import { runIfMain, type ChildResult, type MetricDefinition, type ScenarioDefinition } from '../support/scenario.js';

const MEASURE_MS = Number(process.env.BENCH_CRON_MS ?? 200);
const WARMUP_MS = 50;
const ZONES = ['UTC', 'America/New_York'] as const;
/**
 * The walk restarts from START when it passes HORIZON: a scheduler computes fire times near the
 * present, and our zone tables are built once per zone and UTC year (~1-2 ms each, see
 * ZoneOffsets), which the warm-up pays for the years walked here.
 */
const START = Date.parse('2025-03-01T00:00:00Z');
const HORIZON = Date.parse('2035-03-01T00:00:00Z');

interface Case {
  id: string;
  label: string;
  /** Ours: a crontab string or an APScheduler-style field spec (without timezone). */
  ours: string | Record<string, unknown>;
  /** The same schedule as a crontab string for the peers. */
  crontab: string;
}

const CASES: Case[] = [
  { id: 'weekdays', label: '`0 30 6 * * 1-5`', ours: '0 30 6 * * 1-5', crontab: '0 30 6 * * 1-5' },
  { id: 'every5s', label: '`*/5 * * * * *`', ours: '*/5 * * * * *', crontab: '*/5 * * * * *' },
  { id: 'lastDay', label: '`0 0 12 L * *`', ours: '0 0 12 L * *', crontab: '0 0 12 L * *' },
  { id: 'leapDay', label: '`0 0 0 29 2 *`', ours: '0 0 0 29 2 *', crontab: '0 0 0 29 2 *' },
  {
    id: 'lastFri',
    label: "fields `{ day: 'last fri', hour: 9 }` (peers: `0 0 9 * * 5L`)",
    ours: { type: 'cron', day: 'last fri', hour: 9 },
    crontab: '0 0 9 * * 5L',
  },
];

/** Correctness only (not timed): schedules whose wall times DST skips or repeats in New York. */
const DST_CASES: Case[] = [
  { id: 'dst0230', label: '`0 30 2 * * *`', ours: '0 30 2 * * *', crontab: '0 30 2 * * *' },
  { id: 'dst0130', label: '`0 30 1 * * *`', ours: '0 30 1 * * *', crontab: '0 30 1 * * *' },
  { id: 'dst15m', label: '`0 */15 * * * *`', ours: '0 */15 * * * *', crontab: '0 */15 * * * *' },
];

/** A walker yields successive fire times (epoch ms) from START, or null when the schedule ends. */
interface Walker {
  reset(): void;
  next(): number | null;
}

function oursWalker(c: Case, timezone: string, start = START): Walker {
  const spec = (typeof c.ours === 'string' ? { type: 'cron', expression: c.ours, timezone } : { ...c.ours, timezone }) as TriggerSpec;
  const trigger: Trigger = createTrigger(spec, { timezone });
  const now = new Date(start);
  let prev: Date | null = null;
  return {
    reset: () => void (prev = null),
    next: () => {
      prev = trigger.getNextFireTime(prev, now);
      return prev === null ? null : prev.getTime();
    },
  };
}

async function cronParserWalker(c: Case, timezone: string, start = START): Promise<Walker> {
  const { CronExpressionParser } = await import('cron-parser');
  const interval = CronExpressionParser.parse(c.crontab, { currentDate: new Date(start), tz: timezone });
  return {
    reset: () => interval.reset(new Date(start)),
    next: () => {
      try {
        return interval.next().getTime();
      } catch {
        return null; // out of range
      }
    },
  };
}

async function cronerWalker(c: Case, timezone: string, start = START): Promise<Walker> {
  const { Cron } = await import('croner');
  const cron = new Cron(c.crontab, { timezone, paused: true });
  let prev = new Date(start);
  return {
    reset: () => void (prev = new Date(start)),
    next: () => {
      const next = cron.nextRun(prev);
      if (next === null) return null;
      prev = next;
      return next.getTime();
    },
  };
}

/** Successive next() calls per second over MEASURE_MS, restarting the walk past HORIZON. */
function rate(walker: Walker): number {
  const spin = (ms: number) => {
    let calls = 0;
    const t0 = performance.now();
    let elapsed: number;
    do {
      for (let i = 0; i < 64; i++) {
        const next = walker.next();
        calls++;
        if (next === null || next > HORIZON) walker.reset();
      }
      elapsed = performance.now() - t0;
    } while (elapsed < ms);
    return (calls * 1000) / elapsed;
  };
  spin(WARMUP_MS);
  walker.reset();
  return spin(MEASURE_MS);
}

type WalkerFactory = (c: Case, timezone: string, start?: number) => Walker | Promise<Walker>;

const FACTORIES: Record<string, WalkerFactory> = {
  ours: oursWalker,
  peer: cronParserWalker,
  'peer-croner': cronerWalker,
};

function firstTimes(walker: Walker, n: number): (number | null)[] {
  walker.reset();
  const out: (number | null)[] = [];
  for (let i = 0; i < n; i++) {
    const next = walker.next();
    out.push(next);
    if (next === null) break;
  }
  return out;
}

/** Starts of the agreement check: before the spring-forward and the fall-back of 2025 in New York. */
const CHECK_STARTS = [START, Date.parse('2025-10-25T00:00:00Z')];
const CHECK_TIMES = 60;

/**
 * How many of the first fire times agree with each peer (ours child only, after the timing):
 * 60 from 2025-03-01 and 60 from 2025-10-25, so daily schedules cross both DST changes.
 */
async function agreement(info: Record<string, string>): Promise<void> {
  for (const c of [...CASES, ...DST_CASES]) {
    for (const zone of ZONES) {
      const mine = CHECK_STARTS.flatMap((start) => firstTimes(oursWalker(c, zone, start), CHECK_TIMES));
      const parts: string[] = [];
      for (const [peer, factory] of [
        ['cron-parser', cronParserWalker],
        ['croner', cronerWalker],
      ] as const) {
        const theirs: (number | null)[] = [];
        try {
          // The peers return fire times strictly after their start, ours at or after `now`: start them 1 s earlier.
          for (const start of CHECK_STARTS) theirs.push(...firstTimes(await factory(c, zone, start - 1000), CHECK_TIMES));
        } catch (err) {
          parts.push(`${peer}: n/a (${(err as Error).message})`);
          continue;
        }
        const same = mine.filter((t, i) => t === theirs[i]).length;
        const firstDiff = mine.findIndex((t, i) => t !== theirs[i]);
        parts.push(
          `${peer} ${same}/${mine.length}` +
            (firstDiff >= 0 ? ` (first difference: ours ${iso(mine[firstDiff])} vs ${iso(theirs[firstDiff])})` : ''),
        );
      }
      info[`agree ${c.label} ${zone}`] = parts.join('; ');
    }
  }
}

function iso(t: number | null | undefined): string {
  return t == null ? String(t) : new Date(t).toISOString();
}

async function run(variant: string): Promise<ChildResult> {
  const factory = FACTORIES[variant];
  const metrics: Record<string, number> = {};
  const info: Record<string, string> = {};
  for (const c of CASES) {
    for (const zone of ZONES) {
      try {
        metrics[`${c.id}@${zone}`] = rate(await factory(c, zone));
      } catch (err) {
        metrics[`${c.id}@${zone}`] = NaN;
        info[`${c.id}@${zone}`] = `error: ${(err as Error).message}`;
      }
    }
  }
  if (variant === 'ours') {
    await agreement(info);
  }
  return { metrics, info };
}

const metrics: MetricDefinition[] = CASES.flatMap((c) =>
  ZONES.map((zone) => ({ key: `${c.id}@${zone}`, label: `${c.label} ${zone}`, unit: 'next/s', better: 'higher' as const, digits: 0 })),
);

export const scenario: ScenarioDefinition = {
  name: 'cron-next',
  title: 'Cron next-fire-time computations per second',
  order: 50,
  description:
    `Successive next fire times walked forward from 2025-03-01T00:00Z (restarting past 2035-03-01, i.e. near the present, as a scheduler computes them), ${MEASURE_MS} ms per ` +
    `expression and zone after a ${WARMUP_MS} ms warm-up, in UTC and America/New_York (DST). Ours: ` +
    `\`createTrigger(spec).getNextFireTime(prev, now)\`. cron-parser: \`CronExpressionParser.parse(expr, { currentDate, tz })\` ` +
    `then \`.next()\` repeatedly. croner: \`new Cron(expr, { timezone, paused: true }).nextRun(prev)\`. Each returns a Date. ` +
    `Parsing is done once, outside the timing. Higher is better; no target (the design budget is ~1 µs, i.e. ~1,000,000/s).`,
  variants: [
    { id: 'ours', role: 'ours', label: 'ours (CronTrigger)' },
    { id: 'peer', role: 'peer', label: 'cron-parser' },
    { id: 'peer-croner', role: 'peer', label: 'croner' },
  ],
  metrics,
  timeoutMs: 60_000,
  run,
};

runIfMain(import.meta.url, scenario);
