import 'reflect-metadata';
import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { SchedulerRegistry, SchedulerService, schedulerEntityList, TypeOrmJobStore } from '../../../lib/index.js';
import { describeDatabase, uniquePrefix } from '../../support/databases.js';
import { describeDropIn, type Fixture } from './drop-in.suite.js';

// The one change a user makes: '@nestjs/schedule' is this package. Everything the fixture imports
// from '@nestjs/schedule' (Cron, Interval, Timeout, CronExpression, ScheduleModule, SchedulerRegistry)
// now comes from the package root, 'nestjs-apscheduler'; its 'cron' import stays.
jest.unstable_mockModule('@nestjs/schedule', () => import('../../../lib/index.js'));
const load = () => import('./fixture/app.module.js') as Promise<Fixture>;

/** That the application really runs on this package: its jobs are in the scheduler, with @nestjs/schedule's meanings. */
function runsOnTheScheduler(app: () => INestApplication): void {
  it('keeps the decorated jobs in the scheduler, by name, with their history', async () => {
    const scheduler = app().get(SchedulerService);
    expect(app().get(SchedulerRegistry)).toBeInstanceOf(SchedulerRegistry);
    const jobs = new Map((await scheduler.getJobs()).map((job) => [job.id, job]));
    expect(jobs.get('every-second')).toMatchObject({ store: 'default', handler: 'CronTasks.tick', maxInstances: 2 ** 31 - 1 });
    expect(jobs.get('waiting')).toMatchObject({ maxInstances: 1 });
    expect(jobs.get('every-300ms')).toBeUndefined(); // cleared by clearInterval
    expect(jobs.get('after-500ms')).toBeUndefined(); // ran, and a date job is removed
    expect(jobs.get('deleted')).toBeUndefined();
    expect(jobs.get('stops-itself')?.nextRunTime).toBeNull();
    expect(jobs.get('dynamic')).toMatchObject({ store: 'schedulerRegistry', nextRunTime: null });
    const runs = await scheduler.getExecutions({ jobId: 'every-second', status: 'executed' });
    expect(runs.length).toBeGreaterThanOrEqual(5);
    const skipped = await scheduler.getExecutions({ jobId: 'waiting', status: 'max_instances' });
    expect(skipped.length).toBeGreaterThanOrEqual(1);
    expect(scheduler.registry.has('CronTasks.tick')).toBe(true);
  });
}

describe('the @nestjs/schedule application on nestjs-apscheduler, memory store', () => {
  describeDropIn(load, { also: runsOnTheScheduler });
});

await describeDatabase('sqlite', (db) => {
  describe('the @nestjs/schedule application on nestjs-apscheduler, TypeORM store', () => {
    const prefix = uniquePrefix('dropin');
    db.dropTablesAfterAll(prefix);
    let store: TypeOrmJobStore | undefined;
    let dataSource: DataSource;
    // Before the suite's own beforeAll, which boots the application with this store.
    beforeAll(async () => {
      dataSource = await db.dataSource({ entities: schedulerEntityList(prefix), synchronize: true });
      store = new TypeOrmJobStore({ dataSource, tablePrefix: prefix });
    });
    describeDropIn(load, {
      scheduleOptions: () => ({ stores: { default: store } }),
      also: (app) => {
        runsOnTheScheduler(app);
        it('keeps the jobs and their runs in the database', async () => {
          const jobs = (await dataSource.query(`SELECT id FROM "${prefix}jobs"`)) as { id: string }[];
          expect(jobs.map((row) => row.id)).toEqual(expect.arrayContaining(['every-second', 'waiting', 'disabled']));
          const runs = (await dataSource.query(`SELECT COUNT(*) AS n FROM "${prefix}executions" WHERE job_id = 'every-second'`)) as {
            n: number;
          }[];
          expect(Number(runs[0].n)).toBeGreaterThanOrEqual(5);
        });
      },
    });
  });
});
