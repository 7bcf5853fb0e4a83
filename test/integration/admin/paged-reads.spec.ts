import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobStore } from '../../../lib/stores/job-store.js';
import { MemoryJobStore } from '../../../lib/stores/memory.job-store.js';
import { schedulerEntityList, TypeOrmJobStore } from '../../../lib/stores/typeorm/index.js';
import { DATABASES, describeDatabase, uniquePrefix } from '../../support/databases.js';
import { at, makeJob, outcome, recordingContext } from '../stores/job-store.contract.js';

/**
 * The reads the admin API pages through (JobStore.queryJobs, countExecutions, lastExecutions,
 * getInstances), on every store: the same jobs and records must give the same pages, totals and
 * latest records in memory and in SQL.
 *
 * Data: 30 jobs `job-00`..`job-29` named "Report 00".."Report 29" (every third one "Backup ..."),
 * jobs 20..29 paused; next run times descend with the id, so the order is by time, not by id.
 * Executions: job-00 has 6 records at t = 0..5 s (statuses cycle executed, error, missed), job-01 one.
 */
function pagedReadsSuite(name: string, makeStore: () => Promise<JobStore>): void {
  describe(name, () => {
    let store: JobStore;

    beforeAll(async () => {
      store = await makeStore();
      await store.start(recordingContext('paging-instance'));
      for (let i = 0; i < 30; i++) {
        const n = String(i).padStart(2, '0');
        await store.addJob(
          makeJob(`job-${n}`, { name: i % 3 === 0 ? `Backup ${n}` : `Report ${n}`, nextRunTime: i >= 20 ? null : at(100_000 - i * 1000) }),
        );
      }
      const statuses = ['executed', 'error', 'missed'] as const;
      for (let k = 0; k < 6; k++) {
        const id = await store.startExtraRun('job-00', at(k * 1000));
        await store.finishExecution(id!, outcome(statuses[k % 3]!, at(k * 1000)));
      }
      const single = await store.startExtraRun('job-01', at(500));
      await store.finishExecution(single!, outcome('executed', at(500)));
    });

    afterAll(async () => {
      await store.shutdown();
    });

    it('pages jobs in nextRunTime order, paused last, with the total of all that match', async () => {
      const first = await store.queryJobs!({ limit: 5, offset: 0 });
      expect(first.total).toBe(30);
      expect(first.items.map((j) => j.id)).toEqual(['job-19', 'job-18', 'job-17', 'job-16', 'job-15']);
      const last = await store.queryJobs!({ limit: 5, offset: 27 });
      expect(last.items.map((j) => j.id)).toEqual(['job-27', 'job-28', 'job-29']);
      expect(last.items.every((j) => j.nextRunTime === null)).toBe(true);
      // Pages tile: every job once across all pages.
      const seen: string[] = [];
      for (let offset = 0; offset < 30; offset += 7) seen.push(...(await store.queryJobs!({ limit: 7, offset })).items.map((j) => j.id));
      expect(new Set(seen).size).toBe(30);
      expect(await store.queryJobs!({ limit: 0, offset: 0 })).toEqual({ items: [], total: 30 });
    });

    it('filters by id or name, ignoring case, and by paused', async () => {
      const backups = await store.queryJobs!({ q: 'bAcKuP', limit: 50, offset: 0 });
      expect(backups.total).toBe(10);
      expect(backups.items.every((j) => j.name.startsWith('Backup'))).toBe(true);
      expect((await store.queryJobs!({ q: 'JOB-2', limit: 50, offset: 0 })).total).toBe(10);
      expect((await store.queryJobs!({ paused: true, limit: 50, offset: 0 })).total).toBe(10);
      const scheduledBackups = await store.queryJobs!({ q: 'backup', paused: false, limit: 2, offset: 0 });
      expect(scheduledBackups.total).toBe(7);
      expect(scheduledBackups.items.map((j) => j.id)).toEqual(['job-18', 'job-15']);
    });

    it("treats LIKE's wildcards in the search text as text", async () => {
      expect((await store.queryJobs!({ q: '%', limit: 50, offset: 0 })).total).toBe(0);
      expect((await store.queryJobs!({ q: 'job_0', limit: 50, offset: 0 })).total).toBe(0);
      expect((await store.queryJobs!({ q: 'job-0', limit: 50, offset: 0 })).total).toBe(10);
    });

    it('counts execution records per filter, with until exclusive', async () => {
      expect(await store.countExecutions!({})).toBe(7);
      expect(await store.countExecutions!({ jobId: 'job-00' })).toBe(6);
      expect(await store.countExecutions!({ status: 'error' })).toBe(2);
      expect(await store.countExecutions!({ since: at(1000), until: at(3000) })).toBe(2);
      expect(await store.countExecutions!({ jobId: 'job-00', status: 'executed', until: at(3000) })).toBe(1);
      // Told where to stop, a store may stop counting there.
      expect(await store.countExecutions!({}, 3)).toBe(3);
      expect(await store.countExecutions!({ status: 'error' }, 3)).toBe(2);
      const page = await store.getExecutions({ jobId: 'job-00', since: at(1000), until: at(4000), limit: 10 });
      expect(page.map((e) => e.scheduledRunTime.getTime() - at(0).getTime())).toEqual([3000, 2000, 1000]);
    });

    it("gives each job's latest record, and nothing for a job without any", async () => {
      const last = await store.lastExecutions!(['job-00', 'job-05', 'job-01']);
      const byJob = new Map(last.map((e) => [e.jobId, e]));
      expect(last).toHaveLength(2);
      expect(byJob.get('job-00')).toMatchObject({ scheduledRunTime: at(5000), status: 'missed' });
      expect(byJob.get('job-01')).toMatchObject({ scheduledRunTime: at(500), status: 'executed' });
      // More ids than one statement takes (500): still one record per job.
      const many = Array.from({ length: 1200 }, (_, i) => `none-${i}`).concat(['job-00']);
      expect((await store.lastExecutions!(many)).map((e) => e.jobId)).toEqual(['job-00']);
    });
  });
}

pagedReadsSuite('memory store', async () => new MemoryJobStore());

for (const database of DATABASES) {
  await describeDatabase(database, (db) => {
    const prefix = uniquePrefix('adm');
    let dataSource: Awaited<ReturnType<typeof db.dataSource>>;
    beforeAll(async () => {
      dataSource = await db.dataSource({ entities: schedulerEntityList(prefix), synchronize: true });
      db.dropTablesAfterAll(prefix);
    });
    pagedReadsSuite(`TypeOrmJobStore on ${database}`, async () => new TypeOrmJobStore({ dataSource, tablePrefix: prefix }));

    // A dead instance's row lasts until a live one's next beat deletes it: the beats here are 10 s apart.
    it('lists the instances of the heartbeat table, alive while they beat', async () => {
      const store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix, heartbeatInterval: 10_000, instanceTimeout: 30_000 });
      await store.start(recordingContext('beating'));
      try {
        const table = dataSource.driver.escape(`${prefix}instances`);
        const q = (c: string) => dataSource.driver.escape(c);
        await dataSource.query(
          `INSERT INTO ${table} (${q('instance_id')}, ${q('started_at')}, ${q('last_heartbeat')}) VALUES ('gone', 1000, ${Date.now() - 60_000})`,
        );
        const instances = await store.getInstances();
        expect(instances.map((i) => [i.id, i.alive])).toEqual([
          ['beating', true],
          ['gone', false],
        ]);
        expect(instances[0]!.lastHeartbeat.getTime()).toBeGreaterThan(Date.now() - 5_000);
      } finally {
        await store.shutdown();
      }
    });
  });
}
