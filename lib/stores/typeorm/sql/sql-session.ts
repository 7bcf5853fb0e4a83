import type { DataSource, QueryRunner } from 'typeorm';
import type { SqlDialect, Statement, StatementResult } from './sql-dialect.js';

/**
 * A store operation written once as a sequence of statements: it yields each statement and gets
 * its result back. The session decides how they run: awaited one by one on a pooled connection
 * (PostgreSQL, MySQL), or synchronously on SQLite, where TypeORM shares one connection with the
 * whole application and an `await` inside a transaction would let other code's statements slip
 * into it.
 */
export type SqlSteps<T> = Generator<Statement, T, StatementResult>;

export interface SqlSession {
  readonly dialect: SqlDialect;
  /** Each statement commits on its own. */
  run<T>(steps: SqlSteps<T>): Promise<T>;
  /** All statements in one write transaction, which rolls back when the steps throw. */
  runInWriteTransaction<T>(steps: SqlSteps<T>): Promise<T>;
}

/** One statement as steps, for operations that are a single statement. */
export function* single(statement: Statement): SqlSteps<StatementResult> {
  return yield statement;
}

/** PostgreSQL and MySQL/MariaDB, through TypeORM query runners (so its logging sees the queries). */
export class QueryRunnerSession implements SqlSession {
  constructor(
    readonly dialect: SqlDialect,
    private readonly dataSource: DataSource,
  ) {}

  async run<T>(steps: SqlSteps<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner('master');
    try {
      return await driveAsync(steps, (statement) => execute(runner, statement));
    } finally {
      await runner.release();
    }
  }

  async runInWriteTransaction<T>(steps: SqlSteps<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner('master');
    try {
      // MySQL's default REPEATABLE READ would count running executions from a snapshot older than
      // the row lock, and takes gap locks that make concurrent claims deadlock-prone.
      await runner.startTransaction(this.dialect.kind === 'mysql' ? 'READ COMMITTED' : undefined);
      try {
        const result = await driveAsync(steps, (statement) => execute(runner, statement));
        await runner.commitTransaction();
        return result;
      } catch (error) {
        // A failed rollback (connection gone) must not hide why the transaction failed.
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
    } finally {
      await runner.release();
    }
  }
}

async function execute(runner: QueryRunner, statement: Statement): Promise<StatementResult> {
  const result = await runner.query(statement.sql, statement.params, true);
  return { rows: Array.isArray(result.records) ? result.records : [], affected: result.affected ?? 0 };
}

/** The part of a better-sqlite3 Database the store uses. */
interface SqliteDatabase {
  readonly inTransaction: boolean;
  prepare(sql: string): SqlitePrepared;
  transaction<F extends (...args: never[]) => unknown>(fn: F): F & { immediate: F };
}

interface SqlitePrepared {
  readonly reader: boolean;
  all(...params: unknown[]): Record<string, unknown>[];
  run(...params: unknown[]): { changes: number };
}

/** How long a store operation waits for a transaction the application holds on the shared connection. */
const SQLITE_IDLE_TIMEOUT = 10_000;

/**
 * SQLite through the better-sqlite3 connection TypeORM opened. Every operation runs synchronously,
 * so nothing else in the process can interleave with it; a claim is BEGIN IMMEDIATE, which takes
 * the database's write lock up front, so two processes sharing the file cannot both claim a row
 * (the other waits up to the driver's busy `timeout`).
 */
export class SqliteSession implements SqlSession {
  private cache = new Map<string, SqlitePrepared>();
  private cachedFor: SqliteDatabase | undefined;

  constructor(
    readonly dialect: SqlDialect,
    private readonly dataSource: DataSource,
  ) {}

  /** Looked up each time: the application may destroy and re-initialize its DataSource. */
  private get db(): SqliteDatabase {
    const db = (this.dataSource.driver as unknown as { databaseConnection?: SqliteDatabase }).databaseConnection;
    if (!this.dataSource.isInitialized || !db || typeof db.prepare !== 'function') {
      throw new Error('TypeOrmJobStore: the better-sqlite3 DataSource is not initialized');
    }
    if (db !== this.cachedFor) {
      this.cache = new Map();
      this.cachedFor = db;
    }
    return db;
  }

  async run<T>(steps: SqlSteps<T>): Promise<T> {
    await this.untilIdle();
    return driveSync(steps, (statement) => this.execute(statement));
  }

  async runInWriteTransaction<T>(steps: SqlSteps<T>): Promise<T> {
    await this.untilIdle();
    return this.db.transaction(() => driveSync(steps, (statement) => this.execute(statement))).immediate();
  }

  /**
   * The application may be between two awaits of its own TypeORM transaction on this connection:
   * our statements would join it (and BEGIN would fail), so wait until it ends.
   */
  private async untilIdle(): Promise<void> {
    const deadline = Date.now() + SQLITE_IDLE_TIMEOUT;
    while (this.db.inTransaction) {
      if (Date.now() > deadline) {
        throw new Error(`TypeOrmJobStore: the SQLite connection stayed inside another transaction for ${SQLITE_IDLE_TIMEOUT} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  private execute(statement: Statement): StatementResult {
    const prepared = this.prepare(statement.sql);
    if (prepared.reader) return { rows: prepared.all(...statement.params), affected: 0 };
    return { rows: [], affected: prepared.run(...statement.params).changes };
  }

  private prepare(sql: string): SqlitePrepared {
    let prepared = this.cache.get(sql);
    if (!prepared) {
      // Bulk statements vary with their row count; a bounded cache keeps the common ones.
      if (this.cache.size >= 256) this.cache.clear();
      prepared = this.db.prepare(sql);
      this.cache.set(sql, prepared);
    }
    return prepared;
  }
}

function driveSync<T>(steps: SqlSteps<T>, execute: (statement: Statement) => StatementResult): T {
  let next = steps.next();
  while (!next.done) {
    let result: StatementResult;
    try {
      result = execute(next.value);
    } catch (error) {
      next = steps.throw(error);
      continue;
    }
    next = steps.next(result);
  }
  return next.value;
}

async function driveAsync<T>(steps: SqlSteps<T>, execute: (statement: Statement) => Promise<StatementResult>): Promise<T> {
  let next = steps.next();
  while (!next.done) {
    let result: StatementResult;
    try {
      result = await execute(next.value);
    } catch (error) {
      next = steps.throw(error);
      continue;
    }
    next = steps.next(result);
  }
  return next.value;
}
