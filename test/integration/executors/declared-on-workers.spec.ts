import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { firstValueFrom, filter, take } from 'rxjs';
import { ScheduledJob, SchedulerModule, SchedulerService, WorkerThreadExecutor, type JobExecutedEvent } from '../../../lib/index.js';
import { FIXTURE_HANDLERS } from './executor-rig.js';

@Injectable()
class Reports {
  @ScheduledJob({ trigger: { type: 'interval', seconds: 60 }, executor: 'workers' })
  build() {
    return 'in process';
  }
}

const workers = () => new WorkerThreadExecutor({ maxWorkers: 1, handlers: FIXTURE_HANDLERS });

describe('decorated jobs and worker executors (Nest)', () => {
  let app: INestApplicationContext | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('refuses a @ScheduledJob method on a worker executor at bootstrap, saying what to do instead', async () => {
    const ref = await Test.createTestingModule({
      imports: [SchedulerModule.forRoot({ executors: { workers: workers() }, logging: false })],
      providers: [Reports],
    }).compile();
    app = ref.createNestApplication({ logger: false });
    const failed = app.init();
    await expect(failed).rejects.toThrow(
      /executor 'workers' is a WorkerThreadExecutor.*handler 'Reports.build' is a function of this process/,
    );
    await expect(failed).rejects.toThrow(/handlers: \{ 'reports.build': \{ module: new URL/);
    app = undefined;
    await ref.close();
  });

  it('runs a module-file handler named by a job on the worker executor, from the module options', async () => {
    const ref = await Test.createTestingModule({
      imports: [SchedulerModule.forRoot({ executors: { workers: workers() }, logging: false })],
    }).compile();
    app = ref.createNestApplication({ logger: false });
    await app.init();
    const scheduler = app.get(SchedulerService);
    const done = firstValueFrom(
      scheduler.executed$.pipe(
        filter((e) => e.jobId === 'doubled'),
        take(1),
      ),
    );
    await scheduler.addJob({ id: 'doubled', handler: 'jobs.default', args: [4], executor: 'workers' });
    expect(((await done) as JobExecutedEvent).returnValue).toBe(8);
  });
});
