import { afterAll, expect, it } from '@jest/globals';
import { Scheduler } from '../../../lib/core/scheduler.js';
import type { JobExecutedEvent, JobMissedEvent, JobStoreErrorEvent, SchedulerEvent } from '../../../lib/core/events/scheduler-events.js';
import { TypeOrmJobStore } from '../../../lib/stores/typeorm/typeorm.job-store.js';
import { schedulerEntityList } from '../../../lib/stores/typeorm/schema/scheduler-entities.js';
import { describeDatabase, uniquePrefix } from '../../support/databases.js';
import { canControlPostgres as canControl, postgresCluster, postgresReady } from '../../support/postgres-server.js';

/** Stops and starts the machine's PostgreSQL cluster, as an outage would. */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await describeDatabase('postgres', (db) => {
  let scheduler: Scheduler | undefined;
  afterAll(async () => {
    // Whatever happened above, leave the server running for the suites after this one.
    if (canControl && !postgresReady()) postgresCluster('start');
    for (let i = 0; i < 50 && !postgresReady(); i++) await sleep(200);
    // A failed expectation must not leave the scheduler polling: it would keep the test process alive.
    if (scheduler && scheduler.state !== 'stopped') await scheduler.shutdown();
  });

  (canControl ? it : it.skip)(
    'keeps the process up through a real PostgreSQL outage and resumes by the misfire rules',
    async () => {
      const prefix = uniquePrefix('out');
      db.dropTablesAfterAll(prefix);
      const dataSource = await db.dataSource({ entities: schedulerEntityList(prefix), synchronize: true });
      scheduler = new Scheduler({
        timezone: 'UTC',
        stores: { default: new TypeOrmJobStore({ dataSource, tablePrefix: prefix }) },
        logger: { log: () => {}, warn: () => {}, error: () => {} },
      });
      const events: SchedulerEvent[] = [];
      scheduler.events$.subscribe((e) => events.push(e));
      scheduler.registry.register('tick', () => undefined);
      await scheduler.start();
      const grace = 2000;
      const start = Math.ceil((Date.now() + 1000) / 1000) * 1000;
      await scheduler.addJob({
        id: 'tick',
        handler: 'tick',
        coalesce: false,
        misfireGraceTime: grace,
        trigger: { type: 'interval', milliseconds: 500, startDate: new Date(start) },
      });
      await sleep(start + 1800 - Date.now());

      const stopAt = Date.now();
      postgresCluster('stop');
      const downAt = Date.now();
      await sleep(4000);
      postgresCluster('start');
      for (let i = 0; i < 50 && !postgresReady(); i++) await sleep(200);
      const upAt = Date.now();

      // The scheduler comes back at its next retry, which the backoff may put a few seconds after
      // the server is up (4 s of outage: retries 0.5, 1, 2, 4 and then 8 s apart), or just before
      // this test saw it up. Its first outcome then is at least a second after the server went down
      // (runs claimed before the stop end within claimAhead of it).
      const outcomeAfter = (t: number) =>
        events.find(
          (e): e is JobExecutedEvent | JobMissedEvent =>
            (e.type === 'job_executed' || e.type === 'job_missed') && e.timestamp.getTime() > t,
        );
      for (let i = 0; i < 150 && !outcomeAfter(downAt + 1000); i++) await sleep(100);
      const resumedAt = outcomeAfter(downAt + 1000)?.timestamp.getTime();
      expect(resumedAt).toBeDefined();
      expect(resumedAt! - upAt).toBeLessThan(8000 + 1000);
      await sleep(3000);

      const errors = events.filter((e): e is JobStoreErrorEvent => e.type === 'jobstore_error');
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((e) => e.store === 'default')).toBe(true);
      // Backed off rather than hammering the server: a handful of attempts over the outage.
      const duringOutage = errors.filter((e) => e.timestamp.getTime() < upAt);
      expect(duringOutage.length).toBeLessThan(30);

      // One record for every fire time from the first to the last: executed, or missed when it was
      // older than misfireGraceTime when the scheduler got through to the database again.
      const queriedAt = Date.now();
      const records = await scheduler.getExecutions({ jobId: 'tick', limit: 1000 });
      const times = records.map((r) => r.scheduledRunTime.getTime()).sort((a, b) => a - b);
      expect(new Set(times).size).toBe(times.length);
      const expected = Array.from({ length: (times[times.length - 1] - start) / 500 + 1 }, (_, k) => start + k * 500);
      expect(times).toEqual(expected);
      expect(times[times.length - 1]).toBeGreaterThan(resumedAt! + 2000);
      // The next fire may be claimed ahead (claimAhead, 100 ms) and 'running' before its time: only
      // runs whose time passed more than a second before the query must have ended.
      const settled = records.filter((r) => r.scheduledRunTime.getTime() < queriedAt - 1000);
      expect(settled.filter((r) => r.status === 'running')).toEqual([]);
      const missed = records.filter((r) => r.status === 'missed').map((r) => r.scheduledRunTime.getTime());
      expect(missed.length).toBeGreaterThan(0);
      // The pass that got through ran at or just before resumedAt; what was older than the grace then
      // is missed, everything else ran. Times are shown relative to resumedAt.
      const late = (t: number) => t > stopAt - 500 && t < resumedAt! - grace;
      const relative = (t: number) => t - resumedAt!;
      expect(missed.filter((t) => !late(t)).map(relative)).toEqual([]);
      const notRun = settled.filter((r) => r.status !== 'executed' && !late(r.scheduledRunTime.getTime()));
      expect(notRun.map((r) => `${relative(r.scheduledRunTime.getTime())}:${r.status}`)).toEqual([]);
      await scheduler.shutdown();
    },
    60_000,
  );
});
