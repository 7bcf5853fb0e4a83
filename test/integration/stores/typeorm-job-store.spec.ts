import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ConflictingIdError, SerializationError } from '../../../lib/core/errors.js';
import type { JobStoreErrorEvent } from '../../../lib/core/events/scheduler-events.js';
import type { Claim } from '../../../lib/core/loop/claim.js';
import type { PlanFunction, StoreContext } from '../../../lib/stores/job-store.js';
import {
  createSchedulerEntities,
  createSchedulerMigrations,
  SCHEDULER_ENTITIES,
  SchedulerMigrations,
  schedulerEntityList,
  schedulerTableNames,
  TypeOrmJobStore,
} from '../../../lib/stores/typeorm/index.js';
import { JobSql } from '../../../lib/stores/typeorm/sql/job-sql.js';
import { SqlDialect } from '../../../lib/stores/typeorm/sql/sql-dialect.js';
import { hasSkipLocked } from '../../../lib/stores/typeorm/store-connection.js';
import { UnreadableJobs } from '../../../lib/stores/typeorm/rows/unreadable-jobs.js';
import { DATABASES, describeDatabase, uniquePrefix, type TestDatabase } from '../../support/databases.js';
import { at, emptyPlan, everySecond, makeJob, outcome, recordingContext, runJobStoreContract, spyPlan, T0 } from './job-store.contract.js';

/**
 * The tests' runs happen at T0, in 2024: past the default retention (7 days), the store would prune
 * their records when it starts. Tests of the store's rules keep every record.
 */
const KEEP_HISTORY = { executionRetention: null };

/**
 * Stores a test started: shut down after it, so their heartbeat rows and instance locks go (a
 * second store with the same instance id on the same tables is refused while one holds the lock).
 */
const started: TypeOrmJobStore[] = [];
async function startTracked(store: TypeOrmJobStore, ctx: StoreContext): Promise<void> {
  started.push(store);
  await store.start(ctx);
}
afterEach(async () => {
  for (const store of started.splice(0)) await store.shutdown().catch(() => undefined);
});

/** Empties a prefix's tables: each contract test starts from an empty store. */
async function clearTables(dataSource: DataSource, prefix: string): Promise<void> {
  const names = schedulerTableNames(prefix);
  for (const table of [names.jobs, names.executions, names.instances]) {
    await dataSource.query(`DELETE FROM ${dataSource.driver.escape(table)}`);
  }
}

/** A DataSource with the tables of `prefix` created by synchronize, dropped after the suite. */
async function synchronizedDataSource(db: TestDatabase, prefix: string, extra: object = {}): Promise<DataSource> {
  const dataSource = await db.dataSource({ entities: schedulerEntityList(prefix), synchronize: true, ...extra });
  db.dropTablesAfterAll(prefix);
  return dataSource;
}

/** Inserts many jobs in bulk through the entity, far faster than one addJob each. */
async function insertJobs(dataSource: DataSource, prefix: string, count: number, nextRunTime: Date): Promise<void> {
  const repository = dataSource.getRepository(createSchedulerEntities(prefix).job);
  const rows = Array.from({ length: count }, (_, i) => ({
    id: `bulk-${String(i).padStart(5, '0')}`,
    name: `bulk ${i}`,
    handler: 'Bulk.run',
    args: '[]',
    trigger: '{"type":"interval","seconds":1}',
    executor: 'default',
    coalesce: true,
    maxInstances: 1,
    misfireGraceTime: null,
    timeout: null,
    rerunOnLoss: false,
    nextRunTime,
  }));
  for (let i = 0; i < rows.length; i += 500) await repository.insert(rows.slice(i, i + 500));
}

/** Runs each job once: its next fire time moves an hour on, past every `now` the tests use. */
const onceThenLater: PlanFunction = (job) =>
  emptyPlan({ runTimes: [job.nextRunTime!], nextRunTime: new Date(job.nextRunTime!.getTime() + 3_600_000) });

describe('TypeORM entities and migrations (no database)', () => {
  it('knows which MySQL-family servers have SKIP LOCKED', () => {
    expect(hasSkipLocked('10.11.6-MariaDB-0+deb12u1')).toBe(true);
    expect(hasSkipLocked('10.6.0-MariaDB')).toBe(true);
    expect(hasSkipLocked('10.5.23-MariaDB')).toBe(false);
    expect(hasSkipLocked('11.4.2-MariaDB')).toBe(true);
    expect(hasSkipLocked('8.0.36')).toBe(true);
    expect(hasSkipLocked('8.0.0-dmr')).toBe(false);
    expect(hasSkipLocked('5.7.44-log')).toBe(false);
  });

  it('uses the scheduler_ prefix by default', () => {
    expect(SCHEDULER_ENTITIES.map((e) => e.options.tableName)).toEqual(['scheduler_jobs', 'scheduler_executions', 'scheduler_instances']);
    expect(SchedulerMigrations).toHaveLength(1);
    expect(new SchedulerMigrations[0]!().name).toBe('SchedulerCreateTables1767225600000');
    expect(new (createSchedulerMigrations('app_')[0]!)().name).toBe('SchedulerCreateTables_app__1767225600000');
  });

  it('rejects a prefix that cannot be spliced into SQL', () => {
    expect(() => schedulerTableNames('bad-prefix')).toThrow(/tablePrefix/);
    expect(() => schedulerTableNames('x'.repeat(60))).toThrow(/too long/);
  });
});

for (const name of DATABASES) {
  await describeDatabase(name, (db) => {
    describe('contract', () => {
      const prefix = uniquePrefix('c');
      let dataSource: DataSource;
      beforeAll(async () => {
        dataSource = await synchronizedDataSource(db, prefix);
      });
      runJobStoreContract(`TypeOrmJobStore (${name})`, async () => {
        await clearTables(dataSource, prefix);
        return new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
      });
    });

    describe('setup', () => {
      const prefix = uniquePrefix('s');
      const other = uniquePrefix('o');
      let dataSource: DataSource;
      beforeAll(async () => {
        dataSource = await db.dataSource({ entities: [...schedulerEntityList(prefix), ...schedulerEntityList(other)], synchronize: true });
        db.dropTablesAfterAll(prefix);
        db.dropTablesAfterAll(other);
      });

      it('keeps each table prefix apart', async () => {
        const a = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
        const b = new TypeOrmJobStore({ dataSource, tablePrefix: other });
        await startTracked(a, recordingContext());
        await startTracked(b, recordingContext());
        await a.addJob(makeJob('same-id', { name: 'in a' }));
        await b.addJob(makeJob('same-id', { name: 'in b' }));
        expect((await a.lookupJob('same-id'))?.name).toBe('in a');
        expect((await b.lookupJob('same-id'))?.name).toBe('in b');
        await a.claimDueJobs(T0, 10, everySecond);
        expect(await a.getExecutions({})).toHaveLength(1);
        expect(await b.getExecutions({})).toHaveLength(0);
        expect((await b.lookupJob('same-id'))?.nextRunTime).toEqual(T0);
        const tables = await dataSource.createQueryRunner().getTables([`${prefix}jobs`, `${other}jobs`]);
        expect(tables.map((t) => t.name.replace(/^.*\./, '')).sort()).toEqual([`${prefix}jobs`, `${other}jobs`].sort());
      });

      it('requires an initialized DataSource and never opens it itself', async () => {
        const closed = new (dataSource.constructor as typeof DataSource)(db.options({ entities: schedulerEntityList(prefix) }));
        const store = new TypeOrmJobStore({ dataSource: closed, tablePrefix: prefix });
        await expect(store.start(recordingContext())).rejects.toThrow(/DataSource is not initialized/);
        expect(closed.isInitialized).toBe(false);
      });

      it('explains how to create the tables when they are missing', async () => {
        const store = new TypeOrmJobStore({ dataSource, tablePrefix: uniquePrefix('missing') });
        const error = (await store.start(recordingContext()).catch((e: unknown) => e)) as Error;
        expect(error.message).toMatch(/SCHEDULER_ENTITIES/);
        expect(error.message).toMatch(/SchedulerMigrations/);
        expect(error.message).toMatch(/missing_[0-9a-f]+_jobs/);
      });

      it('is shared unless it is an in-memory SQLite database', async () => {
        expect(new TypeOrmJobStore({ dataSource }).shared).toBe(true);
        expect(new TypeOrmJobStore({ dataSource }).persistent).toBe(true);
        if (name === 'sqlite') {
          const memory = new (dataSource.constructor as typeof DataSource)({ type: 'better-sqlite3', database: ':memory:' });
          expect(new TypeOrmJobStore({ dataSource: memory }).shared).toBe(false);
        }
      });
    });

    describe('migrations', () => {
      const prefix = uniquePrefix('m');
      const migrationsTableName = `${prefix}migrations`;
      let dataSource: DataSource;
      beforeAll(async () => {
        dataSource = await db.dataSource({
          // Listed only to compare the migrated schema with what synchronize would make.
          entities: schedulerEntityList(prefix),
          migrations: createSchedulerMigrations(prefix),
          migrationsTableName,
          synchronize: false,
        });
        db.dropTablesAfterAll(prefix, ['jobs', 'executions', 'instances', 'migrations']);
      });

      it('create a schema the store works with, identical to synchronize', async () => {
        const applied = await dataSource.runMigrations();
        expect(applied.map((m) => m.name)).toEqual([`SchedulerCreateTables_${prefix}_1767225600000`]);
        expect(await dataSource.runMigrations()).toEqual([]);

        const pending = await dataSource.driver.createSchemaBuilder().log();
        expect(pending.upQueries.map((q) => q.query)).toEqual([]);

        const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
        await startTracked(store, recordingContext());
        await store.addJob(makeJob('migrated', { nextRunTime: at(250) }));
        await expect(store.addJob(makeJob('migrated'))).rejects.toBeInstanceOf(ConflictingIdError);
        const [claim] = await store.claimDueJobs(at(250), 10, everySecond);
        expect(claim!.runs[0]!.runTime).toEqual(at(250));
        expect((await store.getExecutions({ jobId: 'migrated' }))[0]!.scheduledRunTime).toEqual(at(250));
        await store.shutdown();
      });

      it('keep one execution record per (job, scheduled run time, attempt), the first run being attempt 1', async () => {
        const executions = dataSource.getRepository(`${prefix}executions`);
        const row = (id: string, attempt?: number) => ({
          id,
          jobId: 'attempts',
          scheduledRunTime: at(300),
          ...(attempt === undefined ? {} : { attempt }),
          status: 'error',
          instanceId: 'instance-a',
        });
        await executions.insert(row('first'));
        await executions.insert(row('second', 2));
        await expect(executions.insert(row('again', 2))).rejects.toThrow();
        await expect(executions.insert(row('first-again', 1))).rejects.toThrow();
        const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
        await startTracked(store, recordingContext());
        const found = await store.getExecutions({ jobId: 'attempts' });
        expect(found.map((e) => [e.id, e.attempt]).sort()).toEqual([
          ['first', 1],
          ['second', 2],
        ]);
        await store.shutdown();
      });

      it('drop the tables when reverted', async () => {
        await dataSource.undoLastMigration();
        const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
        await expect(store.start(recordingContext())).rejects.toThrow(/SchedulerMigrations/);
      });
    });

    describe('claims', () => {
      const prefix = uniquePrefix('k');
      let dataSource: DataSource;
      let second: DataSource;
      beforeAll(async () => {
        dataSource = await synchronizedDataSource(db, prefix);
        // A second connection pool (a second file handle on SQLite): another process, as far as locking goes.
        second = await db.dataSource({ entities: schedulerEntityList(prefix) });
      });
      afterEach(async () => {
        await clearTables(dataSource, prefix);
      });

      it("writes an outcome only on a record still running in the writer's name, and reports the others once", async () => {
        const a = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
        const b = new TypeOrmJobStore({ dataSource: second, tablePrefix: prefix, ...KEEP_HISTORY });
        const ctxA = recordingContext('instance-a');
        const ctxB = recordingContext('instance-b');
        await startTracked(a, ctxA);
        await startTracked(b, ctxB);
        await a.addJob(makeJob('x', { nextRunTime: at(0) }));
        await a.addJob(makeJob('y', { nextRunTime: at(0) }));
        const claims = await a.claimDueJobs(T0, 10, everySecond);
        const ids = claims.map((c) => c.runs[0]!.executionId);
        // b is not their owner (a replica that was taken for dead, with a stale idea of its runs).
        await b.finishExecutions(ids.map((executionId) => ({ executionId, outcome: outcome('executed', at(1)) })));
        expect((await a.getExecutions({})).map((e) => e.status)).toEqual(['running', 'running']);
        const fenced = ctxB.events.filter((e) => e.type === 'jobstore_error');
        expect(fenced).toHaveLength(1);
        expect((fenced[0] as JobStoreErrorEvent).error.message).toMatch(/2 outcome\(s\) of instance 'instance-b' were not written/);
        // The owner writes them; writing again (a retried write whose answer was lost) is quiet.
        const items = ids.map((executionId) => ({ executionId, outcome: outcome('executed', at(1)) }));
        await a.finishExecutions(items);
        await a.finishExecutions(items);
        expect((await a.getExecutions({})).map((e) => e.status)).toEqual(['executed', 'executed']);
        expect(ctxA.events.filter((e) => e.type === 'jobstore_error')).toEqual([]);
        await a.shutdown();
        await b.shutdown();
      });

      if (name !== 'sqlite') {
        it('refuses a second live store with the same instance id (its session lock is held), and takes it once the first stops', async () => {
          const first = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
          const twin = new TypeOrmJobStore({ dataSource: second, tablePrefix: prefix, ...KEEP_HISTORY });
          await startTracked(first, recordingContext('twin'));
          await expect(twin.start(recordingContext('twin'))).rejects.toThrow(/holds the session lock of instance 'twin'/);
          await first.shutdown();
          await startTracked(twin, recordingContext('twin'));
        });
      }

      it('gives back only runs still running in its name, not those the others decided while it was taken for dead', async () => {
        const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
        await startTracked(store, recordingContext('release-self'));
        for (const id of ['lost', 'taken', 'mine']) await store.addJob(makeJob(id, { nextRunTime: at(0) }));
        const claims = await store.claimDueJobs(at(0), 10, onceThenLater);
        const run = (id: string) => claims.find((c) => c.job.id === id)!.runs[0]!;
        // Meanwhile a survivor decided two of them: one marked lost, one taken over to run again.
        const q = (column: string) => dataSource.driver.escape(column);
        const table = q(`${prefix}executions`);
        const param = (i: number) => (name === 'postgres' ? `$${i}` : '?');
        await dataSource.query(`UPDATE ${table} SET ${q('status')} = 'lost' WHERE ${q('id')} = ${param(1)}`, [run('lost').executionId]);
        await dataSource.query(`UPDATE ${table} SET ${q('instance_id')} = 'release-peer' WHERE ${q('id')} = ${param(1)}`, [
          run('taken').executionId,
        ]);
        await store.releaseRuns(['lost', 'taken', 'mine'].map((id) => ({ jobId: id, ...run(id) })));
        // Its own run went back (record gone, time restored); the others' decisions stand.
        const later = at(3_600_000);
        expect(await Promise.all(['lost', 'taken', 'mine'].map(async (id) => (await store.lookupJob(id))?.nextRunTime))).toEqual([
          later,
          later,
          at(0),
        ]);
        const records = await store.getExecutions({});
        expect(records.map((e) => `${e.jobId} ${e.status} ${e.instanceId}`).sort()).toEqual([
          'lost lost release-self',
          'taken running release-peer',
        ]);
      });

      it('claims nothing for an instance the others took for dead: the claim finds it out, and it registers again first', async () => {
        const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
        const ctx = recordingContext('fenced-claimer');
        const aborted: unknown[] = [];
        ctx.abortRuns = (reason) => void aborted.push(reason);
        await startTracked(store, ctx);
        await store.addJob(makeJob('x', { nextRunTime: at(0) }));
        const q = (column: string) => dataSource.driver.escape(column);
        const row = async () =>
          (
            await dataSource.query(
              `SELECT ${q('started_at')} AS s FROM ${q(`${prefix}instances`)} WHERE ${q('instance_id')} = 'fenced-claimer'`,
            )
          )[0];
        const registered = Number((await row()).s);
        // It stalled; a survivor took it for dead and deleted its row (and decided its runs).
        await dataSource.query(`DELETE FROM ${q(`${prefix}instances`)} WHERE ${q('instance_id')} = 'fenced-claimer'`);
        const claims = await store.claimDueJobs(T0, 10, onceThenLater);
        // Its first claim after the stall found it out, before its next heartbeat (5 s on), and
        // before it recorded a run the survivors' next look would take for a dead instance's.
        const fenced = ctx.events.filter((e): e is JobStoreErrorEvent => e.type === 'jobstore_error');
        expect(fenced.map((e) => e.error.name)).toEqual(['InstanceFencedError']);
        expect(aborted).toHaveLength(1);
        // Then it claimed as a new incarnation: a new row, its run recorded in its name.
        expect(Number((await row())?.s)).toBeGreaterThan(registered);
        expect(claims.map((c) => c.job.id)).toEqual(['x']);
        expect((await store.getExecutions({})).map((e) => `${e.status} ${e.instanceId}`)).toEqual(['running fenced-claimer']);
        // A heartbeat or claim of the old registration still on its way when the rejoin landed
        // finds no row either: it must not make the instance rejoin (and abort its runs) again.
        const monitor = (store as unknown as { monitor: { rejoin(registration: number): Promise<void> } }).monitor;
        await monitor.rejoin(registered);
        expect(aborted).toHaveLength(1);
        // And the next claim is an ordinary one.
        await store.addJob(makeJob('y', { nextRunTime: at(0) }));
        expect((await store.claimDueJobs(T0, 10, onceThenLater)).map((c) => c.job.id)).toEqual(['y']);
        expect(ctx.events.filter((e) => e.type === 'jobstore_error')).toHaveLength(1);
        // An extra run (runJobNow) is a claim too.
        await store.addJob(makeJob('z', { nextRunTime: at(60_000) }));
        const second = Number((await row()).s);
        await dataSource.query(`DELETE FROM ${q(`${prefix}instances`)} WHERE ${q('instance_id')} = 'fenced-claimer'`);
        expect(await store.startExtraRun('z', at(5000))).toEqual(expect.any(String));
        expect(ctx.events.filter((e) => e.type === 'jobstore_error')).toHaveLength(2);
        expect(Number((await row())?.s)).toBeGreaterThan(second);
      });

      it('hands each due (job, time) to exactly one of several concurrent claimers', async () => {
        await insertJobs(dataSource, prefix, 500, T0);
        const stores = [dataSource, dataSource, second, second].map((ds, i) => {
          const store = new TypeOrmJobStore({ dataSource: ds, tablePrefix: prefix, ...KEEP_HISTORY });
          return { store, ctx: recordingContext(`instance-${i}`) };
        });
        for (const { store, ctx } of stores) await startTracked(store, ctx);
        // Three fire times per job (T0, +1 s, +2 s); claimers move through them at their own pace.
        const claimed = await Promise.all(
          stores.map(async ({ store }) => {
            const mine: Claim[] = [];
            for (let round = 0; round < 3; round++) {
              for (;;) {
                const claims = await store.claimDueJobs(at(round * 1000), 20, everySecond);
                if (claims.length === 0) break;
                mine.push(...claims);
              }
            }
            return mine;
          }),
        );
        const keys = claimed.flat().map((c) => `${c.job.id}@${c.runs[0]!.runTime.getTime() - T0.getTime()}`);
        expect(keys).toHaveLength(1500);
        expect(new Set(keys).size).toBe(1500);
        for (const offset of [0, 1000, 2000]) expect(keys.filter((k) => k.endsWith(`@${offset}`))).toHaveLength(500);
        const [count] = await dataSource.query(
          `SELECT COUNT(*) AS n, COUNT(DISTINCT ${dataSource.driver.escape('job_id')}) AS jobs FROM ${dataSource.driver.escape(`${prefix}executions`)}`,
        );
        expect([Number(count.n), Number(count.jobs)]).toEqual([1500, 500]);
        console.log(`${name}: 500 jobs x 3 fire times claimed by 4 concurrent claimers as ${claimed.map((c) => c.length).join(' + ')}`);
      });

      if (name !== 'sqlite') {
        it('takes no live instance for dead when every session lock ends at once, as in a database restart', async () => {
          await insertJobs(dataSource, prefix, 1, T0);
          const ids = ['regain-a', 'regain-b'];
          const a = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
          const b = new TypeOrmJobStore({ dataSource: second, tablePrefix: prefix, ...KEEP_HISTORY });
          const [ctxA, ctxB] = ids.map((id) => recordingContext(id));
          await startTracked(a, ctxA!);
          await startTracked(b, ctxB!);
          // A run in progress on a: it must stay a's, not become 'lost'.
          const [claim] = await a.claimDueJobs(at(0), 10, onceThenLater);
          const executionId = claim!.runs[0]!.executionId;
          const killer = second.createQueryRunner();
          try {
            for (let round = 0; round < 3; round++) {
              // The server ends both lock sessions at the same moment; each store finds its own gone
              // at its next look (every second, at its own phase) and takes its lock again.
              if (name === 'postgres') {
                await killer.query(
                  "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%advisory%' AND pid <> pg_backend_pid()",
                );
              } else {
                for (const id of ids) {
                  const lock = `apscheduler:${createHash('sha1').update(`test//${prefix}instances\u0000${id}`).digest('hex')}`;
                  const [row] = await killer.query('SELECT IS_USED_LOCK(?) AS holder', [lock]);
                  if (row?.holder !== null && row?.holder !== undefined) await killer.query(`KILL CONNECTION ${Number(row.holder)}`);
                }
              }
              await new Promise((resolve) => setTimeout(resolve, 2500));
            }
          } finally {
            await killer.release();
          }
          const lostOrFenced = [...ctxA!.events, ...ctxB!.events].filter(
            (e) =>
              e.type === 'job_lost' ||
              (e.type === 'jobstore_error' && /taken for dead/.test(String((e as JobStoreErrorEvent).error?.message))),
          );
          expect(lostOrFenced).toEqual([]);
          const [record] = await a.getExecutions({ jobId: 'bulk-00000' });
          expect({ id: record?.id, status: record?.status }).toEqual({ id: executionId, status: 'running' });
          // Both hold their locks again: a kill -9 of either would still be found.
          const [count] = await dataSource.query(`SELECT COUNT(*) AS n FROM ${dataSource.driver.escape(`${prefix}instances`)}`);
          expect(Number(count.n)).toBe(2);
        }, 20_000);

        it('takes its fair share of what is due while another instance is alive, and the whole once it is gone', async () => {
          await insertJobs(dataSource, prefix, 10, T0);
          const peer = new TypeOrmJobStore({ dataSource: second, tablePrefix: prefix, ...KEEP_HISTORY });
          const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
          await startTracked(peer, recordingContext('share-peer'));
          const ctx = recordingContext('share-self');
          await startTracked(store, ctx);
          // Half of 10 due, then half of the rest (rounded up) each time: what the peer leaves is taken.
          const wakeUps = ctx.wakeUps;
          const sizes: number[] = [];
          for (let claims; (claims = await store.claimDueJobs(at(0), 1000, onceThenLater)).length > 0;) sizes.push(claims.length);
          expect(sizes).toEqual([5, 3, 1, 1]);
          // It left runs to the peer: it looks again just after the instant, for what the peer did not take.
          await new Promise((resolve) => setTimeout(resolve, 200));
          expect(ctx.wakeUps).toBeGreaterThan(wakeUps);
          // The peer stops: at the next look at the session locks (every second) the share is everything.
          await peer.shutdown();
          for (const table of ['jobs', 'executions'])
            await dataSource.query(`DELETE FROM ${dataSource.driver.escape(`${prefix}${table}`)}`);
          await insertJobs(dataSource, prefix, 10, T0);
          await new Promise((resolve) => setTimeout(resolve, 1500));
          expect(await store.claimDueJobs(at(0), 1000, onceThenLater)).toHaveLength(10);
        });

        it('skips rows another transaction holds and locks no more than its limit', async () => {
          await insertJobs(dataSource, prefix, 200, T0);
          const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
          await startTracked(store, recordingContext());
          // Another process, mid-claim: the store's own due-rows query, limit 20, in an open transaction.
          const dialect = new SqlDialect(name === 'postgres' ? 'postgres' : 'mysql', true);
          const dueQuery = new JobSql(dialect, schedulerTableNames(prefix)).selectDueJobs(at(0).getTime(), 20, new UnreadableJobs());
          const other = second.createQueryRunner();
          await other.startTransaction('READ COMMITTED');
          try {
            const held: { id: string }[] = await other.query(dueQuery.sql, dueQuery.params);
            expect(held).toHaveLength(20);
            // Neither waits for the other's locks nor finds everything locked (MariaDB without the
            // index hint would have locked all 200 due rows).
            const claims = await store.claimDueJobs(at(0), 20, onceThenLater);
            expect(claims).toHaveLength(20);
            const heldIds = new Set(held.map((r) => r.id));
            expect(claims.filter((c) => heldIds.has(c.job.id))).toEqual([]);
          } finally {
            await other.rollbackTransaction();
            await other.release();
          }
        });
      }

      it('raises ConflictingIdError for all but one of concurrent adds of one id', async () => {
        const stores = [dataSource, second].map((ds) => new TypeOrmJobStore({ dataSource: ds, tablePrefix: prefix, ...KEEP_HISTORY }));
        for (const [i, store] of stores.entries()) await startTracked(store, recordingContext(`writer-${i}`));
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) => stores[i % 2]!.addJob(makeJob('race', { name: `writer ${i}` }))),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(rejected).toHaveLength(7);
        for (const r of rejected) expect(r.reason).toBeInstanceOf(ConflictingIdError);
      });

      it('claims 10,000 jobs due at the same instant quickly', async () => {
        await insertJobs(dataSource, prefix, 10_000, T0);
        const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
        await startTracked(store, recordingContext());
        const limit = 1000;
        const started = performance.now();
        let total = 0;
        for (;;) {
          const claims = await store.claimDueJobs(at(0), limit, onceThenLater);
          if (claims.length === 0) break;
          total += claims.length;
        }
        const elapsed = performance.now() - started;
        console.log(`${name}: claimed 10,000 due jobs in ${elapsed.toFixed(0)} ms (limit ${limit} per claim)`);
        expect(total).toBe(10_000);
        expect(await store.getNextRunTime()).toEqual(at(3_600_000));
        if (name === 'postgres') expect(elapsed).toBeLessThan(2000);
      }, 120_000);
    });

    describe('unreadable rows', () => {
      const prefix = uniquePrefix('u');
      let dataSource: DataSource;
      const q = (id: string) => (dataSource ? dataSource.driver.escape(id) : id);
      const corrupt = (id: string, column: 'args' | 'trigger' | 'retry', value: string) =>
        dataSource.query(
          `UPDATE ${q(`${prefix}jobs`)} SET ${q(column)} = ${name === 'postgres' ? '$1' : '?'} WHERE ${q('id')} = ${name === 'postgres' ? '$2' : '?'}`,
          [value, id],
        );
      beforeAll(async () => {
        dataSource = await synchronizedDataSource(db, prefix);
      });
      afterEach(async () => {
        await clearTables(dataSource, prefix);
      });

      it('reports a row with unparsable JSON once, skips it and keeps claiming the others', async () => {
        const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
        const ctx = recordingContext('instance-a', 'db');
        await startTracked(store, ctx);
        await store.addJob(makeJob('bad', { nextRunTime: at(-5000) }));
        await store.addJob(makeJob('good1', { nextRunTime: at(-1000) }));
        await store.addJob(makeJob('good2', { nextRunTime: at(0) }));
        await corrupt('bad', 'trigger', '{"type": "cron", hour: 6');

        // The bad row is the earliest; with limit 1 it must not take the only place.
        expect((await store.claimDueJobs(T0, 1, onceThenLater)).map((c) => c.job.id)).toEqual(['good1']);
        expect(ctx.events).toHaveLength(1);
        const event = ctx.events[0] as JobStoreErrorEvent;
        expect(event).toMatchObject({ type: 'jobstore_error', store: 'db', jobId: 'bad', instanceId: 'instance-a' });
        expect(event.error.message).toMatch(/'bad'/);
        expect(event.error.message).toMatch(/'trigger'/);

        expect((await store.claimDueJobs(T0, 10, onceThenLater)).map((c) => c.job.id)).toEqual(['good2']);
        expect(await store.claimDueJobs(T0, 10, onceThenLater)).toEqual([]);
        // The loop must not spin on a due time it can never claim.
        expect(await store.getNextRunTime()).toEqual(at(-1000 + 3_600_000));
        expect((await store.getAllJobs()).map((j) => j.id)).toEqual(['good1', 'good2']);
        expect(await store.lookupJob('bad')).toBeNull();
        expect(ctx.events).toHaveLength(1);

        // Left in place, and back once someone fixes it.
        await corrupt('bad', 'trigger', '{"type":"cron","hour":6}');
        expect(await store.getNextRunTime()).toEqual(at(-5000));
        const [claim] = await store.claimDueJobs(T0, 10, onceThenLater);
        expect(claim!.job).toMatchObject({ id: 'bad', trigger: { type: 'cron', hour: 6 } });
        expect(ctx.events).toHaveLength(1);
      });

      it('reports a row whose retry policy the scheduler refuses, skips it, and takes it back once fixed', async () => {
        const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
        const ctx = recordingContext();
        await startTracked(store, ctx);
        const policy = { attempts: 1, delay: 1000, backoff: 'fixed' as const, maxDelay: null, jitter: 0 };
        await store.addJob(makeJob('retrier', { nextRunTime: at(-1), retry: policy }));
        await store.addJob(makeJob('plain', { nextRunTime: at(0) }));
        await corrupt('retrier', 'retry', '{"attempts": 1, "backoff": "linear"}');
        expect((await store.claimDueJobs(T0, 10, onceThenLater)).map((c) => c.job.id)).toEqual(['plain']);
        expect(ctx.events).toHaveLength(1);
        expect((ctx.events[0] as JobStoreErrorEvent).error.message).toMatch(/'retrier'.*'retry'.*backoff/s);
        await corrupt('retrier', 'retry', '{"attempts": 3}');
        const [claim] = await store.claimDueJobs(T0, 10, onceThenLater);
        expect(claim!.job.retry).toEqual({ ...policy, attempts: 3 });
      });

      it('names the args column, reports a new breakage again, and recovers through updateJob', async () => {
        const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
        const ctx = recordingContext();
        await startTracked(store, ctx);
        await store.addJob(makeJob('argsy', { nextRunTime: at(0) }));
        await corrupt('argsy', 'args', '{"not": "an array"}');
        expect(await store.getAllJobs()).toEqual([]);
        expect(await store.claimDueJobs(T0, 10, onceThenLater)).toEqual([]);
        expect(ctx.events).toHaveLength(1);
        expect((ctx.events[0] as JobStoreErrorEvent).error.message).toMatch(/'args'/);

        await corrupt('argsy', 'args', '[1,');
        expect(await store.claimDueJobs(T0, 10, onceThenLater)).toEqual([]);
        expect(ctx.events).toHaveLength(2);

        await store.updateJob(makeJob('argsy', { args: ['fixed'], nextRunTime: at(0) }));
        const [claim] = await store.claimDueJobs(T0, 10, onceThenLater);
        expect(claim!.job.args).toEqual(['fixed']);
      });

      it('skips a job its plan throws on, without failing the claim of the others', async () => {
        const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
        const ctx = recordingContext();
        await startTracked(store, ctx);
        await store.addJob(makeJob('cursed', { nextRunTime: at(-1) }));
        await store.addJob(makeJob('fine', { nextRunTime: at(0) }));
        const plan: PlanFunction = (job, running, now) => {
          if (job.id === 'cursed') throw new Error('trigger does not compile');
          return onceThenLater(job, running, now);
        };
        expect((await store.claimDueJobs(T0, 10, plan)).map((c) => c.job.id)).toEqual(['fine']);
        expect(ctx.events.map((e) => e.jobId)).toEqual(['cursed']);
        expect((ctx.events[0] as JobStoreErrorEvent).error.message).toMatch(/trigger does not compile/);
        const spy = spyPlan(plan);
        expect(await store.claimDueJobs(T0, 10, spy.plan)).toEqual([]);
        expect(spy.calls).toEqual([]);
        expect((await store.lookupJob('cursed'))?.nextRunTime).toEqual(at(-1));
        // Read as a job through the API (an admin page listing jobs), it is still the row the plan
        // refused: the next claim neither plans it again nor reports it a second time.
        expect((await store.getAllJobs()).map((j) => j.id)).toEqual(['cursed', 'fine']);
        expect(await store.claimDueJobs(T0, 10, spy.plan)).toEqual([]);
        expect(spy.calls).toEqual([]);
        expect(ctx.events.map((e) => e.jobId)).toEqual(['cursed']);
        // Excluded, not merely unplannable: a plan that would take it now is not asked either.
        expect(await store.claimDueJobs(T0, 10, onceThenLater)).toEqual([]);
        // Its row changed (by hand, or by another replica), it is planned again.
        await corrupt('cursed', 'trigger', '{"type":"interval","seconds":7}');
        const [claim] = await store.claimDueJobs(T0, 10, onceThenLater);
        expect(claim?.job).toMatchObject({ id: 'cursed', trigger: { type: 'interval', seconds: 7 } });
      });

      it('takes back a row fixed by a change of letter case alone (MySQL compares text case-insensitively)', async () => {
        const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
        const ctx = recordingContext();
        await startTracked(store, ctx);
        await store.addJob(makeJob('cased', { nextRunTime: at(-1) }));
        await corrupt('cased', 'retry', '{"attempts":3,"backoff":"FIXED"}');
        expect(await store.claimDueJobs(T0, 10, onceThenLater)).toEqual([]);
        expect((ctx.events as JobStoreErrorEvent[]).map((e) => e.error.message)).toEqual([expect.stringMatching(/'retry'.*FIXED/s)]);
        expect(await store.getNextRunTime()).toBeNull();
        await corrupt('cased', 'retry', '{"attempts":3,"backoff":"fixed"}');
        expect(await store.getNextRunTime()).toEqual(at(-1));
        const [claim] = await store.claimDueJobs(T0, 10, onceThenLater);
        expect(claim?.job).toMatchObject({ id: 'cased', retry: { attempts: 3, backoff: 'fixed' } });
      });
    });

    if (name === 'sqlite') {
      describe('shared SQLite connection', () => {
        const prefix = uniquePrefix('q');
        let dataSource: DataSource;
        beforeAll(async () => {
          dataSource = await synchronizedDataSource(db, prefix);
        });

        it("waits for the application's transaction instead of joining it", async () => {
          const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
          await startTracked(store, recordingContext());
          let added = false;
          let adding: Promise<void> | undefined;
          await dataSource
            .transaction(async (manager) => {
              adding = store.addJob(makeJob('outside', { nextRunTime: at(0) })).then(() => void (added = true));
              await new Promise((resolve) => setTimeout(resolve, 30));
              await manager.query('SELECT 1');
              expect(added).toBe(false);
              throw new Error('the application rolls back');
            })
            .catch((error: Error) => expect(error.message).toBe('the application rolls back'));
          await adding;
          // Had it joined the transaction, the rollback would have taken the job with it.
          expect((await store.lookupJob('outside'))?.id).toBe('outside');
          expect(await store.claimDueJobs(T0, 10, everySecond)).toHaveLength(1);
        });

        it('keeps working after the application re-initializes its DataSource', async () => {
          const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
          await startTracked(store, recordingContext());
          await store.removeAllJobs();
          await dataSource.destroy();
          await expect(store.getAllJobs()).rejects.toThrow(/not initialized/);
          await dataSource.initialize();
          await store.addJob(makeJob('again'));
          expect((await store.getAllJobs()).map((j) => j.id)).toEqual(['again']);
        });
      });
    }

    describe('history retention', () => {
      const prefix = uniquePrefix('r');
      let dataSource: DataSource;
      beforeAll(async () => {
        dataSource = await synchronizedDataSource(db, prefix);
      });

      it('by default prunes, when it starts, finished records older than 7 days, and null keeps them', async () => {
        const recently = new Date(Date.now() - 60_000);
        const keeping = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, executionRetention: null });
        await startTracked(keeping, recordingContext());
        await keeping.addJob(makeJob('week-old', { nextRunTime: at(0) }));
        await keeping.addJob(makeJob('recent', { nextRunTime: recently }));
        // Missed records: one finished at T0 (2024), one a minute ago.
        const missed: PlanFunction = (job) => emptyPlan({ missed: [job.nextRunTime!], nextRunTime: null });
        await keeping.claimDueJobs(T0, 10, missed);
        await keeping.claimDueJobs(new Date(), 10, missed);
        await keeping.shutdown();
        const jobIds = async (store: TypeOrmJobStore) =>
          (await store.getExecutions({}))
            .filter((e) => ['week-old', 'recent'].includes(e.jobId))
            .map((e) => e.jobId)
            .sort();
        const again = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, executionRetention: null });
        await startTracked(again, recordingContext());
        await again.shutdown();
        expect(await jobIds(again)).toEqual(['recent', 'week-old']);

        // Defaults: shutdown waits for the prune begun at start, so the old record is gone when it returns.
        const pruning = new TypeOrmJobStore({ dataSource, tablePrefix: prefix });
        await startTracked(pruning, recordingContext());
        await pruning.shutdown();
        expect(await jobIds(pruning)).toEqual(['recent']);
      });

      it('refuses an executionRetention that is not a whole number of ms or null', () => {
        for (const bad of [-1, 1.5, '7d', Number.NaN]) {
          expect(() => new TypeOrmJobStore({ dataSource, executionRetention: bad as number })).toThrow(/executionRetention/);
        }
      });

      it('prunes finished records on a timer while started, when executionRetention is set', async () => {
        const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, executionRetention: 1000 });
        await startTracked(store, recordingContext());
        await store.addJob(makeJob('old', { nextRunTime: at(0) }));
        await store.claimDueJobs(T0, 10, () => emptyPlan({ missed: [at(0)], runTimes: [at(1)], nextRunTime: null }));
        await new Promise((resolve) => setTimeout(resolve, 1400));
        expect((await store.getExecutions({})).map((e) => e.status)).toEqual(['running']);
        await store.shutdown();
      });
    });

    if (name === 'mariadb') {
      it('refuses args larger than a MySQL TEXT column with SerializationError', async () => {
        const prefix = uniquePrefix('t');
        const dataSource = await synchronizedDataSource(db, prefix);
        const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, ...KEEP_HISTORY });
        await startTracked(store, recordingContext());
        await expect(store.addJob(makeJob('big', { args: ['x'.repeat(70_000)] }))).rejects.toBeInstanceOf(SerializationError);
      });
    }
  });
}
