import { createTrigger } from '../../lib/triggers/create-trigger.js';
import type { TriggerSpec } from '../../lib/triggers/trigger.js';
import { runIfMain, type ChildResult, type MetricDefinition, type ScenarioDefinition } from '../support/scenario.js';

const SPECS = Number(process.env.BENCH_COMPILE_SPECS ?? 10_000);
const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney'];
const NOW = new Date('2025-06-01T00:00:00Z');

/** A small deterministic PRNG, so every run compiles the same specs. */
function prng(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state % n;
  };
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Spec generators by kind; each call gives a different spec (the crontab cache sees few repeats). */
const KINDS: Record<string, { label: string; make: (i: number, r: (n: number) => number) => TriggerSpec }> = {
  fields: {
    label: "cron fields, e.g. `{ hour: 6, minute: 30, dayOfWeek: 'mon-fri' }`",
    make: (i, r) => {
      const spec: Record<string, unknown> = { type: 'cron', hour: r(24), minute: r(60), timezone: ZONES[i % ZONES.length] };
      if (i % 3 === 0) spec.dayOfWeek = ['mon-fri', 'sat,sun', 'mon', '*'][r(4)];
      if (i % 4 === 0) spec.second = `*/${1 + r(30)}`;
      if (i % 7 === 0) spec.day = ['last', '1st mon', '1-15', 'last fri'][r(4)];
      if (i % 11 === 0) spec.month = `${1 + r(6)}-${7 + r(6)}`;
      return spec as unknown as TriggerSpec;
    },
  },
  crontab: {
    label: 'crontab strings, all different, e.g. `7 3 6 * * 1-5`',
    make: (i, r) => ({
      type: 'cron',
      expression: `${i % 60} ${Math.floor(i / 60) % 60} ${r(24)} * * ${['*', '1-5', '0,6'][i % 3]}`,
      timezone: ZONES[i % ZONES.length],
    }),
  },
  interval: {
    label: "interval with a wall-time startDate, e.g. `{ minutes: 90, startDate: '2025-01-01 09:00:00' }`",
    make: (i, r) => ({
      type: 'interval',
      minutes: 1 + r(600),
      startDate: `2025-${pad(1 + r(12))}-${pad(1 + r(28))} ${pad(r(24))}:00:00`,
      timezone: ZONES[i % ZONES.length],
      jitter: r(1000),
    }),
  },
  dateWall: {
    label: "date, wall time in its zone, e.g. `'2026-03-14 09:00:00'`",
    make: (i, r) => ({
      type: 'date',
      runDate: `2026-${pad(1 + r(12))}-${pad(1 + r(28))} ${pad(r(24))}:${pad(r(60))}:00`,
      timezone: ZONES[i % ZONES.length],
    }),
  },
  dateIso: {
    label: "date, UTC ISO (what a store keeps), e.g. `'2026-03-14T08:00:00.000Z'`",
    make: (i, r) => ({ type: 'date', runDate: new Date(1.8e12 + r(1e9) * 1000).toISOString(), timezone: ZONES[i % ZONES.length] }),
  },
  and: {
    label: "and of two cron field specs, e.g. `{ hour: 6 }` and `{ minute: '*/15' }`",
    make: (_i, r) => ({
      type: 'and',
      triggers: [
        { type: 'cron', hour: r(24) },
        { type: 'cron', minute: `*/${1 + r(30)}` },
      ],
    }),
  },
};

async function run(): Promise<ChildResult> {
  const metrics: Record<string, number> = {};
  const info: Record<string, string | number> = { specsPerKind: SPECS };
  // The first compile of the process (zone validation, luxon and Intl set-up) on its own.
  const first = performance.now();
  createTrigger(KINDS.fields.make(0, prng(1)), { now: NOW });
  metrics.firstMs = performance.now() - first;
  for (const [kind, { make }] of Object.entries(KINDS)) {
    const r = prng(kind.length * 7919);
    const specs = Array.from({ length: SPECS }, (_, i) => make(i, r));
    const t0 = performance.now();
    for (const spec of specs) createTrigger(spec, { now: NOW, timezone: 'UTC' });
    metrics[kind] = ((performance.now() - t0) * 1000) / SPECS;
  }
  return { metrics, info };
}

const metrics: MetricDefinition[] = [
  { key: 'firstMs', label: 'first compile of the process', unit: 'ms', better: 'lower', digits: 1 },
  ...Object.entries(KINDS).map(([key, { label }]) => ({
    key,
    label,
    unit: 'µs/compile',
    better: 'lower' as const,
    digits: 1,
    // A field spec cost ~850 µs before the year field stopped being expanded value by value.
    ...(key === 'fields' ? { target: { text: '< 50 µs', lessThan: 50 } } : {}),
  })),
];

export const scenario: ScenarioDefinition = {
  name: 'trigger-compile',
  title: 'Compiling triggers (createTrigger) per kind',
  order: 55,
  description:
    `Mean cost of \`createTrigger(spec)\` over ${SPECS.toLocaleString('en')} different specs of each kind, in a fresh ` +
    'process, kinds one after another (so later kinds share the JIT warm-up of the code they have in common), ' +
    'plus the first compile of the process on its own. This is most of what `addJob` costs before the store. Lower is better.',
  variants: [{ id: 'ours', role: 'ours', label: 'ours (createTrigger)' }],
  metrics,
  timeoutMs: 120_000,
  run,
};

runIfMain(import.meta.url, scenario);
