/**
 * One process of the cluster-throughput scenario (modelled on test/support/cluster-worker.mjs, but
 * compiled with the bench into dist-bench, on the lib code compiled alongside). Started by the
 * scenario with `fork`; talks over the IPC channel:
 *
 *   → { type: 'ready' }                         once it is polling
 *   ← { type: 'report' }  → { type: 'report', … } what it measured (pg-boss: per-job lateness)
 *   ← { type: 'stop' }                          shuts down and exits
 *
 * Environment: BENCH_WORKER_MODE ('ours' | 'pgboss'), BENCH_WORKER_ID, and
 *   ours:   BENCH_WORKER_DATASOURCE (DataSource options as JSON), BENCH_WORKER_PREFIX, BENCH_WORKER_CONCURRENCY
 *   pgboss: BENCH_WORKER_SCHEMA, BENCH_WORKER_BATCH, BENCH_WORKER_POLL_SECONDS
 */
import 'reflect-metadata';
import { wallNow } from './clock.js';
import { Samples } from './stats.js';

const env = process.env;
const id = env.BENCH_WORKER_ID ?? `w${process.pid}`;
const send = (message: object) => process.send?.(message);

interface Running {
  report(): object;
  stop(): Promise<void>;
}

async function ours(): Promise<Running> {
  const { DataSource } = await import('typeorm');
  const { Scheduler } = await import('../../lib/core/scheduler.js');
  const { AsyncExecutor } = await import('../../lib/executors/async.executor.js');
  const { TypeOrmJobStore } = await import('../../lib/stores/typeorm/typeorm.job-store.js');
  const { schedulerEntityList } = await import('../../lib/stores/typeorm/schema/scheduler-entities.js');
  const prefix = env.BENCH_WORKER_PREFIX!;
  const dataSource = new DataSource({ ...JSON.parse(env.BENCH_WORKER_DATASOURCE!), entities: schedulerEntityList(prefix) });
  await dataSource.initialize();
  let errors = 0;
  let lastError = '';
  const scheduler = new Scheduler({
    instanceId: id,
    timezone: 'UTC',
    stores: { default: new TypeOrmJobStore({ dataSource, tablePrefix: prefix }) },
    executors: { default: new AsyncExecutor({ maxConcurrency: Number(env.BENCH_WORKER_CONCURRENCY ?? 1000) }) },
    logger: {
      log: () => {},
      warn: (m: string) => {
        errors++;
        lastError = m;
      },
      error: (m: string) => {
        errors++;
        lastError = m;
      },
    },
  });
  let handled = 0;
  scheduler.registry.register('noop', () => void handled++);
  // A run that takes `ms` (cluster-faults: there must be runs in progress to kill).
  scheduler.registry.register('hold', (ms: number) => new Promise<void>((resolve) => setTimeout(() => resolve(void handled++), ms)));
  await scheduler.start();
  return {
    report: () => ({ handled, errors, lastError }),
    async stop() {
      await scheduler.shutdown({ wait: true });
      await dataSource.destroy();
    },
  };
}

async function pgBoss(): Promise<Running> {
  const { startBoss, PGBOSS_QUEUE } = await import('./pg-boss.js');
  const boss = await startBoss(env.BENCH_WORKER_SCHEMA!, false);
  const lateness = new Samples(16_384);
  let handled = 0;
  let firstStart = NaN;
  let lastEnd = NaN;
  await boss.work<{ due: number }>(
    PGBOSS_QUEUE,
    { batchSize: Number(env.BENCH_WORKER_BATCH ?? 1000), pollingIntervalSeconds: Number(env.BENCH_WORKER_POLL_SECONDS ?? 0.5) },
    async (jobs) => {
      for (const job of jobs) {
        const now = wallNow();
        if (handled++ === 0) firstStart = now;
        lateness.push(now - job.data.due);
      }
      lastEnd = wallNow();
    },
  );
  return {
    report: () => ({ handled, firstStart, lastEnd, lateness: Array.from(lateness.values()) }),
    async stop() {
      await boss.stop({ graceful: true, wait: true, close: true, timeout: 5000 });
    },
  };
}

async function main(): Promise<void> {
  const running = env.BENCH_WORKER_MODE === 'pgboss' ? await pgBoss() : await ours();
  // CPU from 'ready' on: the work, not loading modules and connecting.
  const cpu0 = process.cpuUsage();
  process.on('message', (message: { type: string }) => {
    if (message.type === 'report') {
      const cpu = process.cpuUsage(cpu0);
      send({ type: 'report', id, cpuMs: (cpu.user + cpu.system) / 1000, ...running.report() });
    } else if (message.type === 'stop') {
      running.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(`[worker ${id}] stop failed: ${String(error)}`);
          process.exit(1);
        },
      );
    }
  });
  send({ type: 'ready', id });
}

main().catch((error: unknown) => {
  console.error(`[worker ${id}] ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
