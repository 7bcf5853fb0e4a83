import { afterEach, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { JobStoreErrorEvent } from '../../../lib/core/events/scheduler-events.js';
import { Scheduler } from '../../../lib/core/scheduler.js';
import { schedulerEntityList } from '../../../lib/stores/typeorm/schema/scheduler-entities.js';
import { TypeOrmJobStore } from '../../../lib/stores/typeorm/typeorm.job-store.js';
import { DATABASES, describeDatabase, uniquePrefix } from '../../support/databases.js';
import { until } from '../../support/until.js';

/** A scheduler on a TypeORM store that finds itself taken for dead, as a stalled replica does. */
for (const name of DATABASES) {
  await describeDatabase(name, (db) => {
    const cleanup: (() => Promise<unknown>)[] = [];
    afterEach(async () => {
      for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
    });

    it('leaves a finished rerunOnLoss job to the replica that re-runs its run, and deletes one that is only lost', async () => {
      const prefix = uniquePrefix('fz');
      db.dropTablesAfterAll(prefix);
      const dataSource: DataSource = await db.dataSource({ entities: schedulerEntityList(prefix), synchronize: true });
      cleanup.push(() => dataSource.destroy());
      const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, heartbeatInterval: 100, instanceTimeout: 60_000 });
      const scheduler = new Scheduler({
        instanceId: 'stalled',
        timezone: 'UTC',
        stores: { default: store },
        logger: { log: () => {}, warn: () => {}, error: () => {} },
      });
      cleanup.push(() => scheduler.shutdown({ wait: false }));
      const events: JobStoreErrorEvent[] = [];
      scheduler.events$.subscribe((e) => e.type === 'jobstore_error' && events.push(e as JobStoreErrorEvent));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      scheduler.registry.register('waiting', () => released);
      await scheduler.start();
      const runDate = new Date(Date.now() + 300);
      // One-shot jobs kept (paused) until their runs end: one for rerunOnLoss, one for its retry policy.
      await scheduler.addJob({ id: 'rerun', rerunOnLoss: true, handler: 'waiting', trigger: { type: 'date', runDate } });
      await scheduler.addJob({ id: 'retried', retry: { attempts: 2 }, handler: 'waiting', trigger: { type: 'date', runDate } });
      await until(async () => (await scheduler.getExecutions({ status: 'running' })).length === 2, 10_000, 'both runs to start');
      // The others took it for dead: they deleted its row, and decide its runs (not simulated here).
      const q = (id: string) => dataSource.driver.escape(id);
      await dataSource.query(`DELETE FROM ${q(`${prefix}instances`)}`);
      await until(() => events.some((e) => e.error.name === 'InstanceFencedError'), 10_000, 'the fence to be found');
      release();
      // (Both would be deleted in one write, as jobs finishing together are.)
      await until(async () => !(await scheduler.getJobs()).some((j) => j.id === 'retried'), 10_000, 'the retried job to be deleted');
      // The rerunOnLoss job is the re-running replica's to delete after that run (its handler and
      // args are read from the row); the other is gone, as after any last run.
      expect((await scheduler.getJobs()).map((j) => j.id)).toEqual(['rerun']);
    }, 30_000);
  });
}
