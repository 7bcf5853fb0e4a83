import { afterAll, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { Scheduler } from '../../../lib/core/scheduler.js';
import type { JobStoreErrorEvent, SchedulerEvent } from '../../../lib/core/events.js';
import { TypeOrmJobStore } from '../../../lib/stores/typeorm/typeorm.job-store.js';
import { schedulerEntityList } from '../../../lib/stores/typeorm/scheduler-entities.js';
import { describeDatabase, uniquePrefix } from '../../support/databases.js';

/** Stops and starts the machine's PostgreSQL cluster, as an outage would. */
function postgresCluster(action: 'start' | 'stop'): void {
  const version = readdirSync('/etc/postgresql')[0];
  const args = ['--skip-systemctl-redirect', version, 'main', action];
  if (action === 'stop') args.push('-m', 'fast');
  execFileSync('pg_ctlcluster', args, { stdio: 'inherit' });
}

function postgresReady(): boolean {
  try {
    execFileSync('pg_isready', ['-h', '127.0.0.1', '-p', '5432', '-q']);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const canControl = existsSync('/etc/postgresql') && process.getuid?.() === 0;

await describeDatabase('postgres', (db) => {
  afterAll(async () => {
    // Whatever happened above, leave the server running for the suites after this one.
    if (canControl && !postgresReady()) postgresCluster('start');
    for (let i = 0; i < 50 && !postgresReady(); i++) await sleep(200);
  });

  (canControl ? it : it.skip)('keeps the process up through a real PostgreSQL outage and resumes by the misfire rules', async () => {
    const prefix = uniquePrefix('out');
    db.dropTablesAfterAll(prefix);
    const dataSource = await db.dataSource({ entities: schedulerEntityList(prefix), synchronize: true });
    const scheduler = new Scheduler({
      timezone: 'UTC',
      stores: { default: new TypeOrmJobStore({ dataSource, tablePrefix: prefix }) },
      logger: { log: () => {}, warn: () => {}, error: () => {} },
    });
    const events: SchedulerEvent[] = [];
    scheduler.events$.subscribe((e) => events.push(e));
    scheduler.registry.register('tick', () => undefined);
    await scheduler.start();
    const start = Math.ceil((Date.now() + 1000) / 1000) * 1000;
    await scheduler.addJob({
      id: 'tick', handler: 'tick', coalesce: false, misfireGraceTime: 2000,
      trigger: { type: 'interval', milliseconds: 500, startDate: new Date(start) },
    });
    await sleep(start + 1800 - Date.now());

    postgresCluster('stop');
    const downAt = Date.now();
    await sleep(4000);
    postgresCluster('start');
    for (let i = 0; i < 50 && !postgresReady(); i++) await sleep(200);
    const upAt = Date.now();
    await sleep(5000);

    const errors = events.filter((e): e is JobStoreErrorEvent => e.type === 'jobstore_error');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.store === 'default')).toBe(true);
    // Backed off rather than hammering the server: a handful of attempts over the outage.
    const duringOutage = errors.filter((e) => e.timestamp.getTime() < upAt);
    expect(duringOutage.length).toBeLessThan(30);

    // One record for every fire time from the first to the last: executed, or missed when it was
    // older than misfireGraceTime by the time the database was back.
    const records = await scheduler.getExecutions({ jobId: 'tick', limit: 1000 });
    const times = records.map((r) => r.scheduledRunTime.getTime()).sort((a, b) => a - b);
    expect(new Set(times).size).toBe(times.length);
    const expected = Array.from({ length: (times[times.length - 1] - start) / 500 + 1 }, (_, k) => start + k * 500);
    expect(times).toEqual(expected);
    expect(times[times.length - 1]).toBeGreaterThan(upAt + 3000);
    const missed = records.filter((r) => r.status === 'missed').map((r) => r.scheduledRunTime.getTime());
    expect(missed.length).toBeGreaterThan(0);
    expect(missed.every((t) => t > downAt - 1000 && t < upAt)).toBe(true);
    expect(records.filter((r) => r.status === 'running')).toEqual([]);
    expect(records.filter((r) => r.scheduledRunTime.getTime() > upAt).every((r) => r.status === 'executed')).toBe(true);
    await scheduler.shutdown();
  }, 60_000);
});
