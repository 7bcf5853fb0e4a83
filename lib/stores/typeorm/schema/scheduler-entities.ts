import type { EntitySchema, ValueTransformer } from 'typeorm';
import { lazyArray, loadTypeOrm } from '../typeorm-loader.js';
import { DEFAULT_TABLE_PREFIX, schedulerTableNames } from './scheduler-tables.js';

/**
 * Instants are stored as epoch milliseconds in BIGINT columns: DATETIME/TIMESTAMP behave
 * differently per dialect (MySQL converts with the session time zone, SQLite keeps text, precision
 * varies), and a fire time like 12:00:00.250 must round-trip exactly everywhere. The store reads
 * and writes raw SQL; this transformer is for applications that query the entities themselves.
 */
const epochMs: ValueTransformer = {
  to: (value: Date | number | null | undefined) => (value instanceof Date ? value.getTime() : value),
  // pg and mysql2 return BIGINT as a string.
  from: (value: string | number | null) => (value === null || value === undefined ? null : new Date(Number(value))),
};

/** A row of the jobs table, as the entity exposes it. @publicApi */
export interface SchedulerJobEntity {
  id: string;
  name: string;
  handler: string;
  /** JSON array. */
  args: string;
  /** JSON TriggerSpec. */
  trigger: string;
  executor: string;
  coalesce: boolean;
  maxInstances: number;
  misfireGraceTime: number | null;
  timeout: number | null;
  rerunOnLoss: boolean;
  /** The job's retry policy as JSON (every default filled in); null: failed runs are not retried. */
  retry: string | null;
  /** null: paused. */
  nextRunTime: Date | null;
}

/** A row of the executions table. @publicApi */
export interface SchedulerExecutionEntity {
  id: string;
  jobId: string;
  scheduledRunTime: Date;
  /** Which run of the scheduled time: the first run is 1, each retry one more (unique with job and time). */
  attempt: number;
  status: string;
  instanceId: string;
  /** The runs of one claimed submission share it; maxInstances counts distinct ones. */
  batchId: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  error: string | null;
  traceback: string | null;
  /** When a 'retry_pending' record comes due; null for the others. */
  retryAt: Date | null;
}

/** A row of the instances table: one per scheduler process (cluster heartbeats). @publicApi */
export interface SchedulerInstanceEntity {
  instanceId: string;
  startedAt: Date;
  lastHeartbeat: Date;
}

/** @publicApi */
export interface SchedulerEntities {
  job: EntitySchema<SchedulerJobEntity>;
  execution: EntitySchema<SchedulerExecutionEntity>;
  instance: EntitySchema<SchedulerInstanceEntity>;
}

/** Column sizes shared with the migrations. */
export const COLUMN_LENGTH = {
  /** 191 * 4 bytes fits an InnoDB index key with utf8mb4 on old MySQL row formats. */
  id: 191,
  uuid: 36,
  name: 255,
  status: 20,
} as const;

/**
 * The scheduler's entities for a table prefix. List them in the DataSource's `entities`
 * (with `synchronize`) or run `createSchedulerMigrations(prefix)`. @publicApi
 */
export function createSchedulerEntities(prefix: string = DEFAULT_TABLE_PREFIX): SchedulerEntities {
  const names = schedulerTableNames(prefix);
  // typeorm is loaded here, not at import: it is an optional peer (see typeorm-loader.ts).
  const { EntitySchema } = loadTypeOrm('createSchedulerEntities');
  const job = new EntitySchema<SchedulerJobEntity>({
    // Entity names must be unique per DataSource, so they follow the prefix like the tables.
    name: names.jobs,
    tableName: names.jobs,
    columns: {
      id: { type: 'varchar', length: COLUMN_LENGTH.id, primary: true, primaryKeyConstraintName: names.jobsPrimaryKey },
      name: { type: 'varchar', length: COLUMN_LENGTH.name },
      handler: { type: 'varchar', length: COLUMN_LENGTH.name },
      args: { type: 'text' },
      trigger: { type: 'text' },
      executor: { type: 'varchar', length: COLUMN_LENGTH.name },
      coalesce: { type: 'boolean' },
      maxInstances: { name: 'max_instances', type: 'integer' },
      misfireGraceTime: { name: 'misfire_grace_time', type: 'bigint', nullable: true },
      timeout: { type: 'bigint', nullable: true },
      rerunOnLoss: { name: 'rerun_on_loss', type: 'boolean' },
      retry: { type: 'text', nullable: true },
      nextRunTime: { name: 'next_run_time', type: 'bigint', nullable: true, transformer: epochMs },
    },
    // With id, so "due first, then by id" (claims, job pages) is read off the index even when thousands share a time.
    indices: [{ name: names.jobsNextRunTimeIndex, columns: ['nextRunTime', 'id'] }],
  });
  const execution = new EntitySchema<SchedulerExecutionEntity>({
    name: names.executions,
    tableName: names.executions,
    columns: {
      id: { type: 'varchar', length: COLUMN_LENGTH.uuid, primary: true, primaryKeyConstraintName: names.executionsPrimaryKey },
      jobId: { name: 'job_id', type: 'varchar', length: COLUMN_LENGTH.id },
      scheduledRunTime: { name: 'scheduled_run_time', type: 'bigint', transformer: epochMs },
      attempt: { type: 'integer', default: 1 },
      status: { type: 'varchar', length: COLUMN_LENGTH.status },
      instanceId: { name: 'instance_id', type: 'varchar', length: COLUMN_LENGTH.id },
      batchId: { name: 'batch_id', type: 'varchar', length: COLUMN_LENGTH.uuid, nullable: true },
      startedAt: { name: 'started_at', type: 'bigint', nullable: true, transformer: epochMs },
      finishedAt: { name: 'finished_at', type: 'bigint', nullable: true, transformer: epochMs },
      durationMs: { name: 'duration_ms', type: 'double precision', nullable: true },
      error: { type: 'text', nullable: true },
      traceback: { type: 'text', nullable: true },
      retryAt: { name: 'retry_at', type: 'bigint', nullable: true, transformer: epochMs },
    },
    uniques: [{ name: names.executionsJobRunTimeUnique, columns: ['jobId', 'scheduledRunTime', 'attempt'] }],
    indices: [
      { name: names.executionsStatusJobIndex, columns: ['status', 'jobId'] },
      // With id: history is ordered by (time, id), and thousands of records can share a time (a cron burst).
      { name: names.executionsRunTimeIndex, columns: ['scheduledRunTime', 'id'] },
      { name: names.executionsStatusTimeIndex, columns: ['status', 'scheduledRunTime', 'id'] },
      // The claim's walk over due retries: WHERE status = 'retry_pending' ORDER BY retry_at.
      { name: names.executionsRetryIndex, columns: ['status', 'retryAt'] },
    ],
  });
  const instance = new EntitySchema<SchedulerInstanceEntity>({
    name: names.instances,
    tableName: names.instances,
    columns: {
      instanceId: {
        name: 'instance_id',
        type: 'varchar',
        length: COLUMN_LENGTH.id,
        primary: true,
        primaryKeyConstraintName: names.instancesPrimaryKey,
      },
      startedAt: { name: 'started_at', type: 'bigint', transformer: epochMs },
      lastHeartbeat: { name: 'last_heartbeat', type: 'bigint', transformer: epochMs },
    },
  });
  return { job, execution, instance };
}

function toList(entities: SchedulerEntities): EntitySchema[] {
  return [entities.job, entities.execution, entities.instance] as EntitySchema[];
}

/** The entities for a prefix as a list for a DataSource's `entities`. @publicApi */
export function schedulerEntityList(prefix: string = DEFAULT_TABLE_PREFIX): EntitySchema[] {
  return toList(createSchedulerEntities(prefix));
}

/**
 * The scheduler's entities with the default prefix, for the DataSource's `entities`. An array made
 * on first use (typeorm is loaded then, not when the package is imported); it is used like any other. @publicApi
 */
export const SCHEDULER_ENTITIES: EntitySchema[] = lazyArray(() => schedulerEntityList());
