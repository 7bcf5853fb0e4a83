import { afterEach, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { Scheduler } from '../../../lib/core/scheduler.js';
import type { JobContext } from '../../../lib/core/jobs/job-options.js';
import type { SchedulerEvent } from '../../../lib/core/events/scheduler-events.js';
import { TypeOrmJobStore } from '../../../lib/stores/typeorm/typeorm.job-store.js';
import { schedulerEntityList } from '../../../lib/stores/typeorm/schema/scheduler-entities.js';
import { describeDatabase, uniquePrefix, type DatabaseName, type TestDatabase } from '../../support/databases.js';

/**
 * The server ends the scheduler's connections while it claims and writes outcomes, as a failover,
 * an idle-connection reaper or an operator's pg_terminate_backend / KILL CONNECTION does: every
 * fire time is still recorded once, runs at most once, and nothing is left 'running'.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const JOBS = 20;
const INTERVAL_MS = 200;
const APPLICATION = 'scheduler-kill-test';

/** Ends every server session of the scheduler's pool (and its lock and LISTEN sessions); returns how many. */
async function killSchedulerSessions(name: DatabaseName, killer: DataSource): Promise<number> {
  if (name === 'postgres') {
    const rows: { pid: number }[] = await killer.query(
      `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`,
      [APPLICATION],
    );
    for (const { pid } of rows) await killer.query('SELECT pg_terminate_backend($1)', [pid]);
    return rows.length;
  }
  // MariaDB has no application name: the scheduler connects as a user of its own.
  const rows: { ID: number | string }[] = await killer.query(
    `SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID()`,
    [APPLICATION],
  );
  for (const { ID } of rows) await killer.query(`KILL CONNECTION ${Number(ID)}`).catch(() => undefined);
  return rows.length;
}

/** The scheduler's own DataSource options: sessions the killer can tell apart from its own. */
async function schedulerSessions(name: DatabaseName, db: TestDatabase, killer: DataSource): Promise<object> {
  if (name === 'postgres') return { applicationName: APPLICATION };
  await killer.query(`CREATE USER IF NOT EXISTS '${APPLICATION}'@'%'`);
  await killer.query(`GRANT ALL PRIVILEGES ON test.* TO '${APPLICATION}'@'%'`);
  db.afterAll(() => killer.query(`DROP USER IF EXISTS '${APPLICATION}'@'%'`));
  return { username: APPLICATION, password: '' };
}

for (const name of ['postgres', 'mariadb'] as const) {
  await describeDatabase(name, (db) => {
    let scheduler: Scheduler | undefined;
    afterEach(async () => {
      if (scheduler && scheduler.state !== 'stopped') await scheduler.shutdown({ wait: false });
    });

    it('records no fire time twice and runs none twice while its connections are killed during claims and outcome writes, then runs every one, with the defaults', async () => {
      const prefix = uniquePrefix('kill');
      db.dropTablesAfterAll(prefix);
      const killer = await db.dataSource({ entities: schedulerEntityList(prefix), synchronize: true });
      const dataSource = await db.dataSource({ entities: schedulerEntityList(prefix), ...(await schedulerSessions(name, db, killer)) });
      const events: SchedulerEvent[] = [];
      scheduler = new Scheduler({
        timezone: 'UTC',
        stores: { default: new TypeOrmJobStore({ dataSource, tablePrefix: prefix }) },
        logger: { log: () => {}, warn: () => {}, error: () => {} },
      });
      scheduler.events$.subscribe((e) => events.push(e));
      // From the handlers' side: every call, by (job, fire time, attempt).
      const calls = new Map<string, number>();
      scheduler.registry.register('tick', (ctx: JobContext) => {
        const key = `${ctx.jobId}@${ctx.scheduledRunTime.getTime()}#${ctx.attempt}`;
        calls.set(key, (calls.get(key) ?? 0) + 1);
      });
      await scheduler.start();
      const start = Math.ceil((Date.now() + 1500) / 1000) * 1000;
      for (let i = 0; i < JOBS; i++) {
        await scheduler.addJob({
          id: `tick-${i}`,
          handler: 'tick',
          trigger: { type: 'interval', milliseconds: INTERVAL_MS, startDate: new Date(start) },
        });
      }
      // 1 s healthy, then every session killed every 10 ms for 3 s, then 5 s healthy.
      await sleep(start + 1000 - Date.now());
      let killed = 0;
      const faultsEnd = Date.now() + 3000;
      while (Date.now() < faultsEnd) {
        killed += await killSchedulerSessions(name, killer);
        await sleep(10);
      }
      await sleep(5000);
      const end = Date.now();
      await scheduler.shutdown({ wait: true });

      const q = (c: string) => killer.driver.escape(c);
      const rows: { job: string; time: string | number; attempt: string | number; status: string }[] = await killer.query(
        `SELECT ${q('job_id')} AS job, ${q('scheduled_run_time')} AS time, ${q('attempt')} AS attempt, ${q('status')} AS status` +
          ` FROM ${q(`${prefix}executions`)}`,
      );
      const records = rows.map((r) => ({
        key: `${r.job}@${Number(r.time)}#${Number(r.attempt)}`,
        job: r.job,
        time: Number(r.time),
        status: r.status,
      }));

      const count = (status: string) => records.filter((r) => r.status === status).length;
      const storeErrors = events.filter((e) => e.type === 'jobstore_error').length;
      console.log(
        `${name}: ${killed} sessions killed; ${records.length} records: ${count('executed')} executed, ${count('missed')} missed; ${storeErrors} jobstore_error`,
      );
      expect(killed).toBeGreaterThan(10);
      expect(events.some((e) => e.type === 'jobstore_error')).toBe(true);
      // Nothing left running, nothing recorded twice, nothing run twice.
      expect(records.filter((r) => r.status === 'running')).toEqual([]);
      expect(records.length).toBe(new Set(records.map((r) => r.key)).size);
      expect([...calls.entries()].filter(([, n]) => n > 1)).toEqual([]);
      // What ran is what is recorded executed, and the other way round.
      const executed = records.filter((r) => r.status === 'executed').map((r) => r.key);
      expect(executed.sort()).toEqual([...calls.keys()].sort());
      // Every record is of a fire time on the job's grid. While claims failed for longer than the
      // interval, coalesce (default true) merged the backlog into one run, so some grid times have
      // no record (as in APScheduler).
      const onGrid = (t: number) => t >= start && (t - start) % INTERVAL_MS === 0;
      expect(records.filter((r) => !onGrid(r.time)).map((r) => r.key)).toEqual([]);
      expect(records.filter((r) => !['executed', 'missed'].includes(r.status))).toEqual([]);
      // After the last failure the next claim (the store's retries back off, doubling from 100 ms)
      // runs each job's backlog as one run at its latest fire time; from there every fire time runs.
      const lastError = Math.max(...events.filter((e) => e.type === 'jobstore_error').map((e) => e.timestamp.getTime()));
      expect(end - lastError).toBeGreaterThan(2000);
      for (let i = 0; i < JOBS; i++) {
        const after = records.filter((r) => r.job === `tick-${i}` && r.time >= lastError + INTERVAL_MS).sort((x, y) => x.time - y.time);
        const first = after[0]?.time ?? Number.NaN;
        const last = after[after.length - 1]?.time ?? Number.NaN;
        expect({ job: i, ranUntilTheEnd: last > end - 1000 }).toEqual({ job: i, ranUntilTheEnd: true });
        const grid = Array.from({ length: (last - first) / INTERVAL_MS + 1 }, (_, k) => first + k * INTERVAL_MS);
        expect({ job: i, times: after.map((r) => `${r.time}:${r.status}`) }).toEqual({ job: i, times: grid.map((t) => `${t}:executed`) });
      }
    }, 60_000);
  });
}
