import 'reflect-metadata';
import { afterEach, expect, it } from '@jest/globals';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SchedulerService, schedulerEntityList, TypeOrmJobStore } from '../../../lib/index.js';
import { Cron, CronExpression, ScheduleModule, SchedulerRegistry, Timeout } from '../../../lib/schedule-compat/index.js';
import { describeDatabase, uniquePrefix, type TestDatabase } from '../../support/databases.js';
import { sleep, waitFor } from './drop-in.suite.js';

/** What changes when @nestjs/schedule's jobs are kept in a database: restarts and replicas. */
@Injectable()
class Jobs {
  readonly ticks: number[] = [];
  disabledRuns = 0;
  boots = 0;

  @Cron(CronExpression.EVERY_SECOND, { name: 'ticker' })
  tick() {
    this.ticks.push(Date.now());
  }

  @Cron(CronExpression.EVERY_SECOND, { name: 'off', disabled: true })
  off() {
    this.disabledRuns++;
  }

  @Timeout('after-boot', 200)
  afterBoot() {
    this.boots++;
  }
}

const open = new Set<INestApplication>();

async function boot(db: TestDatabase, prefix: string): Promise<{ app: INestApplication; jobs: Jobs; registry: SchedulerRegistry }> {
  const dataSource = await db.dataSource({ entities: schedulerEntityList(prefix), synchronize: true });
  const ref = await Test.createTestingModule({
    imports: [ScheduleModule.forRoot({ timezone: 'UTC', stores: { default: new TypeOrmJobStore({ dataSource, tablePrefix: prefix }) } })],
    providers: [Jobs],
  }).compile();
  const app = ref.createNestApplication({ logger: false });
  await app.init();
  open.add(app);
  const registry = app.get(SchedulerRegistry);
  // The registry reads the stored jobs when the scheduler starts.
  await registry.settled();
  return { app, jobs: app.get(Jobs), registry };
}

async function close(app: INestApplication): Promise<void> {
  open.delete(app);
  await app.close();
}

await describeDatabase('sqlite', (db) => {
  afterEach(async () => {
    for (const app of open) await app.close().catch(() => undefined);
    open.clear();
  });

  it('keeps a stop() across a restart, stops a disabled job again at every start, and runs a @Timeout once per start', async () => {
    const prefix = uniquePrefix('dps');
    db.dropTablesAfterAll(prefix);
    const first = await boot(db, prefix);
    await waitFor('a tick', () => first.jobs.ticks.length >= 1, 3000);
    await waitFor('the timeout', () => first.jobs.boots === 1, 3000);
    void first.registry.getCronJob('ticker').stop();
    first.registry.getCronJob('off').start();
    await first.registry.settled();
    await waitFor('a run of the started job', () => first.jobs.disabledRuns >= 1, 3000);
    await close(first.app);

    const second = await boot(db, prefix);
    expect(second.registry.getCronJob('ticker').isActive).toBe(false);
    expect(second.registry.getCronJob('off').isActive).toBe(false);
    expect((await second.app.get(SchedulerService).getJob('ticker'))!.nextRunTime).toBeNull();
    await sleep(1500);
    expect(second.jobs.ticks).toEqual([]);
    expect(second.jobs.disabledRuns).toBe(0);
    expect(second.jobs.boots).toBe(1);
    // Started again through the registry, it runs on.
    second.registry.getCronJob('ticker').start();
    await waitFor('a tick after start()', () => second.jobs.ticks.length >= 1, 3000);
  });

  it('runs each fire once across two replicas sharing the database, where @nestjs/schedule runs it in each', async () => {
    const prefix = uniquePrefix('dpc');
    db.dropTablesAfterAll(prefix);
    const a = await boot(db, prefix);
    const b = await boot(db, prefix);
    await sleep(3500);
    await close(a.app);
    const scheduler = b.app.get(SchedulerService);
    const runs = await scheduler.getExecutions({ jobId: 'ticker' });
    await close(b.app);
    const times = runs.map((run) => run.scheduledRunTime.getTime());
    expect(new Set(times).size).toBe(times.length);
    expect(a.jobs.ticks.length + b.jobs.ticks.length).toBe(runs.filter((run) => run.status === 'executed').length);
    expect(a.jobs.ticks.length + b.jobs.ticks.length).toBeGreaterThanOrEqual(2);
    expect(a.jobs.ticks.length + b.jobs.ticks.length).toBeLessThanOrEqual(5);
  });
});
