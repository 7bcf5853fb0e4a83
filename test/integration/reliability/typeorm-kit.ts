import { beforeAll } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { schedulerEntityList, schedulerTableNames, TypeOrmJobStore } from '../../../lib/index.js';
import { describeDatabase, uniquePrefix, type DatabaseName } from '../../support/databases.js';
import { describeRunLife } from './run-life.suite.js';

/** The run-life suite on a TypeOrmJobStore: tables of a prefix of its own, emptied before each test. */
export function describeTypeOrmRunLife(name: DatabaseName): Promise<void> {
  return describeDatabase(name, (db) => {
    const prefix = uniquePrefix('rel');
    let dataSource: DataSource;
    beforeAll(async () => {
      dataSource = await db.dataSource({ entities: schedulerEntityList(prefix), synchronize: true });
      db.dropTablesAfterAll(prefix);
    });
    describeRunLife({
      name,
      async newStore() {
        const tables = schedulerTableNames(prefix);
        for (const table of [tables.executions, tables.jobs, tables.instances]) {
          await dataSource.query(`DELETE FROM ${dataSource.driver.escape(table)}`);
        }
        return new TypeOrmJobStore({ dataSource, tablePrefix: prefix });
      },
    });
  });
}
