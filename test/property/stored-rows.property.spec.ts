/**
 * Rows written into the jobs table behind the scheduler's back (by hand, by a newer version, by a
 * bug): bad JSON, unknown trigger types, next_run_time outside the Date range, negative
 * max_instances, NULLs, ... What comes from the database is validated like input (DESIGN.md,
 * invariant 4): a row that cannot be a job is reported with one jobstore_error (not one per pass),
 * and neither stops a canary job in the same store nor one in a memory store of the same scheduler
 * (invariant 3).
 */
import { afterAll, beforeAll, it } from '@jest/globals';
import fc from 'fast-check';
import { createTrigger, SchedulerError, type JobStoreErrorEvent } from '../../lib/index.js';
import { DATABASES, describeDatabase } from '../support/databases.js';
import { checkProperty, databaseFactory, describeThrown, Harness, runsFor, sleep, timeLimitFor, type StoreFactory } from './harness.js';

/** The jobs table's columns (lib/stores/typeorm/rows/job-row.ts JOB_COLUMNS; internal, so copied here). */
const JOB_COLUMNS = [
  'id',
  'name',
  'handler',
  'args',
  'trigger',
  'executor',
  'coalesce',
  'max_instances',
  'misfire_grace_time',
  'timeout',
  'rerun_on_loss',
  'next_run_time',
] as const;
type Column = (typeof JOB_COLUMNS)[number];

/**
 * How a corrupted row must be treated. 'report': it cannot be a job (addJob would refuse it), so one
 * jobstore_error names it. 'like-input': reported when createTrigger refuses the trigger text,
 * otherwise a job like any other. 'any': a legal value, or one the design leaves open; at most one
 * report.
 */
type Rule = 'report' | 'like-input' | 'any';

interface Corruption {
  column: Column;
  value: unknown;
  rule: Rule;
  label: string;
}

const c = (column: Column, value: unknown, rule: Rule, label = JSON.stringify(value)): Corruption => ({
  column,
  value,
  rule,
  label: `${column}=${label}`,
});

const CORRUPTIONS: readonly Corruption[] = [
  c('args', '[1,', 'report'),
  c('args', '', 'report'),
  c('args', 'null', 'report'),
  c('args', '{"a":1}', 'report'),
  c('args', '"str"', 'report'),
  c('args', 'NaN', 'report'),
  c('args', '[1e999]', 'any'),
  c('args', '["a\\u0000b", "\\ud800"]', 'any'),
  c('trigger', '{"type": "cron", hour: 6', 'report'),
  c('trigger', '', 'report'),
  c('trigger', 'null', 'report'),
  c('trigger', '[]', 'report'),
  c('trigger', '42', 'report'),
  c('trigger', '{"type":"nope"}', 'report'),
  c('trigger', '{"seconds":1}', 'report'),
  c('trigger', '{"type":"interval"}', 'report'),
  c('trigger', '{"type":"interval","seconds":-1}', 'report'),
  c('trigger', '{"type":"interval","seconds":1,"hourz":1}', 'report'),
  c('trigger', '{"type":"cron","hour":25}', 'report'),
  c('trigger', '"not a cron"', 'report'),
  c('trigger', '{"type":"date","runDate":"2020-13-01"}', 'report'),
  c('trigger', '{"type":"date","runDate":"00:35:00"}', 'like-input'),
  c('trigger', '{"type":"and","triggers":[]}', 'report'),
  c('trigger', '{"type":"or","triggers":[{"type":"nope"}]}', 'report'),
  c('trigger', '{"type":"interval","seconds":1,"jitter":1e300}', 'like-input'),
  c('trigger', '{"type":"interval","seconds":1,"startDate":8639999999999000}', 'like-input'),
  c('trigger', '{"type":"cron","month":2,"day":30}', 'like-input'),
  c('trigger', '{"type":"cron","second":"*","timezone":"Mars/Olympus"}', 'report'),
  c('trigger', '{"type":"date","runDate":"2020-01-01T00:00:00Z"}', 'like-input'),
  c(
    'trigger',
    `${'{"type":"and","triggers":['.repeat(3000)}{"type":"interval","seconds":1}${']}'.repeat(3000)}`,
    'like-input',
    "'and' nested 3000 deep",
  ),
  c('next_run_time', 1e18, 'report'),
  c('next_run_time', -1e18, 'report'),
  c('next_run_time', 8.64e15 + 1, 'report'),
  c('next_run_time', -8.64e15 - 1, 'report'),
  c('next_run_time', 0, 'any'),
  c('next_run_time', -1, 'any'),
  c('next_run_time', null, 'any'),
  c('max_instances', -1, 'report'),
  c('max_instances', 0, 'report'),
  c('max_instances', -(2 ** 31), 'report'),
  c('max_instances', 2 ** 31 - 1, 'any'),
  c('misfire_grace_time', -5, 'report'),
  c('misfire_grace_time', null, 'any'),
  c('misfire_grace_time', 1e18, 'any'),
  c('timeout', -1, 'report'),
  c('timeout', 0, 'report'),
  c('timeout', null, 'any'),
  c('handler', '', 'report'),
  c('handler', 'unregistered', 'any'),
  c('executor', '', 'report'),
  c('executor', 'nope', 'any'),
  c('name', '', 'any'),
];

interface BadRow {
  id: string;
  corruptions: Corruption[];
}

let sequence = 0;

/** 1-3 rows, each with 1-2 corruptions, due now unless next_run_time is one of them. */
const badRows: fc.Arbitrary<BadRow[]> = fc
  .array(fc.uniqueArray(fc.constantFrom(...CORRUPTIONS), { minLength: 1, maxLength: 2, selector: (x) => x.column }), {
    minLength: 1,
    maxLength: 3,
  })
  .map((rows) => {
    const value = rows.map((corruptions) => ({ id: '', corruptions }));
    return Object.assign(value, {
      [fc.toStringMethod]: () => `rows[${value.map((r) => `{ ${r.corruptions.map((x) => x.label.slice(0, 80)).join(', ')} }`).join(', ')}]`,
    });
  });

/** Whether the row must be reported, may be, or (after 'like-input' is decided) must not be. */
function mustReport(row: BadRow): boolean {
  return row.corruptions.some((x) => {
    if (x.rule === 'report') return true;
    if (x.rule !== 'like-input') return false;
    try {
      createTrigger(JSON.parse(x.value as string), { timezone: 'UTC' });
      return false;
    } catch (error) {
      return error instanceof SchedulerError;
    }
  });
}

async function insertRow(factory: StoreFactory, row: BadRow): Promise<void> {
  const dataSource = factory.dataSource!;
  const kind = factory.name;
  const bool = (v: boolean) => (kind === 'postgres' ? v : v ? 1 : 0);
  const values: Record<Column, unknown> = {
    id: row.id,
    name: 'row',
    handler: 'noop',
    args: '[]',
    trigger: '{"type":"interval","seconds":1}',
    executor: 'default',
    coalesce: bool(true),
    max_instances: 1,
    misfire_grace_time: null,
    timeout: null,
    rerun_on_loss: bool(false),
    next_run_time: Date.now() - 10,
  };
  for (const { column, value } of row.corruptions) values[column] = value;
  const q = (name: string) => dataSource.driver.escape(name);
  const placeholders = JOB_COLUMNS.map((_, i) => (kind === 'postgres' ? `$${i + 1}` : '?'));
  await dataSource.query(
    `INSERT INTO ${q(`${factory.prefix}jobs`)} (${JOB_COLUMNS.map(q).join(', ')}) VALUES (${placeholders.join(', ')})`,
    JOB_COLUMNS.map((column) => values[column]),
  );
}

/** Long enough for several passes of the loop (pollInterval 100 ms) after the rows are in. */
const OBSERVE_MS = 450;

for (const name of DATABASES) {
  await describeDatabase(name, (db) => {
    let h: Harness;
    let factory: StoreFactory;
    beforeAll(async () => {
      factory = await databaseFactory(db, 'pr');
      h = new Harness(factory, { pollInterval: 100 });
      await h.start();
    }, 30_000);
    afterAll(async () => {
      await h?.stop();
    }, 30_000);

    it(
      'a bad row is reported once with jobstore_error, and jobs in the same store and in a memory store still run on time',
      async () => {
        await checkProperty(
          badRows,
          (rows) =>
            h.runCase(async (hh) => {
              for (const row of rows) row.id = `row-${process.pid}-${++sequence}`;
              const mark = hh.events.length;
              const insertedAt = Date.now();
              for (const row of rows) {
                try {
                  await insertRow(factory, row);
                } catch (error) {
                  // The database refused the value itself: nothing the scheduler could have read.
                  fc.pre(false);
                  throw error;
                }
              }
              // The canaries run while the bad rows are due, then the loop makes a few more passes.
              await hh.canaries();
              await sleep(Math.max(0, insertedAt + OBSERVE_MS - Date.now()));
              // Then every row is read through the public API too (the loop never reads a paused or
              // far-future row): a bad row must still be reported once, however often it is read.
              const jobs = await hh.expect('getJobs() with bad rows in the store', () => hh.scheduler.getJobs());
              for (const job of jobs) {
                if (!(job.nextRunTime === null || (job.nextRunTime instanceof Date && Number.isFinite(job.nextRunTime.getTime())))) {
                  throw new Error(`getJobs() lists job ${job.id} with nextRunTime ${String(job.nextRunTime)}`);
                }
              }
              for (const row of rows) await hh.call(`getJob('${row.id}')`, () => hh.scheduler.getJob(row.id));
              await hh.expect('getJobs() again', () => hh.scheduler.getJobs());
              const reports = hh.since(mark).filter((e): e is JobStoreErrorEvent => e.type === 'jobstore_error');
              const ids = new Set(rows.map((r) => r.id));
              const stray = reports.filter((e) => e.jobId === undefined || !ids.has(e.jobId));
              if (stray.length > 0) {
                throw new Error(
                  `${stray.length} jobstore_error event(s) not about one bad row (a failure of the whole store?): ` +
                    `${stray
                      .slice(0, 2)
                      .map((e) => `jobId=${String(e.jobId)} ${describeThrown(e.error)}`)
                      .join(' | ')}`,
                );
              }
              for (const row of rows) {
                const about = reports.filter((e) => e.jobId === row.id);
                const label = row.corruptions.map((x) => x.label.slice(0, 80)).join(', ');
                if (about.length > 1) {
                  throw new Error(
                    `the row { ${label} } was reported ${about.length} times (once per pass or per read?): ${describeThrown(about[0]!.error)}`,
                  );
                }
                if (about.length === 0 && mustReport(row)) {
                  const job = await hh.attempt('getJob', () => hh.scheduler.getJob(row.id));
                  const seen = job.ok
                    ? job.value
                      ? `getJob reads it as a job, nextRunTime ${String(job.value.nextRunTime)}`
                      : 'getJob is null'
                    : `getJob threw ${describeThrown(job.error)}`;
                  throw new Error(
                    `the row { ${label} } cannot be a job, yet no jobstore_error named it after the loop's passes, getJobs() and getJob() (${seen})`,
                  );
                }
              }
            }),
          runsFor(name, false),
          timeLimitFor(name),
        );
      },
      Number(process.env.PROPERTY_SWEEP) ? 600_000 : 120_000,
    );
  });
}
