/**
 * pg-boss (the peer for the PostgreSQL scenarios) as the scenarios use it: its own schema, unique
 * per run and dropped at the end, on the same PostgreSQL as our store. Imported dynamically by
 * the peer variants only.
 *
 * pg-boss 10's worker (src/worker.js) fetches up to `batchSize` jobs, hands them to the handler,
 * then sleeps what is left of `pollingIntervalSeconds` (minimum 0.5 s) before the next fetch, so
 * one worker handles at most batchSize / 0.5 s jobs per second. The scenarios use batchSize 1,000
 * (our scheduler's default claim batch) unless BENCH_PGBOSS_BATCH says otherwise; with 100, a
 * worker could not start more than 200 jobs per second whatever the database does.
 */
import { randomBytes } from 'node:crypto';
import type PgBossType from 'pg-boss';
import { DataSource } from 'typeorm';
import { connectionOptions, POSTGRES } from './databases.js';

export const PGBOSS_BATCH = Number(process.env.BENCH_PGBOSS_BATCH ?? 1000);
export const PGBOSS_POLL_S = Number(process.env.BENCH_PGBOSS_POLL_SECONDS ?? 0.5);
export const PGBOSS_QUEUE = 'bench';

export function uniqueSchema(): string {
  return `bpgboss_${randomBytes(4).toString('hex')}`;
}

/** Constructor options: maintenance and cron monitoring off (nothing to maintain in a 20 s run). */
export function bossOptions(schema: string, extra: Partial<PgBossType.ConstructorOptions> = {}): PgBossType.ConstructorOptions {
  return {
    host: POSTGRES.host,
    port: POSTGRES.port,
    user: POSTGRES.username,
    password: POSTGRES.password,
    database: POSTGRES.database,
    schema,
    supervise: false,
    schedule: false,
    ...extra,
  };
}

export async function loadPgBoss(): Promise<typeof PgBossType> {
  return (await import('pg-boss')).default;
}

/** A started pg-boss (creating its schema if needed), with the bench queue created when `createQueue`. */
export async function startBoss(
  schema: string,
  createQueue = true,
  extra: Partial<PgBossType.ConstructorOptions> = {},
): Promise<PgBossType> {
  const PgBoss = await loadPgBoss();
  const boss = new PgBoss(bossOptions(schema, extra));
  boss.on('error', (error) => console.error(`[pg-boss] ${error.message}`));
  await boss.start();
  if (createQueue) await boss.createQueue(PGBOSS_QUEUE);
  return boss;
}

/** Inserts jobs with their startAfter through pg-boss's own bulk insert (`boss.insert`), 5,000 per call. */
export async function insertJobs(boss: PgBossType, jobs: { startAfter: Date; data: object }[], queue = PGBOSS_QUEUE): Promise<void> {
  for (let i = 0; i < jobs.length; i += 5000) {
    await boss.insert(jobs.slice(i, i + 5000).map((j) => ({ name: queue, data: j.data, startAfter: j.startAfter })));
  }
}

/** Jobs of the bench queue pg-boss has marked completed. */
export async function completedCount(boss: PgBossType, schema: string): Promise<number> {
  const { rows } = await boss
    .getDb()
    .executeSql(`SELECT COUNT(*)::int AS n FROM ${schema}.job WHERE name = $1 AND state = 'completed'`, [PGBOSS_QUEUE]);
  return Number(rows[0]?.n ?? 0);
}

/** Stops the instance (if given) and drops the schema with everything pg-boss created in it. Never throws. */
export async function dropSchema(schema: string, boss?: PgBossType): Promise<void> {
  try {
    if (boss) await boss.stop({ graceful: false, wait: true, close: true }).catch(() => undefined);
    const dataSource = new DataSource(connectionOptions('postgres'));
    await dataSource.initialize();
    try {
      await dataSource.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } finally {
      await dataSource.destroy();
    }
  } catch (error) {
    console.error(`[bench] could not drop the pg-boss schema ${schema}: ${(error as Error).message}`);
  }
}
