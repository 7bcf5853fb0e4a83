import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { JobTimeoutError, type Scheduler, SCHEDULER_ENTITIES, TypeOrmJobStore } from '../../../lib/index.js';
import { errorOf, KINDS, newScheduler, runOnce } from './executor-rig.js';

describe('worker executors on a TypeORM store (SQLite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scheduler-executors-'));
  let dataSource: DataSource;
  let scheduler: Scheduler;
  beforeAll(async () => {
    dataSource = new DataSource({
      type: 'better-sqlite3',
      database: join(dir, 'db.sqlite'),
      entities: SCHEDULER_ENTITIES,
      synchronize: true,
    });
    await dataSource.initialize();
    scheduler = newScheduler({ store: new TypeOrmJobStore({ dataSource }) });
    await scheduler.start();
  });
  afterAll(async () => {
    await scheduler.shutdown({ wait: false });
    await dataSource.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(KINDS)('records executed, error and timeout runs of the %s executor', async (kind) => {
    expect((await runOnce(scheduler, kind, 'jobs.echo', [1, 'x'], { id: `ok-${kind}` })).type).toBe('job_executed');
    errorOf(await runOnce(scheduler, kind, 'jobs.exitOne', [], { id: `crash-${kind}` }));
    expect(errorOf(await runOnce(scheduler, kind, 'jobs.spin', [10_000], { id: `slow-${kind}`, timeout: 200 }))).toBeInstanceOf(
      JobTimeoutError,
    );
    await new Promise((r) => setTimeout(r, 100));
    const [ok] = await scheduler.getExecutions({ jobId: `ok-${kind}` });
    const [crash] = await scheduler.getExecutions({ jobId: `crash-${kind}` });
    const [slow] = await scheduler.getExecutions({ jobId: `slow-${kind}` });
    expect(ok.status).toBe('executed');
    expect(crash).toMatchObject({ status: 'error' });
    expect(crash.error).toMatch(/WorkerCrashError: the (worker thread|child process) exited with code 1/);
    expect(slow.status).toBe('error');
    expect(slow.error).toMatch(/JobTimeoutError/);
  });
});
