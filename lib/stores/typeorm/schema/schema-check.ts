import { EXECUTION_COLUMNS, JOB_COLUMNS } from '../rows/job-row.js';
import type { Statement } from '../sql/sql-dialect.js';
import { single, type SqlSession } from '../sql/sql-session.js';
import type { SchedulerTableNames } from './scheduler-tables.js';

/**
 * The store's check at start that the scheduler's tables exist with every column it uses: a
 * missing table fails start() with what to add, instead of failing the first claim with a bare
 * database error.
 */
export async function checkSchema(session: SqlSession, tableNames: SchedulerTableNames): Promise<void> {
  for (const probe of schemaProbes(session, tableNames)) {
    try {
      await session.run(single(probe));
    } catch (error) {
      const prefix = tableNames.jobs.slice(0, -'jobs'.length);
      throw new Error(
        `TypeOrmJobStore cannot use the scheduler tables (${tableNames.jobs}, ${tableNames.executions}, ` +
          `${tableNames.instances}): add SCHEDULER_ENTITIES (or createSchedulerEntities('${prefix}')) to the ` +
          `DataSource's entities with synchronize: true, or run SchedulerMigrations ` +
          `(createSchedulerMigrations('${prefix}')). Database error: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}

/** Selects nothing but fails when a table or column is missing. */
function schemaProbes(session: SqlSession, names: SchedulerTableNames): Statement[] {
  const d = session.dialect;
  const c = (column: string) => d.id(column);
  return [
    { sql: `SELECT ${JOB_COLUMNS.map(c).join(', ')} FROM ${d.id(names.jobs)} WHERE 1 = 0`, params: [] },
    { sql: `SELECT ${EXECUTION_COLUMNS.map(c).join(', ')} FROM ${d.id(names.executions)} WHERE 1 = 0`, params: [] },
    {
      sql: `SELECT ${c('instance_id')}, ${c('started_at')}, ${c('last_heartbeat')} FROM ${d.id(names.instances)} WHERE 1 = 0`,
      params: [],
    },
  ];
}
