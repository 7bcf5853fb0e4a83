// The public surface of the TypeORM store; everything else in this folder is internal.
export { DEFAULT_TABLE_PREFIX, schedulerTableNames, type SchedulerTableNames } from './schema/scheduler-tables.js';
export {
  createSchedulerEntities,
  schedulerEntityList,
  SCHEDULER_ENTITIES,
  type SchedulerEntities,
  type SchedulerExecutionEntity,
  type SchedulerInstanceEntity,
  type SchedulerJobEntity,
} from './schema/scheduler-entities.js';
export { createSchedulerMigrations, SchedulerMigrations, type SchedulerMigrationClass } from './schema/scheduler-migrations.js';
export { DEFAULT_EXECUTION_RETENTION, TypeOrmJobStore, type TypeOrmJobStoreOptions } from './typeorm.job-store.js';
export { UnreadableJobRowError } from './rows/job-row.js';
export { InstanceIdInUseError } from './cluster/session-liveness.js';
