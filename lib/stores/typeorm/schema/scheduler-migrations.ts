import type { MigrationInterface, QueryRunner } from 'typeorm';
import { loadTypeOrm } from '../typeorm-loader.js';
import { COLUMN_LENGTH } from './scheduler-entities.js';
import { DEFAULT_TABLE_PREFIX, schedulerTableNames } from './scheduler-tables.js';
import { dialectKindOf } from '../sql/sql-dialect.js';

/** A TypeORM migration class, as DataSourceOptions.migrations accepts it. @publicApi */
export type SchedulerMigrationClass = new () => MigrationInterface;

/**
 * A fixed timestamp: TypeORM orders migrations by the 13 digits that end their name, and the
 * scheduler's tables must not depend on when the application generated its own migrations.
 */
const CREATE_TABLES_TIMESTAMP = 1767225600000;

/**
 * Migrations creating the scheduler's tables for a prefix, for DataSources with
 * `synchronize: false`. The schema equals what `synchronize` makes of `createSchedulerEntities(prefix)`.
 * @publicApi
 */
export function createSchedulerMigrations(prefix: string = DEFAULT_TABLE_PREFIX): SchedulerMigrationClass[] {
  const names = schedulerTableNames(prefix);
  // The name goes into the migrations table: one row per prefix, so two prefixes can coexist.
  const tag = prefix === DEFAULT_TABLE_PREFIX ? '' : `_${prefix}_`;
  const migrationName = `SchedulerCreateTables${tag}${CREATE_TABLES_TIMESTAMP}`;

  class SchedulerCreateTables implements MigrationInterface {
    readonly name = migrationName;

    async up(queryRunner: QueryRunner): Promise<void> {
      // Throws for databases the store has no claim query for, before creating anything.
      const kind = dialectKindOf(queryRunner.connection.options.type);
      // typeorm is loaded when a migration runs, not at import: it is an optional peer (see typeorm-loader.ts).
      const { Table, TableIndex, TableUnique } = loadTypeOrm('SchedulerMigrations');
      const varchar = (length: number) => ({ type: 'varchar', length: String(length) });
      await queryRunner.createTable(
        new Table({
          name: names.jobs,
          columns: [
            { name: 'id', ...varchar(COLUMN_LENGTH.id), isPrimary: true, primaryKeyConstraintName: names.jobsPrimaryKey },
            { name: 'name', ...varchar(COLUMN_LENGTH.name) },
            { name: 'handler', ...varchar(COLUMN_LENGTH.name) },
            { name: 'args', type: 'text' },
            { name: 'trigger', type: 'text' },
            { name: 'executor', ...varchar(COLUMN_LENGTH.name) },
            { name: 'coalesce', type: 'boolean' },
            { name: 'max_instances', type: 'integer' },
            { name: 'misfire_grace_time', type: 'bigint', isNullable: true },
            { name: 'timeout', type: 'bigint', isNullable: true },
            { name: 'rerun_on_loss', type: 'boolean' },
            { name: 'retry', type: 'text', isNullable: true },
            { name: 'next_run_time', type: 'bigint', isNullable: true },
          ],
        }),
      );
      await queryRunner.createIndex(names.jobs, new TableIndex({ name: names.jobsNextRunTimeIndex, columnNames: ['next_run_time', 'id'] }));

      await queryRunner.createTable(
        new Table({
          name: names.executions,
          columns: [
            { name: 'id', ...varchar(COLUMN_LENGTH.uuid), isPrimary: true, primaryKeyConstraintName: names.executionsPrimaryKey },
            { name: 'job_id', ...varchar(COLUMN_LENGTH.id) },
            { name: 'scheduled_run_time', type: 'bigint' },
            { name: 'attempt', type: 'integer', default: 1 },
            { name: 'status', ...varchar(COLUMN_LENGTH.status) },
            { name: 'instance_id', ...varchar(COLUMN_LENGTH.id) },
            { name: 'batch_id', ...varchar(COLUMN_LENGTH.uuid), isNullable: true },
            { name: 'started_at', type: 'bigint', isNullable: true },
            { name: 'finished_at', type: 'bigint', isNullable: true },
            { name: 'duration_ms', type: 'double precision', isNullable: true },
            { name: 'error', type: 'text', isNullable: true },
            { name: 'traceback', type: 'text', isNullable: true },
            { name: 'retry_at', type: 'bigint', isNullable: true },
          ],
        }),
      );
      // MySQL has unique indexes only (TypeORM's synchronize makes the same choice).
      const uniqueRunTime = { name: names.executionsJobRunTimeUnique, columnNames: ['job_id', 'scheduled_run_time', 'attempt'] };
      if (kind === 'mysql') {
        await queryRunner.createIndex(names.executions, new TableIndex({ ...uniqueRunTime, isUnique: true }));
      } else {
        await queryRunner.createUniqueConstraint(names.executions, new TableUnique(uniqueRunTime));
      }
      await queryRunner.createIndex(
        names.executions,
        new TableIndex({ name: names.executionsStatusJobIndex, columnNames: ['status', 'job_id'] }),
      );
      await queryRunner.createIndex(
        names.executions,
        new TableIndex({ name: names.executionsRunTimeIndex, columnNames: ['scheduled_run_time', 'id'] }),
      );
      await queryRunner.createIndex(
        names.executions,
        new TableIndex({ name: names.executionsStatusTimeIndex, columnNames: ['status', 'scheduled_run_time', 'id'] }),
      );
      await queryRunner.createIndex(
        names.executions,
        new TableIndex({ name: names.executionsRetryIndex, columnNames: ['status', 'retry_at'] }),
      );

      await queryRunner.createTable(
        new Table({
          name: names.instances,
          columns: [
            { name: 'instance_id', ...varchar(COLUMN_LENGTH.id), isPrimary: true, primaryKeyConstraintName: names.instancesPrimaryKey },
            { name: 'started_at', type: 'bigint' },
            { name: 'last_heartbeat', type: 'bigint' },
          ],
        }),
      );
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.dropTable(names.instances, true);
      await queryRunner.dropTable(names.executions, true);
      await queryRunner.dropTable(names.jobs, true);
    }
  }
  // TypeORM falls back to the class name in messages; give each prefix's class a telling one.
  Object.defineProperty(SchedulerCreateTables, 'name', { value: migrationName });
  return [SchedulerCreateTables];
}

/** The scheduler's migrations for the default prefix. @publicApi */
export const SchedulerMigrations: SchedulerMigrationClass[] = createSchedulerMigrations();
