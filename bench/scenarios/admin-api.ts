import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import { SchedulerAdminModule } from '../../lib/admin/index.js';
import type { JobSpec } from '../../lib/core/jobs/job.js';
import { SchedulerModule } from '../../lib/scheduler.module.js';
import { TypeOrmJobStore } from '../../lib/stores/typeorm/typeorm.job-store.js';
import { wallNow } from '../support/clock.js';
import { BenchDatabase, type DatabaseKind } from '../support/databases.js';
import { runIfMain, type ChildResult, type ScenarioDefinition } from '../support/scenario.js';
import { summarize } from '../support/stats.js';
import { databaseAvailable, STORE_LABEL, storeOf } from '../support/stores.js';

// Sizes (RESULTS.md is comparable at the defaults only):
//   BENCH_ADMIN_JOBS        jobs in the table (default 10,000)
//   BENCH_ADMIN_EXECUTIONS  execution records (default 1,000,000)
//   BENCH_ADMIN_REQUESTS    timed requests per page kind (default 100)
const JOBS = Number(process.env.BENCH_ADMIN_JOBS ?? 10_000);
const EXECUTIONS = Number(process.env.BENCH_ADMIN_EXECUTIONS ?? 1_000_000);
const REQUESTS = Number(process.env.BENCH_ADMIN_REQUESTS ?? 100);
/** Records are one minute apart per job, the newest an hour ago. */
const NEWEST = Date.now() - 3_600_000;

function* storedJobs(): Generator<JobSpec> {
  const later = Date.now() + 86_400_000;
  for (let i = 0; i < JOBS; i++) {
    yield {
      id: `j${i}`,
      name: i % 10 === 0 ? `Nightly backup ${i}` : `Send report ${i}`,
      handler: 'noop',
      args: [i],
      trigger: { type: 'interval', minutes: 5, startDate: new Date(later).toISOString(), timezone: 'UTC' },
      executor: 'default',
      coalesce: true,
      maxInstances: 1,
      misfireGraceTime: 1000,
      timeout: null,
      rerunOnLoss: false,
      retry: null,
      // A tenth paused; the rest due tomorrow, so nothing fires while the pages are timed.
      nextRunTime: i % 10 === 9 ? null : new Date(later + (i % 1000) * 1000),
    };
  }
}

/**
 * Execution record i: job j(i % JOBS), one minute older per round of jobs; 5 % error, ~1 % missed,
 * 20 in a million lost (a rare status: its page must not walk the other rows). One INSERT ... SELECT
 * over a generated series, so a million rows take seconds.
 */
async function insertExecutions(db: BenchDatabase): Promise<void> {
  const q = (c: string) => db.quote(c);
  const columns = ['id', 'job_id', 'scheduled_run_time', 'status', 'instance_id', 'started_at', 'finished_at', 'duration_ms', 'error']
    .map(q)
    .join(', ');
  const row = (i: string, div: string) => {
    const time = `(${NEWEST} - ${div} * 60000)`;
    const status = `CASE WHEN ${i} % 50000 = 7 THEN 'lost' WHEN ${i} % 20 = 0 THEN 'error' WHEN ${i} % 97 = 0 THEN 'missed' ELSE 'executed' END`;
    return (
      `'e' || ${i}, 'j' || (${i} % ${JOBS}), ${time}, ${status}, 'bench', ${time}, ${time} + 5, 5.0 + (${i} % 7),` +
      ` CASE WHEN ${i} % 20 = 0 THEN 'Error: boom' ELSE NULL END`
    );
  };
  const table = db.table('executions');
  if (db.kind === 'postgres') {
    await db.dataSource.query(
      `INSERT INTO ${table} (${columns}) SELECT ${row('i', `(i / ${JOBS})`)} FROM generate_series(0, ${EXECUTIONS - 1}) AS s(i)`,
    );
    await db.dataSource.query(`VACUUM ANALYZE ${table}`);
  } else {
    await db.dataSource.query(
      `WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ${EXECUTIONS - 1})` +
        ` INSERT INTO ${table} (${columns}) SELECT ${row('i', `(i / ${JOBS})`)} FROM s`,
    );
    await db.dataSource.query('ANALYZE');
  }
}

/** The application: the scheduler on the bench tables and the admin module (Express). */
async function boot(dataSource: DataSource, prefix: string): Promise<INestApplication> {
  @Module({
    imports: [
      SchedulerModule.forRoot({ stores: { default: new TypeOrmJobStore({ dataSource, tablePrefix: prefix }) }, timezone: 'UTC' }),
      SchedulerAdminModule.forRoot({ allowAnonymous: true }),
    ],
  })
  class BenchAdminApp {}
  const app = await NestFactory.create(BenchAdminApp, { logger: false });
  await app.listen(0, '127.0.0.1');
  return app;
}

/** Times `REQUESTS` GETs of the paths `pick(k)` gives; every answer must be 200. */
async function timePages(url: string, pick: (k: number) => string): Promise<number[]> {
  const times: number[] = [];
  for (let k = -5; k < REQUESTS; k++) {
    const t0 = wallNow();
    const path = pick(k + 5);
    const response = await fetch(`${url}${path}`);
    const body = await response.text();
    const ms = wallNow() - t0;
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${body.slice(0, 300)}`);
    if (k >= 0) times.push(ms); // the first five warm up
  }
  return times;
}

async function run(kind: DatabaseKind): Promise<ChildResult> {
  const db = new BenchDatabase(kind, 'a');
  let app: INestApplication | null = null;
  try {
    await db.create();
    const i0 = wallNow();
    await db.insertJobs(storedJobs());
    await insertExecutions(db);
    const insertMs = wallNow() - i0;
    app = await boot(db.dataSource, db.prefix);
    const url = `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/scheduler/api`;
    const job = (k: number) => `j${(k * 7919) % JOBS}`;
    // Pages of 50, the dashboard's page size; a 500-job page (the API's largest) is timed apart (info).
    const jobPages = {
      pages: await timePages(url, (k) => `/jobs?limit=50&offset=${((k * 4999) % Math.max(1, JOBS - 50)) | 0}`),
      search: await timePages(url, (k) => `/jobs?q=${encodeURIComponent(`report ${(k * 37) % 100}`)}&limit=50`),
      paused: await timePages(url, (k) => `/jobs?paused=true&limit=50&offset=${(k * 50) % Math.max(1, JOBS / 10 - 50)}`),
    };
    const bigPage = summarize(await timePages(url, () => '/jobs?limit=500'));
    const since = new Date(NEWEST - 86_400_000).toISOString();
    const executionPages = {
      newest: await timePages(url, (k) => `/executions?limit=50&offset=${(k % 200) * 50}`),
      byJob: await timePages(url, (k) => `/executions?jobId=${job(k)}&limit=50`),
      errors: await timePages(url, (k) => `/executions?status=error&limit=50&offset=${(k % 20) * 50}`),
      lost: await timePages(url, () => '/executions?status=lost&limit=50'),
      lastDay: await timePages(url, () => `/executions?since=${since}&limit=50`),
    };
    const deep = summarize(await timePages(url, () => `/executions?limit=50&offset=${Math.max(0, EXECUTIONS - 100)}`));
    const all = (pages: Record<string, number[]>) => Object.values(pages).flat();
    const jobs = summarize(all(jobPages));
    const executions = summarize(all(executionPages));
    const info: Record<string, number> = {
      jobs: JOBS,
      executions: EXECUTIONS,
      requestsPerKind: REQUESTS,
      bulkInsertMs: Math.round(insertMs),
    };
    for (const [name, times] of Object.entries({ ...jobPages, ...executionPages })) info[`${name}P99Ms`] = +summarize(times).p99.toFixed(2);
    info.jobs500PageP99Ms = +bigPage.p99.toFixed(2);
    info.deepOffsetExecutionsP50Ms = +deep.p50.toFixed(2);
    return {
      metrics: { jobsP99: jobs.p99, jobsP50: jobs.p50, executionsP99: executions.p99, executionsP50: executions.p50 },
      info,
    };
  } finally {
    if (app) await app.close().catch(() => undefined);
    await db.drop();
  }
}

const KINDS: DatabaseKind[] = ['postgres', 'sqlite'];
const target = { text: '< 50 ms', lessThan: 50 };

export const scenario: ScenarioDefinition = {
  name: 'admin-api',
  title: `Admin API pages: ${JOBS.toLocaleString('en')} jobs, ${EXECUTIONS.toLocaleString('en')} execution records`,
  order: 60,
  description:
    'A Nest application (Express) with `SchedulerAdminModule` over a TypeOrmJobStore whose tables hold the jobs (a tenth ' +
    'paused) and the execution records (5 % error, ~1 % missed, a few lost), bulk-inserted. Each request is a real HTTP GET ' +
    "timed from send to the last byte. **List jobs** (50 a page, the dashboard's size; each page also fetches every job's " +
    'latest record): pages at offsets across the table, a text search, the paused filter. **List executions** (50 a page): ' +
    'the newest 200 pages, one ' +
    "job's history, the error pages, the rare `lost` status, the last day. Each page includes its `total`. The p99 is over " +
    'all requests of the list; per kind p99s are in the details, with two not part of the target: a 500-job page (the ' +
    "API's largest) and an executions page at the deepest offset (OFFSET walks the rows it skips). Totals of executions are " +
    'counted up to 100,000 (`totalExact` says when more match).',
  variants: KINDS.map((kind) => ({ id: `ours-${kind}`, role: 'ours' as const, label: `ours (${STORE_LABEL[kind]})` })),
  metrics: [
    { key: 'jobsP99', label: 'list jobs page p99', unit: 'ms', better: 'lower', digits: 2, target },
    { key: 'executionsP99', label: 'list executions page p99', unit: 'ms', better: 'lower', digits: 2, target },
    { key: 'jobsP50', label: 'list jobs page p50', unit: 'ms', better: 'lower', digits: 2 },
    { key: 'executionsP50', label: 'list executions page p50', unit: 'ms', better: 'lower', digits: 2 },
  ],
  timeoutMs: 600_000,
  variantAvailable: (variant) => databaseAvailable(variant),
  run: (variant) => run(storeOf(variant) as DatabaseKind),
};

runIfMain(import.meta.url, scenario);
