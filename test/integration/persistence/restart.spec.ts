import 'reflect-metadata';
import { afterEach, expect, it } from '@jest/globals';
import { Injectable, type INestApplication, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  HandlerNotFoundError,
  JobHandler,
  MemoryJobStore,
  ScheduledJob,
  SchedulerModule,
  SchedulerService,
  SerializationError,
  TypeOrmJobStore,
  schedulerEntityList,
  type JobContext,
  type JobErrorEvent,
  type JobExecutedEvent,
  type JobMissedEvent,
  type SchedulerEvent,
} from '../../../lib/index.js';
import { DATABASES, describeDatabase, uniquePrefix, type TestDatabase } from '../../support/databases.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const calls: { handler: string; args: unknown[] }[] = [];

/** Decorated jobs every second under each backlog policy; `seconds` lets a test change the trigger. */
function jobsClass(seconds = 1): Type {
  // One grid for all three jobs: whole seconds.
  const startDate = '2020-01-01T00:00:00Z';
  @Injectable()
  class Jobs {
    @ScheduledJob({ id: 'coalesced', trigger: { type: 'interval', seconds, startDate }, coalesce: true, misfireGraceTime: null })
    coalesced() {}

    @ScheduledJob({ id: 'caught-up', trigger: { type: 'interval', seconds, startDate }, coalesce: false, misfireGraceTime: null })
    caughtUp() {}

    @ScheduledJob({ id: 'strict', trigger: { type: 'interval', seconds, startDate }, coalesce: false, misfireGraceTime: 200 })
    strict() {}

    @JobHandler('echo')
    echo(...args: unknown[]) {
      calls.push({ handler: 'echo', args: args.slice(0, -1) });
    }
  }
  return Jobs;
}

@Injectable()
class Volatile {
  @JobHandler('volatile')
  run(_ctx: JobContext) {}
}

/** Fails the first attempt of every fire time; remembers each call's attempt. */
const attempts: number[] = [];
@Injectable()
class FailsOnce {
  @JobHandler('failsOnce')
  run(ctx: JobContext) {
    attempts.push(ctx.attempt);
    if (ctx.attempt === 1) throw new Error('the first attempt fails');
  }
}

interface Booted {
  app: INestApplication;
  scheduler: SchedulerService;
  events: SchedulerEvent[];
}

async function boot(db: TestDatabase, prefix: string, providers: Type[]): Promise<Booted> {
  const ref = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({ ...db.options(), entities: schedulerEntityList(prefix), synchronize: true }),
      SchedulerModule.forRootAsync({
        inject: [DataSource],
        useFactory: (dataSource: DataSource) => ({
          timezone: 'UTC',
          stores: { default: new TypeOrmJobStore({ dataSource, tablePrefix: prefix }), mem: new MemoryJobStore() },
        }),
      }),
    ],
    providers,
  }).compile();
  const app = ref.createNestApplication({ logger: false });
  const scheduler = app.get(SchedulerService);
  const events: SchedulerEvent[] = [];
  // Subscribed before init, so what happens at bootstrap (the downtime backlog) is seen.
  scheduler.events$.subscribe((e) => events.push(e));
  await app.init();
  open.add(app);
  return { app, scheduler, events };
}

/** Apps still open; closed after each test even when it failed half-way, so nothing keeps jest alive. */
const open = new Set<INestApplication>();
async function close(run: Booted): Promise<void> {
  open.delete(run.app);
  await run.app.close();
}

const times = (rows: { scheduledRunTime: Date }[]) => rows.map((r) => r.scheduledRunTime.getTime()).sort();

for (const name of DATABASES) {
  await describeDatabase(name, (db) => {
    afterEach(async () => {
      for (const app of open) await app.close().catch(() => undefined);
      open.clear();
    });

    it('brings jobs back after a restart and handles the downtime backlog by each job’s rules', async () => {
      const prefix = uniquePrefix('rs');
      db.dropTablesAfterAll(prefix);
      calls.length = 0;
      let run = await boot(db, prefix, [jobsClass(), Volatile]);
      const args = [{ user: 'ada', tags: ['a', 'b'], nested: { n: 1.5, ok: true, none: null } }, 'x'];
      await run.scheduler.addJob({ id: 'dyn', handler: 'echo', args, trigger: { type: 'interval', minutes: 5 } });
      await run.scheduler.addJob({ id: 'paused', handler: 'echo', trigger: { type: 'interval', seconds: 1 }, nextRunTime: null });
      await run.scheduler.addJob({ id: 'orphan', handler: 'volatile', trigger: { type: 'interval', seconds: 1 } });
      await run.scheduler.addJob({ id: 'in-memory', store: 'mem', handler: 'echo', trigger: { type: 'interval', minutes: 5 } });
      const triggerBefore = (await run.scheduler.getJob('coalesced'))!.trigger;
      await sleep(1300);
      await close(run);

      // Down across the next three whole seconds; back 500 ms after the third, past 'strict's 200 ms grace.
      const first = Math.ceil((Date.now() + 1) / 1000) * 1000;
      const downtimeFires = [first, first + 1000, first + 2000];
      await sleep(first + 2500 - Date.now());
      run = await boot(db, prefix, [jobsClass()]);
      await sleep(400);

      const { scheduler, events } = run;
      expect((await scheduler.getJob('dyn'))!.args).toEqual(args);
      expect((await scheduler.getJob('paused'))!.nextRunTime).toBeNull();
      expect(await scheduler.getJob('in-memory')).toBeNull();
      expect((await scheduler.getJob('coalesced'))!.trigger).toEqual(triggerBefore);

      const inWindow = (rows: { scheduledRunTime: Date }[]) => times(rows).filter((t) => t >= downtimeFires[0] && t <= downtimeFires[2]);
      const coalesced = await scheduler.getExecutions({ jobId: 'coalesced' });
      expect(inWindow(coalesced)).toEqual([downtimeFires[2]]);
      const caughtUp = await scheduler.getExecutions({ jobId: 'caught-up', status: 'executed' });
      expect(inWindow(caughtUp)).toEqual(downtimeFires);
      const strict = await scheduler.getExecutions({ jobId: 'strict', status: 'missed' });
      expect(inWindow(strict)).toEqual(downtimeFires);

      // One event per record, no more.
      const executedCaughtUp = events.filter((e): e is JobExecutedEvent => e.type === 'job_executed' && e.jobId === 'caught-up');
      expect(inWindow(executedCaughtUp)).toEqual(downtimeFires);
      const missedStrict = events.filter((e): e is JobMissedEvent => e.type === 'job_missed' && e.jobId === 'strict');
      expect(inWindow(missedStrict)).toEqual(downtimeFires);

      // The job whose handler went away: not run, not deleted, an error per fire time.
      const orphanErrors = events.filter((e): e is JobErrorEvent => e.type === 'job_error' && e.jobId === 'orphan');
      expect(orphanErrors.length).toBeGreaterThanOrEqual(1);
      expect(orphanErrors[0].error).toBeInstanceOf(HandlerNotFoundError);
      expect(await scheduler.getJob('orphan')).not.toBeNull();
      await close(run);
    }, 20_000);

    it('runs a retry pending at shutdown once after a restart, when its back-off ends', async () => {
      const prefix = uniquePrefix('rr');
      db.dropTablesAfterAll(prefix);
      attempts.length = 0;
      let run = await boot(db, prefix, [FailsOnce]);
      const fireAt = Date.now() + 300;
      await run.scheduler.addJob({
        id: 'retried',
        handler: 'failsOnce',
        trigger: { type: 'date', runDate: new Date(fireAt) },
        misfireGraceTime: 10_000,
        retry: { attempts: 2, delay: 2000 },
      });
      await sleep(fireAt + 600 - Date.now());
      expect(attempts).toEqual([1]);
      // Shut down in the middle of the back-off: the retry is in the store, not in this process.
      await close(run);
      await sleep(fireAt + 2600 - Date.now());
      run = await boot(db, prefix, [FailsOnce]);
      await sleep(1000);
      expect(attempts).toEqual([1, 2]);
      const records = await run.scheduler.getExecutions({ jobId: 'retried' });
      expect(records.map((r) => [r.attempt, r.status, r.scheduledRunTime.getTime()]).sort()).toEqual([
        [1, 'error', fireAt],
        [2, 'executed', fireAt],
      ]);
      // Its retry started after its retry time, not at the restart's first pass regardless.
      const retry = records.find((r) => r.attempt === 2)!;
      expect(retry.startedAt!.getTime()).toBeGreaterThanOrEqual(retry.retryAt!.getTime());
      // The one-shot job was kept for the retry and is gone after it.
      expect(await run.scheduler.getJob('retried')).toBeNull();
      await close(run);
    }, 20_000);

    it('replaces the stored schedule of a decorated job whose trigger changed', async () => {
      const prefix = uniquePrefix('rc');
      db.dropTablesAfterAll(prefix);
      let run = await boot(db, prefix, [jobsClass(1)]);
      await close(run);
      const closedAt = Date.now();
      await sleep(2500);
      run = await boot(db, prefix, [jobsClass(60)]);
      await sleep(200);
      const job = await run.scheduler.getJob('caught-up');
      expect(job!.trigger).toMatchObject({ type: 'interval', seconds: 60 });
      expect(job!.nextRunTime!.getTime() % 60_000).toBe(0);
      expect(job!.nextRunTime!.getTime()).toBeGreaterThan(Date.now());
      // New trigger, new schedule: the old one's fire times while it was down are not replayed.
      // (A run the first boot claimed just before closing may be recorded; nothing after the close.)
      const replayed = (await run.scheduler.getExecutions({ jobId: 'caught-up' })).filter((r) => r.scheduledRunTime.getTime() > closedAt);
      expect(replayed).toEqual([]);
      await close(run);
    });

    it('refuses what JSON cannot keep with SerializationError, and stores nothing', async () => {
      const prefix = uniquePrefix('rj');
      db.dropTablesAfterAll(prefix);
      const { app, scheduler } = await boot(db, prefix, [jobsClass(60)]);
      class Point {
        constructor(readonly x: number) {}
      }
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const bad: [unknown, RegExp][] = [
        [[() => 1], /args\[0\].*function/],
        [[Symbol('s')], /args\[0\].*symbol/],
        [[10n], /args\[0\].*BigInt/],
        [[{ when: new Date() }], /args\[0\]\.when.*Date/],
        [[new Point(1)], /args\[0\].*Point instance/],
        [[cyclic], /args\[0\]\.self.*cycle/],
        [[undefined], /args\[0\].*undefined/],
        [[Number.NaN], /args\[0\].*NaN/],
      ];
      for (const [args, message] of bad) {
        const attempt = scheduler.addJob({ handler: 'echo', args: args as unknown[] });
        await expect(attempt).rejects.toThrow(SerializationError);
        await expect(scheduler.addJob({ handler: 'echo', args: args as unknown[] })).rejects.toThrow(message);
      }
      await expect(scheduler.addJob({ handler: () => 1 })).rejects.toThrow(/handler.*function cannot be stored/);
      const custom = {
        getNextFireTime: () => null,
        toJSON() {
          return this;
        },
        toString: () => 'custom',
      };
      await expect(scheduler.addJob({ handler: 'echo', trigger: custom })).rejects.toThrow(/trigger.*no JSON form/);
      // A function handler is fine in the memory store.
      await scheduler.addJob({ handler: () => 1, store: 'mem', trigger: { type: 'interval', hours: 1 } });
      expect((await scheduler.getJobs({ store: 'default' })).map((j) => j.id).sort()).toEqual(['caught-up', 'coalesced', 'strict']);
      await close({ app, scheduler, events: [] });
    });
  });
}
