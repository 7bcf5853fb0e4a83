import 'reflect-metadata';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { Scheduler } from '../../lib/core/scheduler.js';
import type { JobSpec } from '../../lib/core/jobs/job.js';
import { AsyncExecutor } from '../../lib/executors/async.executor.js';
import { schedulerEntityList } from '../../lib/stores/typeorm/schema/scheduler-entities.js';
import { TypeOrmJobStore } from '../../lib/stores/typeorm/typeorm.job-store.js';
import { createTrigger } from '../../lib/triggers/create-trigger.js';
import type { TriggerSpec } from '../../lib/triggers/trigger.js';
import { sleep, wallNow } from '../support/clock.js';
import { BenchDatabase, quietLogger, type DatabaseKind } from '../support/databases.js';
import { runIfMain, type ChildResult, type ScenarioDefinition } from '../support/scenario.js';
import { databaseAvailable, STORE_LABEL, storeOf } from '../support/stores.js';

const JOBS = Number(process.env.BENCH_STORE_STARTUP_JOBS ?? 100_000);
const GIVE_UP_MS = 60_000;

/**
 * The stored jobs: a third each of hourly interval jobs, daily cron jobs and one-shot date jobs,
 * next run times spread over the coming hour (none due at start), rows exactly as the store
 * writes them. Plus one date job already due (1 s ago, misfireGraceTime null): the probe.
 */
function* storedJobs(now: number): Generator<JobSpec> {
  const base = {
    args: [] as unknown[],
    executor: 'default',
    coalesce: true,
    maxInstances: 1,
    misfireGraceTime: 1000,
    timeout: null,
    rerunOnLoss: false,
    retry: null,
  };
  const json = (spec: TriggerSpec) => createTrigger(spec, { timezone: 'UTC', now: new Date(now) }).toJSON() as TriggerSpec;
  const hourly = json({ type: 'interval', hours: 1, startDate: new Date(Math.floor(now / 1000) * 1000) });
  for (let i = 0; i < JOBS; i++) {
    const next = now + 60_000 + Math.floor((i / JOBS) * 3_540_000);
    const kind = i % 3;
    const trigger =
      kind === 0
        ? hourly
        : kind === 1
          ? json({ type: 'cron', expression: `${i % 60} ${i % 24} * * *` })
          : json({ type: 'date', runDate: new Date(next) });
    yield { ...base, id: `s${i}`, name: 'noop', handler: 'noop', trigger, nextRunTime: new Date(next) };
  }
  const due = new Date(now - 1000);
  yield {
    ...base,
    id: 'probe',
    name: 'probe',
    handler: 'probe',
    misfireGraceTime: null,
    trigger: json({ type: 'date', runDate: due }),
    nextRunTime: due,
  };
}

async function run(kind: DatabaseKind): Promise<ChildResult> {
  const db = new BenchDatabase(kind, 's');
  let app: DataSource | null = null;
  let scheduler: Scheduler | null = null;
  try {
    await db.create();
    const i0 = performance.now();
    const inserted = await db.insertJobs(storedJobs(Date.now()));
    const insertMs = performance.now() - i0;
    // What an application does at boot: its own DataSource (not timed in startMs), then the scheduler.
    const d0 = performance.now();
    app = new DataSource({ ...db.options(), entities: schedulerEntityList(db.prefix) } as DataSourceOptions);
    await app.initialize();
    const initializeMs = performance.now() - d0;
    const store = new TypeOrmJobStore({ dataSource: app, tablePrefix: db.prefix });
    scheduler = new Scheduler({
      instanceId: `bench-${process.pid}`,
      timezone: 'UTC',
      stores: { default: store },
      executors: { default: new AsyncExecutor() },
      logger: quietLogger,
    });
    let probeAt = NaN;
    let probed!: () => void;
    const probeRan = new Promise<void>((resolve) => (probed = resolve));
    scheduler.registry.register('noop', () => {});
    scheduler.registry.register('probe', () => {
      probeAt = wallNow();
      probed();
    });
    let storeErrors = 0;
    scheduler.events$.subscribe((e) => {
      if (e.type === 'jobstore_error') storeErrors++;
    });
    const t0 = wallNow();
    await scheduler.start();
    const startedAt = wallNow();
    await Promise.race([probeRan, sleep(GIVE_UP_MS)]);
    // One more round trip the loop makes on every pass, timed on its own.
    const n0 = wallNow();
    const next = await store.getNextRunTime();
    const nextRunTimeMs = wallNow() - n0;
    const g0 = wallNow();
    const all = await store.getAllJobs();
    const getAllJobsMs = wallNow() - g0;
    return {
      metrics: { startMs: startedAt - t0, firstRunMs: probeAt - t0, nextRunTimeMs },
      info: {
        jobsInTable: inserted,
        bulkInsertMs: Math.round(insertMs),
        dataSourceInitializeMs: Math.round(initializeMs),
        nextRunTimeFound: next !== null,
        getAllJobsMs: Math.round(getAllJobsMs),
        getAllJobsCount: all.length,
        jobstoreErrors: storeErrors,
      },
    };
  } finally {
    if (scheduler && scheduler.state !== 'stopped') await scheduler.shutdown({ wait: false }).catch(() => undefined);
    if (app?.isInitialized) await app.destroy().catch(() => undefined);
    await db.drop();
  }
}

const n = JOBS.toLocaleString('en');
const KINDS: DatabaseKind[] = ['postgres', 'mariadb', 'sqlite'];

export const scenario: ScenarioDefinition = {
  name: 'store-startup',
  title: `Store start-up: ${n} stored jobs`,
  order: 52,
  description:
    `The jobs table holds ${n} jobs (a third each of hourly interval, daily cron and one-shot date jobs, next run times ` +
    `spread over the coming hour; rows written with bulk INSERTs, exactly as the store would write them) plus one date job ` +
    `already due 1 s ago (\`misfireGraceTime: null\`): the probe. Then, as an application boots: a fresh DataSource is ` +
    `initialized (timed separately, not included), a Scheduler with a TypeOrmJobStore on it is created, and ` +
    `**start → first run** is measured from the \`scheduler.start()\` call to the probe's handler starting, i.e. the store ` +
    `started (schema probes, heartbeat row, lost-run check, PostgreSQL LISTEN), the first loop pass claimed what was due and ` +
    `ran it (target: < 3 s). Also shown: \`await scheduler.start()\` alone, and one \`getNextRunTime()\` round trip ` +
    `afterwards (the query each pass makes to arm its wake-up). Per run info includes \`getAllJobs()\` over the ${n} rows ` +
    `(not part of start-up; listed because an application that lists its jobs at boot pays it).`,
  variants: KINDS.map((kind) => ({ id: `ours-${kind}`, role: 'ours' as const, label: `ours (${STORE_LABEL[kind]})` })),
  metrics: [
    {
      key: 'firstRunMs',
      label: 'start() → first due job running',
      unit: 'ms',
      better: 'lower',
      digits: 1,
      target: { text: '< 3000 ms', lessThan: 3000 },
    },
    { key: 'startMs', label: 'await start()', unit: 'ms', better: 'lower', digits: 1 },
    { key: 'nextRunTimeMs', label: 'getNextRunTime() round trip', unit: 'ms', better: 'lower', digits: 2 },
  ],
  timeoutMs: 150_000,
  variantAvailable: (variant) => databaseAvailable(variant),
  run: (variant) => run(storeOf(variant) as DatabaseKind),
};

runIfMain(import.meta.url, scenario);
