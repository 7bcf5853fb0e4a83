/**
 * The databases the store scenarios run on, and what they do to them: a DataSource per variant,
 * tables under a prefix unique to the child process (created with the scheduler's own entities,
 * dropped at the end), bulk inserts of job rows, and reads of the executions table.
 *
 * Connection settings (defaults: the services of the development machine, as the integration tests):
 *   BENCH_POSTGRES_HOST/PORT/USER/PASSWORD/DB   (fall back to TEST_POSTGRES_*, then 127.0.0.1:5432 postgres/test)
 *   BENCH_MARIADB_HOST/PORT/USER/PASSWORD/DB    (fall back to TEST_MARIADB_*, then 127.0.0.1:3306 root/test)
 * A scenario variant whose server does not answer is skipped with the error as the reason.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { JobSpec } from '../../lib/core/jobs/job.js';
import { JOB_COLUMNS, toJobValues } from '../../lib/stores/typeorm/rows/job-row.js';
import { schedulerEntityList } from '../../lib/stores/typeorm/schema/scheduler-entities.js';

export type DatabaseKind = 'postgres' | 'mariadb' | 'sqlite';

const env = process.env;
const pick = (name: string, fallback: string) => env[`BENCH_${name}`] ?? env[`TEST_${name}`] ?? fallback;

export const POSTGRES = {
  host: pick('POSTGRES_HOST', '127.0.0.1'),
  port: Number(pick('POSTGRES_PORT', '5432')),
  username: pick('POSTGRES_USER', 'postgres'),
  password: pick('POSTGRES_PASSWORD', ''),
  database: pick('POSTGRES_DB', 'test'),
};

export const MARIADB = {
  host: pick('MARIADB_HOST', '127.0.0.1'),
  port: Number(pick('MARIADB_PORT', '3306')),
  username: pick('MARIADB_USER', 'root'),
  password: pick('MARIADB_PASSWORD', ''),
  database: pick('MARIADB_DB', 'test'),
};

export function where(kind: DatabaseKind): string {
  if (kind === 'postgres') return `PostgreSQL at ${POSTGRES.host}:${POSTGRES.port}/${POSTGRES.database}`;
  if (kind === 'mariadb') return `MariaDB at ${MARIADB.host}:${MARIADB.port}/${MARIADB.database}`;
  return 'SQLite (better-sqlite3, temp file)';
}

/** A prefix no other run uses: `b<tag>_<8 hex>_`. */
export function uniquePrefix(tag: string): string {
  return `b${tag}_${randomBytes(4).toString('hex')}_`;
}

/** Plain DataSource options (JSON-serialisable, so worker processes can get them through the environment). */
export function connectionOptions(kind: DatabaseKind, sqliteFile?: string, extra: Record<string, unknown> = {}): DataSourceOptions {
  switch (kind) {
    case 'postgres':
      return { type: 'postgres', ...POSTGRES, connectTimeoutMS: 3000, ...extra } as DataSourceOptions;
    case 'mariadb':
      return { type: 'mariadb', ...MARIADB, connectTimeout: 3000, ...extra } as DataSourceOptions;
    case 'sqlite':
      if (!sqliteFile) throw new Error('sqlite needs a file');
      return { type: 'better-sqlite3', database: sqliteFile, enableWAL: true, ...extra } as DataSourceOptions;
  }
}

/** null when the server answers, otherwise why not (for `available()`). */
export async function probe(kind: DatabaseKind): Promise<string | null> {
  if (kind === 'sqlite') {
    try {
      const driver = 'better-sqlite3'; // no type declarations installed; only loadability matters
      await import(driver);
      return null;
    } catch (error) {
      return `better-sqlite3 cannot be loaded: ${(error as Error).message}`;
    }
  }
  const dataSource = new DataSource(connectionOptions(kind));
  try {
    await dataSource.initialize();
    await dataSource.query('SELECT 1');
    return null;
  } catch (error) {
    return `${where(kind)} is unreachable: ${(error as Error).message || String(error)}`;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
  }
}

const probes = new Map<DatabaseKind, Promise<string | null>>();

/** `probe`, once per process. */
export function probeOnce(kind: DatabaseKind): Promise<string | null> {
  let p = probes.get(kind);
  if (!p) probes.set(kind, (p = probe(kind)));
  return p;
}

/**
 * The scheduler's tables under a fresh prefix on one database, with an initialized DataSource
 * whose entities are those tables (created by `synchronize`, as the integration tests do).
 * `drop()` removes the tables (and the SQLite temp directory) and closes the DataSource.
 */
export class BenchDatabase {
  readonly prefix: string;
  readonly sqliteFile: string | undefined;
  private readonly sqliteDir: string | undefined;
  dataSource!: DataSource;

  constructor(
    readonly kind: DatabaseKind,
    tag: string,
  ) {
    this.prefix = uniquePrefix(tag);
    if (kind === 'sqlite') {
      this.sqliteDir = mkdtempSync(join(tmpdir(), 'scheduler-bench-'));
      this.sqliteFile = join(this.sqliteDir, 'db.sqlite');
    }
  }

  /** DataSource options with the prefix's entities (for this process or a worker). */
  options(extra: Record<string, unknown> = {}): DataSourceOptions {
    return connectionOptions(this.kind, this.sqliteFile, extra);
  }

  /** Creates the tables and returns the (initialized) DataSource the scenario uses. */
  async create(extra: Record<string, unknown> = {}): Promise<DataSource> {
    this.dataSource = new DataSource({
      ...this.options(extra),
      entities: schedulerEntityList(this.prefix),
      synchronize: true,
    } as DataSourceOptions);
    await this.dataSource.initialize();
    return this.dataSource;
  }

  quote(name: string): string {
    return this.kind === 'mariadb' ? `\`${name}\`` : `"${name}"`;
  }

  table(name: 'jobs' | 'executions' | 'instances'): string {
    return this.quote(`${this.prefix}${name}`);
  }

  /**
   * Inserts job rows with bulk statements (10,000 rows per PostgreSQL statement through unnest,
   * 1,000 per MariaDB statement, one prepared statement in one transaction on SQLite). The rows
   * are what the store itself would write for the same JobSpecs (its own toJobValues).
   */
  async insertJobs(jobs: Iterable<JobSpec>): Promise<number> {
    const columns = JOB_COLUMNS.map((c) => this.quote(c)).join(', ');
    const rows: unknown[][] = [];
    for (const job of jobs) {
      const v = toJobValues(job);
      const bool = (b: boolean) => (this.kind === 'postgres' ? b : b ? 1 : 0);
      rows.push([
        v.id,
        v.name,
        v.handler,
        v.args,
        v.trigger,
        v.executor,
        bool(v.coalesce),
        v.maxInstances,
        v.misfireGraceTime,
        v.timeout,
        bool(v.rerunOnLoss),
        v.retry,
        v.nextRunTime,
      ]);
    }
    const table = this.table('jobs');
    if (this.kind === 'postgres') {
      const types = ['varchar', 'varchar', 'varchar', 'text', 'text', 'varchar', 'bool', 'int4', 'int8', 'int8', 'bool', 'text', 'int8'];
      for (let i = 0; i < rows.length; i += 10_000) {
        const part = rows.slice(i, i + 10_000);
        const arrays = types.map((_, c) => part.map((r) => r[c]));
        await this.dataSource.query(
          `INSERT INTO ${table} (${columns}) SELECT * FROM unnest(${types.map((t, c) => `$${c + 1}::${t}[]`).join(', ')})`,
          arrays,
        );
      }
    } else if (this.kind === 'mariadb') {
      for (let i = 0; i < rows.length; i += 1000) {
        const part = rows.slice(i, i + 1000);
        const tuple = `(${JOB_COLUMNS.map(() => '?').join(', ')})`;
        await this.dataSource.query(`INSERT INTO ${table} (${columns}) VALUES ${part.map(() => tuple).join(', ')}`, part.flat());
      }
    } else {
      const db = (this.dataSource.driver as unknown as { databaseConnection: SqliteLike }).databaseConnection;
      const statement = db.prepare(`INSERT INTO ${table} (${columns}) VALUES (${JOB_COLUMNS.map(() => '?').join(', ')})`);
      db.transaction(() => {
        for (const row of rows) statement.run(...row);
      })();
    }
    return rows.length;
  }

  /** Rows of the executions table (times as epoch ms). */
  async executions(): Promise<
    { jobId: string; scheduled: number; status: string; instanceId: string; startedAt: number | null; finishedAt: number | null }[]
  > {
    const q = (c: string) => this.quote(c);
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT ${q('job_id')} AS j, ${q('scheduled_run_time')} AS t, ${q('status')} AS s, ${q('instance_id')} AS i, ` +
        `${q('started_at')} AS st, ${q('finished_at')} AS f FROM ${this.table('executions')}`,
    );
    const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    return rows.map((r) => ({
      jobId: String(r.j),
      scheduled: Number(r.t),
      status: String(r.s),
      instanceId: String(r.i),
      startedAt: num(r.st),
      finishedAt: num(r.f),
    }));
  }

  /** Executions no longer 'running' (the handler ended and its record was written). */
  async countFinished(): Promise<number> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT COUNT(*) AS n FROM ${this.table('executions')} WHERE ${this.quote('status')} <> 'running'`,
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Drops the tables, closes the DataSource, removes the SQLite directory. Never throws. */
  async drop(): Promise<void> {
    try {
      if (this.dataSource && !this.dataSource.isInitialized) await this.dataSource.initialize();
      if (this.dataSource?.isInitialized) {
        const runner = this.dataSource.createQueryRunner();
        try {
          for (const table of ['executions', 'instances', 'jobs']) await runner.dropTable(`${this.prefix}${table}`, true);
        } finally {
          await runner.release();
        }
      }
    } catch (error) {
      console.error(`[bench] could not drop the tables of ${this.prefix}: ${(error as Error).message}`);
    } finally {
      if (this.dataSource?.isInitialized) await this.dataSource.destroy().catch(() => undefined);
      if (this.sqliteDir) rmSync(this.sqliteDir, { recursive: true, force: true });
    }
  }
}

interface SqliteLike {
  prepare(sql: string): { run(...params: unknown[]): unknown };
  transaction(fn: () => void): () => void;
}

/** A quiet logger for our scheduler: warnings and errors go to stderr (they end up in the run's info). */
export const quietLogger = {
  log: () => {},
  warn: (message: string) => console.error(`[ours] ${message}`),
  error: (message: string) => console.error(`[ours] ${message}`),
};
