// One scheduler process of a cluster test: a real OS process on the built package, sharing the
// test's database. It prints one JSON line per event the test cares about and stops on SIGTERM.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { Scheduler, TypeOrmJobStore, schedulerEntityList } from '../../dist/index.js';

const env = process.env;
const options = JSON.parse(env.WORKER_DATASOURCE);
const dataSource = new DataSource({ ...options, entities: schedulerEntityList(env.WORKER_PREFIX) });
await dataSource.initialize();

const scheduler = new Scheduler({
  instanceId: env.WORKER_ID,
  timezone: 'UTC',
  pollInterval: Number(env.WORKER_POLL ?? 1000),
  executors: undefined,
  stores: {
    default: new TypeOrmJobStore({
      dataSource,
      tablePrefix: env.WORKER_PREFIX,
      heartbeatInterval: Number(env.WORKER_HEARTBEAT ?? 500),
      instanceTimeout: Number(env.WORKER_TIMEOUT ?? 2000),
    }),
  },
  logger: { log: () => {}, warn: () => {}, error: () => {} },
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
// Tells the test of every call, so that it counts each fire time from the handlers' side too, not
// only from the executions table.
scheduler.registry.register('work', async (ms, ctx) => {
  say({ type: 'call', jobId: ctx.jobId, scheduledRunTime: ctx.scheduledRunTime.getTime(), attempt: ctx.attempt });
  await sleep(ms);
  return process.pid;
});
// Fails its first `failures` attempts of each fire time, telling the test of every call.
scheduler.registry.register('flaky', async (failures, ctx) => {
  say({ type: 'call', jobId: ctx.jobId, scheduledRunTime: ctx.scheduledRunTime.getTime(), attempt: ctx.attempt });
  await sleep(5);
  if (ctx.attempt <= failures) throw new Error(`attempt ${ctx.attempt} fails`);
});
scheduler.events$.subscribe((e) => {
  if (e.type === 'job_lost' || e.type === 'jobstore_error') {
    say({
      type: e.type,
      jobId: e.jobId,
      scheduledRunTime: e.scheduledRunTime?.getTime(),
      lostInstanceId: e.lostInstanceId,
      error: e.error?.message,
    });
  }
});
await scheduler.start();
say({ type: 'ready', instanceId: scheduler.instanceId });

process.on('SIGTERM', async () => {
  await scheduler.shutdown({ wait: true });
  await dataSource.destroy();
  process.exit(0);
});
