import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, afterAll, it } from '@jest/globals';
import { DataSource, type DataSourceOptions } from 'typeorm';

/** The databases the integration suites run on. */
export type DatabaseName = 'sqlite' | 'postgres' | 'mariadb';
export const DATABASES: readonly DatabaseName[] = ['sqlite', 'postgres', 'mariadb'];

const env = process.env;
const POSTGRES = {
  host: env.TEST_POSTGRES_HOST ?? '127.0.0.1',
  port: Number(env.TEST_POSTGRES_PORT ?? 5432),
  username: env.TEST_POSTGRES_USER ?? 'postgres',
  password: env.TEST_POSTGRES_PASSWORD ?? '',
  database: env.TEST_POSTGRES_DB ?? 'test',
};
const MARIADB = {
  host: env.TEST_MARIADB_HOST ?? '127.0.0.1',
  port: Number(env.TEST_MARIADB_PORT ?? 3306),
  username: env.TEST_MARIADB_USER ?? 'root',
  password: env.TEST_MARIADB_PASSWORD ?? '',
  database: env.TEST_MARIADB_DB ?? 'test',
};

/** A short prefix unique to one suite run, so suites sharing a server never see each other's tables. */
export function uniquePrefix(label = 't'): string {
  return `${label}_${randomBytes(4).toString('hex')}_`;
}

/** One database for one suite: makes DataSources on it and cleans up after the suite. */
export class TestDatabase {
  private readonly dataSources: DataSource[] = [];
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  private sqliteDir: string | undefined;

  constructor(readonly name: DatabaseName) {}

  /** DataSource options for this database; SQLite is a temp file so several DataSources can share it. */
  options(extra: Partial<DataSourceOptions> = {}): DataSourceOptions {
    switch (this.name) {
      case 'sqlite':
        this.sqliteDir ??= mkdtempSync(join(tmpdir(), 'scheduler-test-'));
        return { type: 'better-sqlite3', database: join(this.sqliteDir, 'db.sqlite'), enableWAL: true, ...extra } as DataSourceOptions;
      case 'postgres':
        return { type: 'postgres', ...POSTGRES, connectTimeoutMS: 3000, ...extra } as DataSourceOptions;
      case 'mariadb':
        return { type: 'mariadb', ...MARIADB, connectTimeout: 3000, ...extra } as DataSourceOptions;
    }
  }

  /** An initialized DataSource, destroyed in afterAll. */
  async dataSource(extra: Partial<DataSourceOptions> = {}): Promise<DataSource> {
    const dataSource = new DataSource(this.options(extra));
    this.dataSources.push(dataSource);
    await dataSource.initialize();
    return dataSource;
  }

  /** Drops the tables of a prefix in afterAll (before the DataSources are destroyed). */
  dropTablesAfterAll(prefix: string, tables: readonly string[] = ['jobs', 'executions', 'instances']): void {
    this.cleanups.push(async () => {
      const dataSource = this.dataSources.find((d) => d.isInitialized) ?? (await this.dataSource());
      const runner = dataSource.createQueryRunner();
      try {
        for (const table of tables) await runner.dropTable(`${prefix}${table}`, true);
      } finally {
        await runner.release();
      }
    });
  }

  /** Runs a clean-up in afterAll, before the DataSources are destroyed. */
  afterAll(cleanup: () => Promise<void> | void): void {
    this.cleanups.push(cleanup);
  }

  async dispose(): Promise<void> {
    const errors: unknown[] = [];
    for (const cleanup of this.cleanups.reverse())
      await Promise.resolve()
        .then(cleanup)
        .catch((e: unknown) => errors.push(e));
    for (const dataSource of this.dataSources) {
      if (dataSource.isInitialized) await dataSource.destroy().catch((e: unknown) => errors.push(e));
    }
    if (this.sqliteDir) rmSync(this.sqliteDir, { recursive: true, force: true });
    if (errors.length) throw errors[0];
  }
}

/** null when reachable, otherwise why not. Cached: suites in one file probe once. */
const probes = new Map<DatabaseName, Promise<string | null>>();

export function probeDatabase(name: DatabaseName): Promise<string | null> {
  let probe = probes.get(name);
  if (!probe) {
    probe = (async () => {
      if (name === 'sqlite') return null;
      const db = new TestDatabase(name);
      const dataSource = new DataSource(db.options());
      try {
        await dataSource.initialize();
        await dataSource.query('SELECT 1');
        return null;
      } catch (error) {
        return (error as Error).message || String(error);
      } finally {
        if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
      }
    })();
    probes.set(name, probe);
  }
  return probe;
}

const where: Record<Exclude<DatabaseName, 'sqlite'>, string> = {
  postgres: `${POSTGRES.host}:${POSTGRES.port}/${POSTGRES.database}`,
  mariadb: `${MARIADB.host}:${MARIADB.port}/${MARIADB.database}`,
};

/**
 * Registers a suite for one database (await it at the top level of a spec). When the server is
 * unreachable the suite is skipped with a console message, or fails when CI=true, where a missing
 * service means a broken pipeline rather than a developer's laptop.
 */
export async function describeDatabase(name: DatabaseName, fn: (db: TestDatabase) => void): Promise<void> {
  const problem = await probeDatabase(name);
  if (problem !== null) {
    const message = `${name} is unreachable at ${where[name as keyof typeof where]}: ${problem}`;
    if (process.env.CI === 'true') {
      describe(name, () => {
        it('has its database server', () => {
          throw new Error(`${message} (CI=true: integration databases are required)`);
        });
      });
    } else {
      console.warn(`Skipping the ${name} suite: ${message} (set CI=true to make this a failure)`);
      describe.skip(name, () => {
        it('database unreachable', () => undefined);
      });
    }
    return;
  }
  describe(name, () => {
    const db = new TestDatabase(name);
    fn(db);
    // After fn's own afterAll hooks (jest runs them in declaration order): they may still need the DataSources.
    afterAll(() => db.dispose());
  });
}
