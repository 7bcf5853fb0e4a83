import type { DataSourceOptions } from 'typeorm';
import { SCHEDULER_ENTITIES, SchedulerMigrations } from '../lib/index.js';

/**
 * SQLite file by default (nothing to install or start); PostgreSQL or MySQL/MariaDB when
 * DATABASE_URL says so. Tables come from the shipped migrations, as in production.
 */
export function sampleDatabase(): DataSourceOptions {
  const url = process.env.DATABASE_URL;
  const common = { entities: [...SCHEDULER_ENTITIES], migrations: SchedulerMigrations, migrationsRun: true, synchronize: false };
  if (url?.startsWith('postgres')) return { type: 'postgres', url, ...common };
  if (url?.startsWith('mysql') || url?.startsWith('mariadb')) return { type: 'mysql', url: url.replace(/^mariadb/, 'mysql'), ...common };
  return { type: 'better-sqlite3', database: process.env.SQLITE_FILE ?? 'sample.sqlite', ...common };
}
