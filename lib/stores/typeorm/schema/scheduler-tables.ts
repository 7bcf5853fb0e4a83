import { InvalidSchedulerOptionError } from '../../../core/errors.js';
/** The default prefix of the scheduler's tables. @publicApi */
export const DEFAULT_TABLE_PREFIX = 'scheduler_';

/**
 * Every name the scheduler creates in the database, derived from one prefix. Index and constraint
 * names carry the prefix too: PostgreSQL keeps them in one namespace per schema, so two prefixes
 * in one database must not collide. Entities, migrations and queries all read names from here,
 * which keeps a migrated schema identical to a synchronized one.
 */
export interface SchedulerTableNames {
  jobs: string;
  executions: string;
  instances: string;
  jobsPrimaryKey: string;
  jobsNextRunTimeIndex: string;
  executionsPrimaryKey: string;
  /** The last line of defence against running one fire time twice. */
  executionsJobRunTimeUnique: string;
  /** "Running submissions per job" at claim time, and running rows per status for lost-run checks. */
  executionsStatusJobIndex: string;
  /** History across jobs (newest first) and pruning by age. */
  executionsRunTimeIndex: string;
  /** History of one status (newest first), e.g. the errors: a page without walking the other statuses' rows. */
  executionsStatusTimeIndex: string;
  /** Pending retries by due time, for the claim. */
  executionsRetryIndex: string;
  instancesPrimaryKey: string;
}

export function schedulerTableNames(prefix: string = DEFAULT_TABLE_PREFIX): SchedulerTableNames {
  assertValidPrefix(prefix);
  return {
    jobs: `${prefix}jobs`,
    executions: `${prefix}executions`,
    instances: `${prefix}instances`,
    jobsPrimaryKey: `PK_${prefix}jobs`,
    jobsNextRunTimeIndex: `IDX_${prefix}jobs_next_run_time`,
    executionsPrimaryKey: `PK_${prefix}executions`,
    executionsJobRunTimeUnique: `UQ_${prefix}executions_job_run_time`,
    executionsStatusJobIndex: `IDX_${prefix}executions_status_job`,
    executionsRunTimeIndex: `IDX_${prefix}executions_run_time`,
    executionsStatusTimeIndex: `IDX_${prefix}executions_status_time`,
    executionsRetryIndex: `IDX_${prefix}executions_retry`,
    instancesPrimaryKey: `PK_${prefix}instances`,
  };
}

/**
 * Names are spliced into SQL, so the prefix is restricted to what every dialect accepts unquoted
 * and short enough that the longest derived name stays within PostgreSQL's 63 characters.
 */
function assertValidPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix) && prefix !== '')) {
    throw new InvalidSchedulerOptionError('tablePrefix', prefix, "allowed: letters, digits and '_', not starting with a digit");
  }
  const longest = `UQ_${prefix}executions_job_run_time`;
  if (longest.length > 63) {
    throw new InvalidSchedulerOptionError(
      'tablePrefix',
      prefix,
      `allowed: at most ${63 - longest.length + prefix.length} characters (this one is too long)`,
    );
  }
}
