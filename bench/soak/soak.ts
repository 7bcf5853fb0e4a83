/**
 * Long-run reliability soak (not part of `npm test`, CI or `npm run bench`): one Scheduler with a
 * TypeOrmJobStore on PostgreSQL as `default` and a MemoryJobStore as `memory`, a few hundred mixed
 * jobs, and the store's database connections killed from outside every 20-90 s. At the end it checks
 * that nothing was stuck, run twice or silently lost, and that the heap stayed flat.
 *
 *   npm run soak                                   (= tsc -p bench/tsconfig.json && node --expose-gc dist-bench/bench/soak/soak.js)
 *   SOAK_SECONDS=120 node --expose-gc dist-bench/bench/soak/soak.js
 *
 * Environment (defaults in brackets): SOAK_SECONDS [3600], SOAK_INTERVAL_JOBS [240], SOAK_CRON_JOBS [24],
 * SOAK_KILL_MIN / SOAK_KILL_MAX seconds between connection kills [20 / 90], SOAK_SETTLE_SECONDS [20],
 * SOAK_SEED [random], SOAK_JSON=file (write the summary as JSON too), and the PostgreSQL settings of
 * bench/support/databases.ts (BENCH_POSTGRES_* / TEST_POSTGRES_*, default 127.0.0.1:5432 postgres/test).
 *
 * It imports the package only through lib/index.js. See bench/soak/README.md for what is checked.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { DataSource, type DataSourceOptions } from 'typeorm';
import {
  AsyncExecutor,
  MemoryJobStore,
  Scheduler,
  TypeOrmJobStore,
  createSchedulerEntities,
  createTrigger,
  schedulerTableNames,
  type JobContext,
  type JobExecution,
  type JobStoreErrorEvent,
  type SchedulerEvent,
  type TriggerSpec,
} from '../../lib/index.js';

// ---- settings -------------------------------------------------------------------------------

const env = process.env;
const num = (name: string, fallback: number) => {
  const v = env[name];
  const n = v === undefined || v === '' ? NaN : Number(v);
  return Number.isFinite(n) ? n : fallback;
};
const pick = (name: string, fallback: string) => env[`BENCH_${name}`] ?? env[`TEST_${name}`] ?? fallback;

const SOAK_SECONDS = num('SOAK_SECONDS', 3600);
const INTERVAL_JOBS = num('SOAK_INTERVAL_JOBS', 240);
const CRON_JOBS = num('SOAK_CRON_JOBS', 24);
const KILL_MIN_S = num('SOAK_KILL_MIN', 20);
const KILL_MAX_S = num('SOAK_KILL_MAX', 90);
const SETTLE_SECONDS = num('SOAK_SETTLE_SECONDS', 20);
const SEED = num('SOAK_SEED', randomBytes(4).readUInt32LE(0));
const JSON_OUT = env.SOAK_JSON;
/** Harness self-test: sabotage the evidence (delete 5 records, forge 1 duplicate run) so the checks must fail. */
const SELFTEST = env.SOAK_SELFTEST === '1';
/** Fire times within this many ms before shutdown() are not checked (they may be given back at shutdown). */
const CUTOFF_MARGIN_MS = 2000;
/** A coalesced gap counts as explained by a disturbance from this long before its first fire time. */
const EXPLAIN_BEFORE_MS = 5000;
/** Memory-store records are harvested once this old (all settled by then). */
const HARVEST_AGE_MS = 60_000;
const HARVEST_EVERY_MS = 30_000;
const STALL_MS = 500;

const POSTGRES = {
  host: pick('POSTGRES_HOST', '127.0.0.1'),
  port: Number(pick('POSTGRES_PORT', '5432')),
  username: pick('POSTGRES_USER', 'postgres'),
  password: pick('POSTGRES_PASSWORD', ''),
  database: pick('POSTGRES_DB', 'test'),
};

const TAG = randomBytes(4).toString('hex');
const PREFIX = `bsoak_${TAG}_`;
const APP_NAME = `nestjs-apscheduler-soak-${TAG}`;
const ADMIN_APP_NAME = `nestjs-apscheduler-soak-admin-${TAG}`;
const KILLER_APP_NAME = `nestjs-apscheduler-soak-killer-${TAG}`;

// ---- small helpers --------------------------------------------------------------------------

/** mulberry32: a seeded PRNG so a run's job mix can be repeated. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(SEED);
const between = (lo: number, hi: number) => lo + rand() * (hi - lo);
const oneOf = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
const MB = 1024 * 1024;
const fmt = (n: number) => n.toLocaleString('en-US');
const iso = (ms: number) => new Date(ms).toISOString();

function gcHeapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

/**
 * An append-only table of float64 rows kept in ArrayBuffers (outside the V8 heap), so the harness's
 * own bookkeeping does not show up in heapUsed and the heap samples measure the scheduler.
 */
class OffHeapLog {
  private readonly chunks: Float64Array[] = [];
  private static readonly ROWS = 65_536;
  length = 0;

  constructor(readonly width: number) {}

  push(...values: number[]): void {
    const row = this.length % OffHeapLog.ROWS;
    if (row === 0) this.chunks.push(new Float64Array(OffHeapLog.ROWS * this.width));
    const chunk = this.chunks[this.chunks.length - 1]!;
    for (let f = 0; f < this.width; f++) chunk[row * this.width + f] = values[f] ?? NaN;
    this.length++;
  }

  get(i: number, field: number): number {
    return this.chunks[Math.floor(i / OffHeapLog.ROWS)]![(i % OffHeapLog.ROWS) * this.width + field]!;
  }

  get bytes(): number {
    return this.chunks.length * OffHeapLog.ROWS * this.width * 8;
  }
}

const STATUS_CODE: Record<string, number> = { running: 1, executed: 2, error: 3, missed: 4, max_instances: 5, lost: 6 };
const STATUS_NAME = ['?', 'running', 'executed', 'error', 'missed', 'max_instances', 'lost'];

// ---- the job mix ----------------------------------------------------------------------------

type Profile = 'async' | 'sync' | 'odd' | 'long' | 'timeout';

interface HandlerConfig {
  p: Profile;
  /** ms the handler takes (min, max). */
  min: number;
  max: number;
  /** Probability of throwing / rejecting. */
  fail: number;
  /** timeout jobs: reject on ctx.signal abort (true) or ignore it (false). */
  respect?: boolean;
}

interface FixedJob {
  index: number;
  id: string;
  kind: 'interval' | 'cron';
  store: 'default' | 'memory';
  config: HandlerConfig;
  coalesce: boolean;
  maxInstances: number;
  misfireGraceTime: number | null;
  timeout?: number;
  trigger: TriggerSpec;
  /** Filled in when added: the stored trigger spec and the first fire time. */
  storedTrigger?: TriggerSpec;
  first?: number;
  addedAt?: number;
}

const fixedJobs: FixedJob[] = [];
const fixedIndex = new Map<string, number>();

function addFixed(job: Omit<FixedJob, 'index'>): void {
  const full = { ...job, index: fixedJobs.length };
  fixedIndex.set(job.id, full.index);
  fixedJobs.push(full);
}

function buildMix(): void {
  const intervals = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 8, 10];
  for (let i = 0; i < INTERVAL_JOBS; i++) {
    const store = rand() < 2 / 3 ? 'default' : 'memory';
    const r = rand();
    const grace = oneOf([1000, 1000, 5000, null] as const);
    if (r < 0.6) {
      addFixed({
        id: `i${i}`,
        kind: 'interval',
        store,
        config: { p: 'async', min: 1, max: 200, fail: 0.05 },
        coalesce: rand() < 0.5,
        maxInstances: 1,
        misfireGraceTime: grace,
        trigger: { type: 'interval', seconds: oneOf(intervals) },
      });
    } else if (r < 0.75) {
      addFixed({
        id: `i${i}`,
        kind: 'interval',
        store,
        config: { p: 'sync', min: 0, max: 0, fail: 0.05 },
        coalesce: rand() < 0.5,
        maxInstances: 1,
        misfireGraceTime: grace,
        trigger: { type: 'interval', seconds: oneOf(intervals) },
      });
    } else if (r < 0.83) {
      addFixed({
        id: `i${i}`,
        kind: 'interval',
        store,
        config: { p: 'odd', min: 1, max: 200, fail: 0.06 },
        coalesce: rand() < 0.5,
        maxInstances: 1,
        misfireGraceTime: grace,
        trigger: { type: 'interval', seconds: oneOf(intervals) },
      });
    } else if (r < 0.93) {
      // Handlers that take longer than their interval: maxInstances 1 (a few 3), coalesce mostly off.
      const seconds = oneOf([1, 1.5, 2, 3]);
      addFixed({
        id: `i${i}`,
        kind: 'interval',
        store,
        config: { p: 'long', min: seconds * 1200, max: seconds * 2500, fail: 0.05 },
        coalesce: rand() < 0.3,
        maxInstances: rand() < 0.2 ? 3 : 1,
        misfireGraceTime: grace,
        trigger: { type: 'interval', seconds },
      });
    } else {
      addFixed({
        id: `i${i}`,
        kind: 'interval',
        store,
        config: { p: 'timeout', min: 20, max: 300, fail: 0.02, respect: rand() < 0.5 },
        coalesce: rand() < 0.5,
        maxInstances: 1,
        misfireGraceTime: grace,
        timeout: 100,
        trigger: { type: 'interval', seconds: oneOf(intervals) },
      });
    }
  }
  const crons: TriggerSpec[] = [
    '*/5 * * * * *',
    '*/2 * * * * *',
    '*/10 * * * * *',
    '*/15 * * * * *',
    '0,20,40 * * * * *',
    '* * * * * *',
    '* * * * *',
    '*/7 * * * * *',
    { type: 'cron', second: '*/3' },
    { type: 'cron', second: '*/4', minute: '*' },
    { type: 'cron', second: '5,35' },
    { type: 'cron', second: '*/6', hour: '*' },
    { type: 'cron', second: 0 },
    { type: 'cron', second: '10-50/20' },
    { type: 'cron', expression: '*/5 * * * * *' },
    { type: 'cron', second: '*/2', dayOfWeek: '*' },
  ];
  for (let c = 0; c < CRON_JOBS; c++) {
    const spec = crons[c % crons.length]!;
    const trigger: TriggerSpec = typeof spec === 'string' ? spec : ({ ...(spec as object), timezone: 'UTC' } as TriggerSpec);
    addFixed({
      id: `c${c}`,
      kind: 'cron',
      store: c % 3 === 2 ? 'memory' : 'default',
      config: rand() < 0.3 ? { p: 'sync', min: 0, max: 0, fail: 0.05 } : { p: 'async', min: 1, max: 200, fail: 0.05 },
      coalesce: c % 2 === 0,
      maxInstances: 1,
      misfireGraceTime: oneOf([1000, 5000, null] as const),
      trigger,
    });
  }
}

// ---- state of the run -----------------------------------------------------------------------

/** (job index, scheduled ms, handler start ms): one row per handler call. */
const ledger = new OffHeapLog(3);
/** Memory-store execution records, harvested once settled: (job index, scheduled ms, status code, record seq). */
const memRecords = new OffHeapLog(4);
/** Disturbances: (time ms, kind) with kinds below. */
const disturbances = new OffHeapLog(2);
const D_PG_STORE_ERROR = 1;
const D_MEM_STORE_ERROR = 2;
const D_KILL = 3;
const D_STALL = 4;
/** When an OutcomeRefusedError (outcome written in minimal form) was reported. */
const refusedAt: number[] = [];
const killTimes: number[] = [];

const MAX_DATE_JOBS = Math.ceil(SOAK_SECONDS) + 1000;
const dateRunAt = new Float64Array(MAX_DATE_JOBS);
const dateStore = new Uint8Array(MAX_DATE_JOBS); // 0: default (PostgreSQL), 1: memory
const dateState = new Uint8Array(MAX_DATE_JOBS); // 0: not added, 1: added, 2: add failed for good
const datePast = new Uint8Array(MAX_DATE_JOBS); // 1: added with a run date already past (no lateness sample)
let dateCount = 0;
let dateAddRetries = 0;

const eventCounts: Record<string, number> = {};
const storeErrorMessages = new Map<string, number>();
const logMessages = new Map<string, number>();
let kills = 0;
let killedBackends = 0;
let killErrors = 0;
let maxStallMs = 0;
const heapSamples: { t: number; heap: number; rss: number; external: number }[] = [];

function countMessage(map: Map<string, number>, message: string): void {
  const key = message
    .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<uuid>')
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')
    .slice(0, 240);
  if (map.has(key) || map.size < 60) map.set(key, (map.get(key) ?? 0) + 1);
}

function jobIndex(id: string): number {
  if (id.startsWith('d')) return fixedJobs.length + Number(id.slice(1));
  return fixedIndex.get(id) ?? -1;
}

function jobIdOf(index: number): string {
  return index < fixedJobs.length ? fixedJobs[index]!.id : `d${index - fixedJobs.length}`;
}

// ---- the handler ----------------------------------------------------------------------------

const oddValues: unknown[] = [null, undefined, { code: 'E_ODD', detail: [1, 2] }, 42, 'a plain string', [null]];

function soakHandler(config: HandlerConfig, ctx: JobContext): unknown {
  ledger.push(jobIndex(ctx.jobId), ctx.scheduledRunTime.getTime(), Date.now());
  const fails = Math.random() < config.fail;
  if (config.p === 'sync') {
    if (fails) throw new Error(`soak: sync failure of ${ctx.jobId}`);
    return ctx.jobId.length;
  }
  const ms = config.min + Math.random() * (config.max - config.min);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ctx.signal.removeEventListener('abort', onAbort);
      if (!fails) return resolve(ms);
      if (config.p === 'odd') return reject(oddValues[Math.floor(Math.random() * oddValues.length)]);
      reject(new Error(`soak: async failure of ${ctx.jobId}`));
    }, ms);
    const onAbort = () => {
      if (config.respect === false) return; // keeps running after its timeout, as careless handlers do
      clearTimeout(timer);
      reject(ctx.signal.reason ?? new Error('aborted'));
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
}

// ---- main -----------------------------------------------------------------------------------

interface PgClient {
  connect(): Promise<void>;
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): void;
}

async function newKiller(): Promise<PgClient> {
  const name = 'pg'; // no type declarations installed
  const pg = (await import(name)) as { default: { Client: new (config: Record<string, unknown>) => PgClient } };
  const client = new pg.default.Client({
    host: POSTGRES.host,
    port: POSTGRES.port,
    user: POSTGRES.username,
    password: POSTGRES.password || undefined,
    database: POSTGRES.database,
    application_name: KILLER_APP_NAME,
    connectionTimeoutMillis: 5000,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function main(): Promise<number> {
  buildMix();
  const names = schedulerTableNames(PREFIX);
  const base = { type: 'postgres', ...POSTGRES, connectTimeoutMS: 3000, logging: false } as const;
  const entities = Object.values(createSchedulerEntities(PREFIX));
  const admin = new DataSource({ ...base, applicationName: ADMIN_APP_NAME, entities, synchronize: true } as DataSourceOptions);
  const storeDataSource = new DataSource({ ...base, applicationName: APP_NAME, entities, synchronize: false } as DataSourceOptions);
  let killer: PgClient | null = null;
  let scheduler: Scheduler | null = null;
  const timers: NodeJS.Timeout[] = [];
  let killTimer: NodeJS.Timeout | null = null;
  let stopping = false;
  let cleaned = false;

  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    stopping = true;
    for (const t of timers) clearInterval(t);
    if (killTimer) clearTimeout(killTimer);
    if (scheduler && scheduler.state !== 'stopped') await scheduler.shutdown({ wait: false }).catch(() => undefined);
    try {
      if (!admin.isInitialized) await admin.initialize();
      const runner = admin.createQueryRunner();
      try {
        for (const table of [names.executions, names.instances, names.jobs]) await runner.dropTable(table, true);
      } finally {
        await runner.release();
      }
      console.log(`[soak] dropped the tables ${PREFIX}{jobs,executions,instances}`);
    } catch (error) {
      console.error(`[soak] could not drop the tables of ${PREFIX}: ${(error as Error).message}`);
    }
    if (storeDataSource.isInitialized) await storeDataSource.destroy().catch(() => undefined);
    if (admin.isInitialized) await admin.destroy().catch(() => undefined);
    if (killer) await killer.end().catch(() => undefined);
  };
  const onSignal = (signal: string) => {
    console.error(`[soak] ${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));

  try {
    const startedAt = Date.now();
    const loadStart = os.loadavg();
    console.log(`[soak] ${iso(startedAt)} SOAK_SECONDS=${SOAK_SECONDS} seed=${SEED} prefix=${PREFIX} application_name=${APP_NAME}`);
    console.log(`[soak] load average at start: ${loadStart.map((l) => l.toFixed(2)).join(' ')}`);
    await admin.initialize();
    await storeDataSource.initialize();
    killer = await newKiller();

    const memoryStore = new MemoryJobStore({ maxExecutions: 10_000 });
    const pgStore = new TypeOrmJobStore({ dataSource: storeDataSource, tablePrefix: PREFIX });
    scheduler = new Scheduler({
      timezone: 'UTC',
      stores: { default: pgStore, memory: memoryStore },
      executors: { default: new AsyncExecutor({ maxConcurrency: 200 }) },
      shutdownTimeout: 15_000,
      logger: {
        log: () => undefined,
        warn: (m: string) => countMessage(logMessages, `warn: ${m}`),
        error: (m: string) => countMessage(logMessages, `error: ${m}`),
      },
    });
    const s = scheduler;
    s.registry.register('soak', soakHandler as (...args: unknown[]) => unknown);
    s.events$.subscribe((event: SchedulerEvent) => {
      eventCounts[event.type] = (eventCounts[event.type] ?? 0) + 1;
      if (event.type === 'jobstore_error') {
        const err = (event as JobStoreErrorEvent).error;
        // An outcome the store "refused" is written in minimal form; kept apart to see whether it followed a kill.
        if (err instanceof Error && err.name === 'OutcomeRefusedError') refusedAt.push(event.timestamp.getTime());
        else disturbances.push(event.timestamp.getTime(), event.store === 'memory' ? D_MEM_STORE_ERROR : D_PG_STORE_ERROR);
        countMessage(storeErrorMessages, `${event.store}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    await s.start();

    // Event-loop stalls (they explain coalesced gaps as well as outages do).
    let lastTick = Date.now();
    timers.push(
      setInterval(() => {
        const now = Date.now();
        const drift = now - lastTick - 100;
        if (drift > STALL_MS) disturbances.push(now - drift, D_STALL);
        if (drift > maxStallMs) maxStallMs = drift;
        lastTick = now;
      }, 100),
    );

    for (const job of fixedJobs) {
      const added = await s.addJob({
        id: job.id,
        handler: 'soak',
        args: [job.config],
        trigger: job.trigger,
        store: job.store,
        coalesce: job.coalesce,
        maxInstances: job.maxInstances,
        misfireGraceTime: job.misfireGraceTime,
        ...(job.timeout ? { timeout: job.timeout } : {}),
      });
      job.storedTrigger = added.trigger;
      job.first = added.nextRunTime!.getTime();
      job.addedAt = Date.now();
    }
    const profiles: Record<string, number> = {};
    for (const j of fixedJobs) profiles[`${j.kind}/${j.config.p}/${j.store}`] = (profiles[`${j.kind}/${j.config.p}/${j.store}`] ?? 0) + 1;
    console.log(`[soak] ${fixedJobs.length} jobs added: ${JSON.stringify(profiles)}`);

    // Connection kills from outside, every 20-90 s.
    const scheduleKill = () => {
      killTimer = setTimeout(
        async () => {
          if (stopping) return;
          try {
            if (!killer) killer = await newKiller();
            const result = await killer.query(
              `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name = $2`,
              [POSTGRES.database, APP_NAME],
            );
            kills++;
            killedBackends += result.rows.filter((r) => r.ok === true).length;
            disturbances.push(Date.now(), D_KILL);
            killTimes.push(Date.now());
          } catch (error) {
            killErrors++;
            console.error(`[soak] kill failed: ${(error as Error).message}`);
            await killer?.end().catch(() => undefined);
            killer = null;
          }
          if (!stopping) scheduleKill();
        },
        between(KILL_MIN_S, KILL_MAX_S) * 1000,
      );
    };
    scheduleKill();

    // Date jobs, added continuously (every 0.5-3 s), in both stores; some already due or long past.
    let addingDates = true;
    const dateAdder = (async () => {
      while (addingDates && dateCount < MAX_DATE_JOBS) {
        await sleep(between(500, 3000));
        if (!addingDates) break;
        const n = dateCount++;
        const id = `d${n}`;
        const r = rand();
        const runAt = Math.round(
          r < 0.1 ? Date.now() - between(0, 800) : r < 0.15 ? Date.now() - between(3000, 8000) : Date.now() + between(200, 20_000),
        );
        const store = rand() < 0.5 ? 'default' : 'memory';
        dateRunAt[n] = runAt;
        datePast[n] = runAt <= Date.now() ? 1 : 0;
        dateStore[n] = store === 'memory' ? 1 : 0;
        const config: HandlerConfig =
          rand() < 0.3 ? { p: 'sync', min: 0, max: 0, fail: 0.05 } : { p: 'async', min: 1, max: 200, fail: 0.05 };
        for (let attempt = 0; ; attempt++) {
          try {
            await s.addJob({ id, handler: 'soak', args: [config], trigger: { type: 'date', runDate: runAt }, store });
            dateState[n] = 1;
            break;
          } catch (error) {
            // A failed add may still have been committed: look before adding again.
            const name = (error as Error).name;
            if (name === 'ConflictingIdError') {
              dateState[n] = 1;
              break;
            }
            dateAddRetries++;
            const exists = await s.getJob(id, store).catch(() => undefined);
            const ran = await s.getExecutions({ jobId: id, limit: 10 }).catch(() => undefined);
            if (exists || (ran && ran.length > 0)) {
              dateState[n] = 1;
              break;
            }
            if (attempt >= 20 || !addingDates) {
              dateState[n] = 2;
              console.error(`[soak] date job ${id} could not be added: ${(error as Error).message}`);
              break;
            }
            await sleep(500);
          }
        }
      }
    })();

    // Memory-store records, harvested once settled (the store keeps the newest 10,000 only, its default).
    let harvestedUntil = 0;
    let harvesting: Promise<void> = Promise.resolve();
    const harvestNow = async (upTo: number, final: boolean) => {
      const rows: JobExecution[] = await memoryStore.getExecutions({ since: new Date(harvestedUntil), limit: 100_000 });
      let until = upTo;
      if (!final)
        for (const row of rows)
          if (row.status === 'running' && row.scheduledRunTime.getTime() < until) until = row.scheduledRunTime.getTime();
      for (const row of rows) {
        const t = row.scheduledRunTime.getTime();
        if (t >= harvestedUntil && t < until)
          memRecords.push(jobIndex(row.jobId), t, STATUS_CODE[row.status] ?? 0, Number(row.id.replace(/\D/g, '')) || -1);
      }
      harvestedUntil = until;
    };
    const harvest = (upTo: number, final = false) =>
      (harvesting = harvesting.then(() => harvestNow(upTo, final)).catch((e) => console.error(`[soak] harvest: ${(e as Error).message}`)));
    timers.push(setInterval(() => void harvest(Date.now() - HARVEST_AGE_MS), HARVEST_EVERY_MS));

    // Heap every minute, after gc.
    const sample = () => {
      const heap = gcHeapUsed();
      const mem = process.memoryUsage();
      heapSamples.push({ t: Date.now() - startedAt, heap, rss: mem.rss, external: mem.external });
      const c = (k: string) => eventCounts[k] ?? 0;
      console.log(
        `[soak] ${((Date.now() - startedAt) / 60_000).toFixed(1)} min heap ${(heap / MB).toFixed(1)} MB rss ${(mem.rss / MB).toFixed(0)} MB` +
          ` | executed ${fmt(c('job_executed'))} error ${fmt(c('job_error'))} missed ${fmt(c('job_missed'))} max_instances ${fmt(c('job_max_instances'))}` +
          ` jobstore_error ${fmt(c('jobstore_error'))} kills ${kills} (${killedBackends} backends) date jobs ${dateCount} load ${os.loadavg()[0]!.toFixed(2)}`,
      );
    };
    sample();
    timers.push(setInterval(sample, 60_000));

    // ---- run, then settle and stop ----
    await sleep(startedAt + SOAK_SECONDS * 1000 - Date.now());
    addingDates = false;
    stopping = true;
    if (killTimer) clearTimeout(killTimer);
    await dateAdder;
    const runEndedAt = Date.now();
    console.log(`[soak] ${iso(runEndedAt)} stopped adding jobs and killing connections; settling ${SETTLE_SECONDS} s`);
    await sleep(SETTLE_SECONDS * 1000);
    sample();
    for (const t of timers) clearInterval(t);
    timers.length = 0;
    const shutdownAt = Date.now();
    const cutoff = shutdownAt - CUTOFF_MARGIN_MS;
    await s.shutdown({ wait: true });
    const shutdownMs = Date.now() - shutdownAt;
    await sleep(3000);
    const loadEnd = os.loadavg();
    console.log(`[soak] shut down in ${shutdownMs} ms; checking (cutoff ${iso(cutoff)})`);

    // ---- stuck 'running' records ----
    let runningViaApi: number | string;
    try {
      runningViaApi = (await s.getExecutions({ status: 'running', limit: 100_000 })).length;
    } catch (error) {
      runningViaApi = `getExecutions failed: ${(error as Error).message}`;
    }
    const exTable = `"${names.executions}"`;
    const runningRows = Number((await admin.query(`SELECT COUNT(*) AS n FROM ${exTable} WHERE status = 'running'`))[0].n);
    const runningSample: Record<string, unknown>[] =
      runningRows > 0
        ? await admin.query(
            `SELECT job_id, scheduled_run_time, instance_id, started_at FROM ${exTable} WHERE status = 'running' ORDER BY scheduled_run_time LIMIT 10`,
          )
        : [];
    const memRunning = (await memoryStore.getExecutions({ status: 'running', limit: 100_000 })).length;
    await harvest(Infinity, true);

    // ---- all records ----
    const heapEnd = heapSamples[heapSamples.length - 1]!;
    const records = new Map<number, Map<number, number>>(); // job index -> scheduled -> status code
    const statusCounts: Record<string, Record<string, number>> = { default: {}, memory: {} };
    let recordDuplicates = 0;
    const duplicateSamples: string[] = [];
    let unknownJobRecords = 0;
    const addRecord = (store: 'default' | 'memory', index: number, t: number, status: number) => {
      statusCounts[store]![STATUS_NAME[status] ?? '?'] = (statusCounts[store]![STATUS_NAME[status] ?? '?'] ?? 0) + 1;
      if (index < 0) {
        unknownJobRecords++;
        return;
      }
      let m = records.get(index);
      if (!m) records.set(index, (m = new Map()));
      if (m.has(t)) {
        recordDuplicates++;
        if (duplicateSamples.length < 10)
          duplicateSamples.push(`${jobIdOf(index)} @ ${iso(t)} (${STATUS_NAME[m.get(t)!]} and ${STATUS_NAME[status]})`);
      }
      m.set(t, status);
    };
    if (SELFTEST) {
      const victims: Record<string, unknown>[] = await admin.query(
        `SELECT id, job_id, scheduled_run_time FROM ${exTable} WHERE status = 'executed' AND job_id LIKE 'i%' AND scheduled_run_time < $1 ORDER BY random() LIMIT 5`,
        [cutoff - 10_000],
      );
      await admin.query(`DELETE FROM ${exTable} WHERE id = ANY($1)`, [victims.map((v) => v.id)]);
      console.log(
        `[soak] SELFTEST: deleted ${victims.map((v) => `${v.job_id}@${iso(Number(v.scheduled_run_time))}`).join(', ')}; forged one duplicate run`,
      );
      if (ledger.length > 0) ledger.push(ledger.get(0, 0), ledger.get(0, 1), ledger.get(0, 2));
    }
    const refusedRows: Record<string, unknown>[] = await admin.query(
      `SELECT job_id, scheduled_run_time, status, error, traceback IS NULL AS no_tb FROM ${exTable} WHERE error LIKE '%[the store refused the full text]%' ORDER BY scheduled_run_time`,
    );
    const sinceKill = (t: number) => {
      const before = killTimes.filter((k) => k <= t);
      return before.length === 0 ? null : t - before[before.length - 1]!;
    };
    const refusedSamples = refusedRows
      .slice(0, 8)
      .map(
        (r) =>
          `${r.job_id}@${iso(Number(r.scheduled_run_time))} ${r.status}: ${JSON.stringify(r.error)}${r.no_tb ? ' (traceback dropped)' : ''}`,
      );
    const refusedDelays = refusedAt.map((t) => sinceKill(t));
    const pgRows: Record<string, unknown>[] = await admin.query(`SELECT job_id, scheduled_run_time, status FROM ${exTable}`);
    for (const r of pgRows)
      addRecord('default', jobIndex(String(r.job_id)), Number(r.scheduled_run_time), STATUS_CODE[String(r.status)] ?? 0);
    const pgDupRows = Number(
      (
        await admin.query(
          `SELECT COUNT(*) AS n FROM (SELECT job_id, scheduled_run_time FROM ${exTable} GROUP BY 1, 2 HAVING COUNT(*) > 1) d`,
        )
      )[0].n,
    );
    for (let i = 0; i < memRecords.length; i++) addRecord('memory', memRecords.get(i, 0), memRecords.get(i, 1), memRecords.get(i, 2));

    // ---- duplicated runs in the ledger; runs whose record does not say they ran ----
    const ran = new Map<number, Set<number>>();
    let ledgerDuplicates = 0;
    const ledgerDupSamples: string[] = [];
    let ranWithoutRunRecord = 0;
    const ranWithoutSamples: string[] = [];
    const lateness: Record<'default' | 'memory', number[]> = { default: [], memory: [] };
    const lateRuns = { default: 0, memory: 0 };
    const lateRunsAfterKill = { default: 0, memory: 0 };
    const worstLate: Record<'default' | 'memory', { late: number; at: number; job: string; sinceKill: number | null }> = {
      default: { late: 0, at: 0, job: '', sinceKill: null },
      memory: { late: 0, at: 0, job: '', sinceKill: null },
    };
    for (let i = 0; i < ledger.length; i++) {
      const index = ledger.get(i, 0);
      const t = ledger.get(i, 1);
      let set = ran.get(index);
      if (!set) ran.set(index, (set = new Set()));
      if (set.has(t)) {
        ledgerDuplicates++;
        if (ledgerDupSamples.length < 10) ledgerDupSamples.push(`${jobIdOf(index)} @ ${iso(t)}`);
      }
      set.add(t);
      const status = records.get(index)?.get(t);
      if (status !== STATUS_CODE.executed && status !== STATUS_CODE.error) {
        ranWithoutRunRecord++;
        if (ranWithoutSamples.length < 10)
          ranWithoutSamples.push(`${jobIdOf(index)} @ ${iso(t)}: record ${status === undefined ? 'none' : STATUS_NAME[status]}`);
      }
      const store = index < fixedJobs.length ? fixedJobs[index]!.store : dateStore[index - fixedJobs.length] === 1 ? 'memory' : 'default';
      if (index >= fixedJobs.length && datePast[index - fixedJobs.length] === 1) continue;
      const late = ledger.get(i, 2) - t;
      lateness[store].push(late);
      if (late > 250) {
        lateRuns[store]++;
        const k = sinceKill(t);
        if (k !== null && k < 10_000) lateRunsAfterKill[store]++;
        if (late > worstLate[store].late) worstLate[store] = { late, at: t, job: jobIdOf(index), sinceKill: k };
      }
    }

    // ---- silently lost fire times: walk every trigger from its first fire time to the cutoff ----
    let expected = 0;
    let lost = 0;
    const lostSamples: string[] = [];
    let coalescedExplained = 0;
    let coalescedGaps = 0;
    let memCoalescedByPgOutage = 0;
    let offTrigger = 0;
    const offTriggerSamples: string[] = [];
    const dist: { t: number; kind: number }[] = [];
    for (let i = 0; i < disturbances.length; i++) dist.push({ t: disturbances.get(i, 0), kind: disturbances.get(i, 1) });
    dist.sort((a, b) => a.t - b.t);
    const disturbed = (from: number, to: number, kinds: number[]) => dist.some((d) => d.t >= from && d.t <= to && kinds.includes(d.kind));
    for (const job of fixedJobs) {
      const trigger = createTrigger(job.storedTrigger!);
      const mine = records.get(job.index) ?? new Map<number, number>();
      const walked = new Set<number>();
      let gap: number[] = [];
      const closeGap = (next: number) => {
        if (gap.length === 0) return;
        const explainedBy = job.store === 'default' ? [D_PG_STORE_ERROR, D_KILL, D_STALL] : [D_MEM_STORE_ERROR, D_STALL];
        if (job.coalesce && next < cutoff && disturbed(gap[0]! - EXPLAIN_BEFORE_MS, next, explainedBy)) {
          coalescedGaps++;
          coalescedExplained += gap.length;
        } else {
          if (
            job.coalesce &&
            job.store === 'memory' &&
            next < cutoff &&
            disturbed(gap[0]! - EXPLAIN_BEFORE_MS, next, [D_PG_STORE_ERROR, D_KILL])
          ) {
            memCoalescedByPgOutage += gap.length;
          }
          lost += gap.length;
          if (lostSamples.length < 12) {
            lostSamples.push(
              `${job.id} (${job.kind} ${JSON.stringify(job.trigger)}, ${job.store}, coalesce ${job.coalesce}, grace ${job.misfireGraceTime}): ` +
                `${gap.length} fire time(s) ${iso(gap[0]!)}..${iso(gap[gap.length - 1]!)}, next record ${next < cutoff ? iso(next) : 'none before cutoff'}`,
            );
          }
        }
        gap = [];
      };
      for (let t: number | null = job.first!; t !== null && t < cutoff;) {
        expected++;
        walked.add(t);
        if (mine.has(t)) closeGap(t);
        else gap.push(t);
        const next: Date | null = trigger.getNextFireTime(new Date(t), new Date(t));
        t = next === null ? null : next.getTime();
      }
      closeGap(Infinity);
      for (const t of mine.keys()) {
        if (t < cutoff && !walked.has(t)) {
          offTrigger++;
          if (offTriggerSamples.length < 10) offTriggerSamples.push(`${job.id} @ ${iso(t)} (${STATUS_NAME[mine.get(t)!]})`);
        }
      }
    }
    // Date jobs: exactly one record each (those due before the cutoff).
    let dateExpected = 0;
    let dateLost = 0;
    let dateExtra = 0;
    let dateFailedAdds = 0;
    const dateSamples: string[] = [];
    for (let n = 0; n < dateCount; n++) {
      const index = fixedJobs.length + n;
      const count = records.get(index)?.size ?? 0;
      if (dateState[n] !== 1) {
        // An add that failed for good (it may still have been committed: then one record is fine).
        dateFailedAdds++;
        if (count > 1) dateExtra += count - 1;
        continue;
      }
      if (count > 1) dateExtra += count - 1;
      if (dateRunAt[n]! >= cutoff) continue;
      dateExpected++;
      const t = records.get(index)?.keys().next().value as number | undefined;
      if (count === 0) {
        dateLost++;
        if (dateSamples.length < 10)
          dateSamples.push(`d${n} (${dateStore[n] ? 'memory' : 'default'}) run date ${iso(dateRunAt[n]!)}: no record`);
      } else if (t !== dateRunAt[n]) {
        offTrigger++;
        if (offTriggerSamples.length < 10) offTriggerSamples.push(`d${n} @ ${iso(t!)} (run date ${iso(dateRunAt[n]!)})`);
      }
    }

    // ---- heap ----
    const afterWarmup = heapSamples.filter((h) => h.t >= 5 * 60_000);
    const fitOn = afterWarmup.length >= 3 ? afterWarmup : heapSamples;
    const slope = leastSquaresSlope(fitOn.map((h) => [h.t / 3_600_000, h.heap / MB]));
    const firstMinute = heapSamples.find((h) => h.t >= 55_000) ?? heapSamples[0]!;
    const maxHeap = Math.max(...heapSamples.map((h) => h.heap));

    // ---- summary ----
    const total = (k: string) => (statusCounts.default![k] ?? 0) + (statusCounts.memory![k] ?? 0);
    const pct = (values: number[], p: number) => {
      if (values.length === 0) return NaN;
      const sorted = Float64Array.from(values).sort();
      return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
    };
    const checks = [
      {
        name: "stuck 'running' records (getExecutions after shutdown)",
        value: typeof runningViaApi === 'number' ? runningViaApi : NaN,
        note: typeof runningViaApi === 'string' ? runningViaApi : '',
      },
      {
        name: "stuck 'running' rows in the executions table",
        value: runningRows,
        note: runningSample.map((r) => `${r.job_id}@${iso(Number(r.scheduled_run_time))}`).join(', '),
      },
      { name: "stuck 'running' records in the memory store", value: memRunning, note: '' },
      {
        name: 'duplicated runs in the ledger (same job and fire time run twice)',
        value: ledgerDuplicates,
        note: ledgerDupSamples.join('; '),
      },
      {
        name: 'duplicated execution records (same job and fire time)',
        value: recordDuplicates + pgDupRows,
        note: duplicateSamples.join('; '),
      },
      { name: 'silently lost fire times (interval/cron)', value: lost, note: lostSamples.join('\n      ') },
      { name: 'silently lost date jobs (no record)', value: dateLost, note: dateSamples.join('; ') },
      { name: 'date jobs with more than one record', value: dateExtra, note: '' },
      { name: 'records at times the trigger never produced', value: offTrigger, note: offTriggerSamples.join('; ') },
      { name: 'handler runs whose record is not executed/error', value: ranWithoutRunRecord, note: ranWithoutSamples.join('; ') },
    ];
    const failed = checks.filter((c) => c.value !== 0);
    const summary = {
      command: `SOAK_SECONDS=${SOAK_SECONDS} node --expose-gc dist-bench/bench/soak/soak.js`,
      seed: SEED,
      started: iso(startedAt),
      finished: iso(Date.now()),
      durationSeconds: Math.round((runEndedAt - startedAt) / 1000),
      loadAverageStart: loadStart,
      loadAverageEnd: loadEnd,
      machine: `${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}, Node ${process.version}`,
      jobs: {
        interval: fixedJobs.filter((j) => j.kind === 'interval').length,
        cron: fixedJobs.filter((j) => j.kind === 'cron').length,
        onPostgres: fixedJobs.filter((j) => j.store === 'default').length,
        onMemory: fixedJobs.filter((j) => j.store === 'memory').length,
        coalesceFalse: fixedJobs.filter((j) => !j.coalesce).length,
        long: fixedJobs.filter((j) => j.config.p === 'long').length,
        withTimeout: fixedJobs.filter((j) => j.timeout).length,
        odd: fixedJobs.filter((j) => j.config.p === 'odd').length,
        sync: fixedJobs.filter((j) => j.config.p === 'sync').length,
        dateJobsAdded: dateCount,
        dateAddRetries,
        dateAddsFailed: dateFailedAdds,
      },
      faults: { kills, killedBackends, killErrors, maxEventLoopStallMs: maxStallMs },
      checks: Object.fromEntries(checks.map((c) => [c.name, c.value])),
      counts: {
        handlerCalls: ledger.length,
        records: { default: statusCounts.default, memory: statusCounts.memory },
        executed: total('executed'),
        error: total('error'),
        missed: total('missed'),
        maxInstances: total('max_instances'),
        lost: total('lost'),
        events: eventCounts,
        expectedFireTimesWalked: expected,
        dateJobsChecked: dateExpected,
        coalescedGaps,
        coalescedFireTimesDuringDisturbance: coalescedExplained,
        memoryCoalescedDuringPgOutageCountedLost: memCoalescedByPgOutage,
        recordsOfUnknownJobs: unknownJobRecords,
      },
      latenessMs: {
        default: { p50: pct(lateness.default, 50), p99: pct(lateness.default, 99), max: pct(lateness.default, 100) },
        memory: { p50: pct(lateness.memory, 50), p99: pct(lateness.memory, 99), max: pct(lateness.memory, 100) },
        runsOver250ms: lateRuns,
        runsOver250msWithin10sOfAKill: lateRunsAfterKill,
        worst: worstLate,
      },
      refusedOutcomes: {
        events: refusedAt.length,
        msSincePreviousKill: refusedDelays,
        rowsWrittenInMinimalForm: refusedRows.length,
        samples: refusedSamples,
      },
      heap: {
        firstMinuteMB: firstMinute.heap / MB,
        lastMB: heapEnd.heap / MB,
        maxMB: maxHeap / MB,
        slopeMBPerHour: slope,
        slopeFittedOn: fitOn === afterWarmup ? 'samples after the first 5 minutes' : 'all samples (run shorter than 5 min + 3 samples)',
        samples: heapSamples.map((h) => Math.round((h.heap / MB) * 10) / 10),
        harnessOffHeapMB: (ledger.bytes + memRecords.bytes + disturbances.bytes + dateRunAt.byteLength) / MB,
      },
      shutdownMs,
      storeErrorMessages: Object.fromEntries(storeErrorMessages),
      schedulerLog: Object.fromEntries(logMessages),
    };

    console.log('\n================ soak summary ================');
    console.log(
      `duration ${summary.durationSeconds} s (+${SETTLE_SECONDS} s settle), seed ${SEED}, load ${loadStart.map((l) => l.toFixed(2)).join(' ')} -> ${loadEnd.map((l) => l.toFixed(2)).join(' ')}`,
    );
    console.log(`jobs: ${JSON.stringify(summary.jobs)}`);
    console.log(
      `faults: ${kills} connection kills (${killedBackends} backends terminated, ${killErrors} kill errors), max event-loop stall ${maxStallMs} ms`,
    );
    console.log(`records: default ${JSON.stringify(statusCounts.default)} memory ${JSON.stringify(statusCounts.memory)}`);
    console.log(
      `handler calls ${fmt(ledger.length)}; executed ${fmt(total('executed'))} error ${fmt(total('error'))} missed ${fmt(total('missed'))} max_instances ${fmt(total('max_instances'))} lost ${fmt(total('lost'))}`,
    );
    console.log(`events: ${JSON.stringify(eventCounts)}`);
    console.log(
      `fire times walked ${fmt(expected)} (+${dateExpected} date jobs); coalesced during a disturbance: ${coalescedExplained} fire times in ${coalescedGaps} gaps`,
    );
    console.log(`lateness ms (handler start - fire time): ${JSON.stringify(summary.latenessMs)}`);
    console.log(
      `late runs (> 250 ms): ${JSON.stringify(lateRuns)}, of which within 10 s after a kill: ${JSON.stringify(lateRunsAfterKill)}; worst: ${JSON.stringify(worstLate)}`,
    );
    if (refusedAt.length || refusedRows.length) {
      console.log(
        `outcomes written in minimal form (OutcomeRefusedError): ${refusedAt.length} events (ms since the previous kill: ${refusedDelays.join(', ')}), ${refusedRows.length} rows:\n  ${refusedSamples.join('\n  ')}`,
      );
    }
    console.log(
      `heap after gc: first minute ${summary.heap.firstMinuteMB.toFixed(1)} MB, last ${summary.heap.lastMB.toFixed(1)} MB, max ${summary.heap.maxMB.toFixed(1)} MB, slope ${slope.toFixed(2)} MB/h (${summary.heap.slopeFittedOn})`,
    );
    console.log(`heap samples MB: ${summary.heap.samples.join(' ')}`);
    console.log(`shutdown took ${shutdownMs} ms`);
    if (storeErrorMessages.size)
      console.log(`jobstore_error messages:\n  ${[...storeErrorMessages].map(([m, n]) => `${n} x ${m}`).join('\n  ')}`);
    if (logMessages.size) console.log(`scheduler log:\n  ${[...logMessages].map(([m, n]) => `${n} x ${m}`).join('\n  ')}`);
    console.log('checks (each must be 0):');
    for (const c of checks)
      console.log(
        `  ${c.value === 0 ? 'ok  ' : 'FAIL'} ${c.name}: ${Number.isNaN(c.value) ? c.note : c.value}${c.value !== 0 && c.note && !Number.isNaN(c.value) ? `\n      ${c.note}` : ''}`,
      );
    console.log(failed.length === 0 ? 'RESULT: PASS' : `RESULT: FAIL (${failed.length} check(s))`);
    console.log(`@@SOAK_RESULT ${JSON.stringify(summary)}`);
    if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(summary, null, 2));
    return failed.length === 0 ? 0 : 1;
  } finally {
    await cleanup();
  }
}

function leastSquaresSlope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx === 0 ? NaN : sxy / sxx;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`[soak] harness error: ${(error as Error).stack ?? String(error)}`);
    process.exit(2);
  },
);
