import type { DataSource } from 'typeorm';
import type { SchedulerTableNames } from './schema/scheduler-tables.js';
import { ExecutionSql } from './sql/execution-sql.js';
import { JobSql } from './sql/job-sql.js';
import { dialectKindOf, SqlDialect } from './sql/sql-dialect.js';
import { QueryRunnerSession, SqliteSession, type SqlSession } from './sql/sql-session.js';

/** What the store talks to its database with: a session in the server's dialect, and the statements written for it. */
export interface StoreSql {
  readonly session: SqlSession;
  readonly jobSql: JobSql;
  readonly executionSql: ExecutionSql;
}

/**
 * The store's way into the application's DataSource, opened on first use rather than at
 * construction: the DataSource may still be initializing then. A failed attempt is forgotten, so
 * the next operation tries again.
 */
export class StoreConnection {
  private ready: Promise<StoreSql> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tableNames: SchedulerTableNames,
  ) {}

  /** Resolves the dialect once: MySQL-family servers are asked whether they have SKIP LOCKED. */
  get(): Promise<StoreSql> {
    this.ready ??= this.connect().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async connect(): Promise<StoreSql> {
    if (!this.dataSource.isInitialized) {
      throw new Error(
        'TypeOrmJobStore: the DataSource is not initialized. Initialize it before starting the scheduler ' +
          '(with @nestjs/typeorm, import TypeOrmModule before SchedulerModule); the store never opens or closes it.',
      );
    }
    const kind = dialectKindOf(this.dataSource.options.type);
    let session: SqlSession;
    if (kind === 'sqlite') {
      session = new SqliteSession(new SqlDialect(kind, false), this.dataSource);
    } else if (kind === 'mysql') {
      const rows: { version: string }[] = await this.dataSource.query('SELECT VERSION() AS version');
      session = new QueryRunnerSession(new SqlDialect(kind, hasSkipLocked(String(rows[0]?.version))), this.dataSource);
    } else {
      session = new QueryRunnerSession(new SqlDialect(kind, true), this.dataSource);
    }
    return {
      session,
      jobSql: new JobSql(session.dialect, this.tableNames),
      executionSql: new ExecutionSql(session.dialect, this.tableNames),
    };
  }
}

/** SKIP LOCKED arrived in MySQL 8.0.1 and MariaDB 10.6. */
export function hasSkipLocked(version: string): boolean {
  const [major = 0, minor = 0, patch = 0] = version.split(/[.-]/).map((part) => Number.parseInt(part, 10));
  if (/mariadb/i.test(version)) return major > 10 || (major === 10 && minor >= 6);
  return major > 8 || (major === 8 && (minor > 0 || patch >= 1));
}
