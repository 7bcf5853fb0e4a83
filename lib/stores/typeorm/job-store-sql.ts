import type { ExecutionQuery, Outcome } from '../../core/runs/execution.js';
import type { ExecutionValues } from './claim-planner.js';
import { EXECUTION_COLUMNS, JOB_COLUMNS, type JobValues } from './job-row.js';
import type { SchedulerTableNames } from './scheduler-tables.js';
import { chunk, type SqlDialect, type Statement } from './sql-dialect.js';
import type { UnreadableJobs } from './unreadable-jobs.js';

/**
 * Rows per multi-row statement on MySQL and SQLite: 500 executions x 11 columns stays far below
 * both drivers' placeholder limits. PostgreSQL sends whole arrays through unnest() instead.
 */
const ROWS_PER_STATEMENT = 500;

/** MySQL TEXT holds 65,535 bytes; 16,000 characters fit even at 4 bytes each. */
const MYSQL_TEXT_CHARS = 16_000;

/** Every statement the store runs, per dialect. Table names come from the prefix, values are bound. */
export class JobStoreSql {
  private readonly jobs: string;
  private readonly executions: string;
  private readonly instances: string;
  private readonly jobColumns: string;
  private readonly executionColumns: string;
  /** MySQL/MariaDB: see selectDueJobs. */
  private readonly dueIndexHint: string;

  constructor(
    private readonly d: SqlDialect,
    names: SchedulerTableNames,
  ) {
    this.jobs = d.id(names.jobs);
    this.executions = d.id(names.executions);
    this.instances = d.id(names.instances);
    this.jobColumns = JOB_COLUMNS.map((c) => d.id(c)).join(', ');
    this.executionColumns = EXECUTION_COLUMNS.map((c) => d.id(c)).join(', ');
    this.dueIndexHint = d.kind === 'mysql' ? ` FORCE INDEX (${d.id(names.jobsNextRunTimeIndex)})` : '';
  }

  private c(column: string): string {
    return this.d.id(column);
  }

  /** Selects nothing but fails when a table or column is missing. */
  schemaProbes(): Statement[] {
    return [
      { sql: `SELECT ${this.jobColumns} FROM ${this.jobs} WHERE 1 = 0`, params: [] },
      { sql: `SELECT ${this.executionColumns} FROM ${this.executions} WHERE 1 = 0`, params: [] },
      {
        sql: `SELECT ${this.c('instance_id')}, ${this.c('started_at')}, ${this.c('last_heartbeat')} FROM ${this.instances} WHERE 1 = 0`,
        params: [],
      },
    ];
  }

  insertJob(job: JobValues): Statement {
    const p = this.d.params();
    const values = this.jobValueList(job).map((v) => p.add(v));
    return { sql: `INSERT INTO ${this.jobs} (${this.jobColumns}) VALUES (${values.join(', ')})`, params: p.values };
  }

  updateJob(job: JobValues): Statement {
    const p = this.d.params();
    const values = this.jobValueList(job);
    const sets = JOB_COLUMNS.slice(1).map((column, i) => `${this.c(column)} = ${p.add(values[i + 1])}`);
    return { sql: `UPDATE ${this.jobs} SET ${sets.join(', ')} WHERE ${this.c('id')} = ${p.add(job.id)}`, params: p.values };
  }

  private jobValueList(job: JobValues): unknown[] {
    const b = (v: boolean) => this.d.bool(v);
    return [
      job.id,
      job.name,
      job.handler,
      job.args,
      job.trigger,
      job.executor,
      b(job.coalesce),
      job.maxInstances,
      job.misfireGraceTime,
      job.timeout,
      b(job.rerunOnLoss),
      job.nextRunTime,
    ];
  }

  selectJob(id: string): Statement {
    const p = this.d.params();
    return { sql: `SELECT ${this.jobColumns} FROM ${this.jobs} WHERE ${this.c('id')} = ${p.add(id)}`, params: p.values };
  }

  /** The jobs whose next_run_time is exactly `value` (as the database returned it). */
  selectJobsAt(value: unknown): Statement {
    const p = this.d.params();
    return {
      sql: `SELECT ${this.jobColumns} FROM ${this.jobs} WHERE ${this.c('next_run_time')} = ${p.add(value)} LIMIT 100`,
      params: p.values,
    };
  }

  /** The job's next run time and maxInstances, its row locked for the transaction (SQLite: BEGIN IMMEDIATE). */
  lockJobForRun(id: string): Statement {
    const p = this.d.params();
    return {
      sql: `SELECT ${this.c('next_run_time')}, ${this.c('max_instances')} FROM ${this.jobs} WHERE ${this.c('id')} = ${p.add(id)}${this.d.rowLock}`,
      params: p.values,
    };
  }

  /** The job's recorded run times in [from, to). */
  recordedRunTimes(jobId: string, from: number, to: number): Statement {
    const p = this.d.params();
    const time = this.c('scheduled_run_time');
    return {
      sql:
        `SELECT ${time} FROM ${this.executions} WHERE ${this.c('job_id')} = ${p.add(jobId)}` +
        ` AND ${time} >= ${p.add(from)} AND ${time} < ${p.add(to)}`,
      params: p.values,
    };
  }

  jobNextRunTime(id: string): Statement {
    const p = this.d.params();
    return { sql: `SELECT ${this.c('next_run_time')} FROM ${this.jobs} WHERE ${this.c('id')} = ${p.add(id)}`, params: p.values };
  }

  deleteJob(id: string): Statement {
    const p = this.d.params();
    return { sql: `DELETE FROM ${this.jobs} WHERE ${this.c('id')} = ${p.add(id)}`, params: p.values };
  }

  deleteAllJobs(): Statement {
    return { sql: `DELETE FROM ${this.jobs}`, params: [] };
  }

  /** Paused jobs (null) last, on every dialect (they disagree on where NULL sorts). */
  selectAllJobs(): Statement {
    const next = this.c('next_run_time');
    return {
      sql: `SELECT ${this.jobColumns} FROM ${this.jobs} ORDER BY CASE WHEN ${next} IS NULL THEN 1 ELSE 0 END, ${next}, ${this.c('id')}`,
      params: [],
    };
  }

  minNextRunTime(unreadable: UnreadableJobs): Statement {
    const p = this.d.params();
    const next = this.c('next_run_time');
    return {
      // ORDER BY + LIMIT walks the index and stops; MariaDB answers MIN(...) WHERE ... IS NOT NULL by
      // scanning half the index (9 ms at 100,000 jobs, on every pass of every process).
      sql:
        `SELECT ${next} AS ${this.c('next')} FROM ${this.jobs} WHERE ${next} IS NOT NULL${unreadable.exclusion(this.d, p)}` +
        ` ORDER BY ${next} LIMIT 1`,
      params: p.values,
    };
  }

  /**
   * The claim's lock: due rows in fire-time order. SKIP LOCKED hands each row to one claimer
   * without making the others wait; walking the next_run_time index lets the database stop (and
   * stop locking) after `limit` rows. MariaDB/MySQL pick a full scan plus filesort when most rows
   * are due (exactly when thousands fire at once), which locks every due row and leaves the other
   * processes nothing to claim; the index hint keeps the lock to `limit` rows.
   */
  selectDueJobs(now: number, limit: number, unreadable: UnreadableJobs): Statement {
    const p = this.d.params();
    const next = this.c('next_run_time');
    return {
      sql:
        `SELECT ${this.jobColumns} FROM ${this.jobs}${this.dueIndexHint} WHERE ${next} <= ${p.add(now)}${unreadable.exclusion(this.d, p)}` +
        ` ORDER BY ${next}, ${this.c('id')} LIMIT ${limit}${this.d.claimLock}`,
      params: p.values,
    };
  }

  /** Running submissions per job: distinct batches, since a backlog runs as one submission. */
  runningCounts(jobIds: readonly string[]): Statement[] {
    const head =
      `SELECT ${this.c('job_id')}, COUNT(DISTINCT ${this.c('batch_id')}) AS ${this.c('running')} FROM ${this.executions}` +
      ` WHERE ${this.c('status')} = 'running' AND ${this.c('job_id')}`;
    const tail = ` GROUP BY ${this.c('job_id')}`;
    if (this.d.kind === 'postgres') return [{ sql: `${head} = ANY($1::varchar[])${tail}`, params: [jobIds] }];
    return chunk(jobIds, ROWS_PER_STATEMENT).map((ids) => {
      const p = this.d.params();
      return { sql: `${head} IN (${p.list(ids)})${tail}`, params: p.values };
    });
  }

  deleteJobs(ids: readonly string[]): Statement[] {
    if (ids.length === 0) return [];
    if (this.d.kind === 'postgres') {
      return [{ sql: `DELETE FROM ${this.jobs} WHERE ${this.c('id')} = ANY($1::varchar[])`, params: [ids] }];
    }
    return chunk(ids, ROWS_PER_STATEMENT).map((part) => {
      const p = this.d.params();
      return { sql: `DELETE FROM ${this.jobs} WHERE ${this.c('id')} IN (${p.list(part)})`, params: p.values };
    });
  }

  /** Deletes execution records still 'running': runs claimed ahead that were taken back unstarted. */
  deleteRunningExecutions(ids: readonly string[]): Statement[] {
    if (ids.length === 0) return [];
    const running = `${this.c('status')} = 'running'`;
    if (this.d.kind === 'postgres') {
      return [{ sql: `DELETE FROM ${this.executions} WHERE ${this.c('id')} = ANY($1::varchar[]) AND ${running}`, params: [ids] }];
    }
    return chunk(ids, ROWS_PER_STATEMENT).map((part) => {
      const p = this.d.params();
      return { sql: `DELETE FROM ${this.executions} WHERE ${this.c('id')} IN (${p.list(part)}) AND ${running}`, params: p.values };
    });
  }

  /**
   * Moves jobs back to fire times that were taken back unstarted, unless they were paused (NULL)
   * or already moved to an earlier time since.
   */
  restoreNextRunTimes(runs: readonly { id: string; nextRunTime: number }[]): Statement[] {
    if (runs.length === 0) return [];
    const id = this.c('id');
    const next = this.c('next_run_time');
    if (this.d.kind === 'postgres') return [this.setNextRunTimesFromArrays(runs, ` AND j.${next} > v.t`)];
    return runs.map((r) => {
      const p = this.d.params();
      const at = p.add(r.nextRunTime);
      return { sql: `UPDATE ${this.jobs} SET ${next} = ${at} WHERE ${id} = ${p.add(r.id)} AND ${next} > ${p.add(r.nextRunTime)}`, params: p.values };
    });
  }

  /** PostgreSQL: one UPDATE for all rows, the pairs passed as two arrays. */
  private setNextRunTimesFromArrays(rows: readonly { id: string; nextRunTime: number | null }[], andWhere: string): Statement {
    const next = this.c('next_run_time');
    return {
      sql:
        `UPDATE ${this.jobs} AS j SET ${next} = v.t FROM unnest($1::varchar[], $2::bigint[]) AS v(id, t)` +
        ` WHERE j.${this.c('id')} = v.id${andWhere}`,
      params: [rows.map((r) => r.id), rows.map((r) => r.nextRunTime)],
    };
  }

  setNextRunTimes(moved: readonly { id: string; nextRunTime: number | null }[]): Statement[] {
    if (moved.length === 0) return [];
    const id = this.c('id');
    const next = this.c('next_run_time');
    if (this.d.kind === 'postgres') return [this.setNextRunTimesFromArrays(moved, '')];
    return chunk(moved, ROWS_PER_STATEMENT).map((part) => {
      const p = this.d.params();
      const cases = part.map((m) => `WHEN ${p.add(m.id)} THEN ${p.add(m.nextRunTime)}`).join(' ');
      const ids = p.list(part.map((m) => m.id));
      return { sql: `UPDATE ${this.jobs} SET ${next} = CASE ${id} ${cases} END WHERE ${id} IN (${ids})`, params: p.values };
    });
  }

  insertExecutions(rows: readonly ExecutionValues[]): Statement[] {
    if (rows.length === 0) return [];
    const values = (r: ExecutionValues): unknown[] => [
      r.id,
      r.jobId,
      r.scheduledRunTime,
      r.status,
      r.instanceId,
      r.batchId,
      r.startedAt,
      r.finishedAt,
      r.durationMs,
      this.text(r.error),
      this.text(r.traceback),
    ];
    if (this.d.kind === 'postgres') {
      const types = ['varchar', 'varchar', 'bigint', 'varchar', 'varchar', 'varchar', 'bigint', 'bigint', 'float8', 'text', 'text'];
      const columns = types.map(() => [] as unknown[]);
      for (const row of rows) values(row).forEach((v, i) => columns[i]!.push(v));
      const arrays = types.map((type, i) => `$${i + 1}::${type}[]`).join(', ');
      return [
        { sql: `INSERT INTO ${this.executions} (${this.executionColumns}) SELECT * FROM unnest(${arrays})`, params: columns },
      ];
    }
    return chunk(rows, ROWS_PER_STATEMENT).map((part) => {
      const p = this.d.params();
      const tuples = part.map((r) => `(${p.list(values(r))})`).join(', ');
      return { sql: `INSERT INTO ${this.executions} (${this.executionColumns}) VALUES ${tuples}`, params: p.values };
    });
  }

  finishExecution(id: string, outcome: Outcome): Statement {
    const p = this.d.params();
    const ms = (d: Date | null) => (d ? d.getTime() : null);
    return {
      sql:
        `UPDATE ${this.executions} SET ${this.c('status')} = ${p.add(outcome.status)}, ${this.c('started_at')} = ${p.add(ms(outcome.startedAt))},` +
        ` ${this.c('finished_at')} = ${p.add(ms(outcome.finishedAt))}, ${this.c('duration_ms')} = ${p.add(outcome.durationMs)},` +
        ` ${this.c('error')} = ${p.add(this.text(outcome.error))}, ${this.c('traceback')} = ${p.add(this.text(outcome.traceback))}` +
        ` WHERE ${this.c('id')} = ${p.add(id)}`,
      params: p.values,
    };
  }

  /** Outcomes of several runs: one statement on PostgreSQL, one per run (in one transaction) elsewhere. */
  finishExecutions(items: readonly { executionId: string; outcome: Outcome }[]): Statement[] {
    if (items.length === 0) return [];
    if (this.d.kind !== 'postgres') return items.map(({ executionId, outcome }) => this.finishExecution(executionId, outcome));
    const ms = (d: Date | null) => (d ? d.getTime() : null);
    const c = (column: string) => this.c(column);
    return [
      {
        sql:
          `UPDATE ${this.executions} AS e SET ${c('status')} = v.status, ${c('started_at')} = v.started,` +
          ` ${c('finished_at')} = v.finished, ${c('duration_ms')} = v.duration, ${c('error')} = v.error, ${c('traceback')} = v.traceback` +
          ` FROM unnest($1::varchar[], $2::varchar[], $3::bigint[], $4::bigint[], $5::float8[], $6::text[], $7::text[])` +
          ` AS v(id, status, started, finished, duration, error, traceback) WHERE e.${c('id')} = v.id`,
        params: [
          items.map((i) => i.executionId),
          items.map((i) => i.outcome.status),
          items.map((i) => ms(i.outcome.startedAt)),
          items.map((i) => ms(i.outcome.finishedAt)),
          items.map((i) => i.outcome.durationMs),
          items.map((i) => this.text(i.outcome.error)),
          items.map((i) => this.text(i.outcome.traceback)),
        ],
      },
    ];
  }

  selectExecutions(query: ExecutionQuery, limit: number, offset: number): Statement {
    const p = this.d.params();
    const where: string[] = [];
    if (query.jobId !== undefined) where.push(`${this.c('job_id')} = ${p.add(query.jobId)}`);
    if (query.status !== undefined) where.push(`${this.c('status')} = ${p.add(query.status)}`);
    if (query.since !== undefined) where.push(`${this.c('scheduled_run_time')} >= ${p.add(query.since.getTime())}`);
    return {
      sql:
        `SELECT ${this.executionColumns} FROM ${this.executions}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}` +
        ` ORDER BY ${this.c('scheduled_run_time')} DESC, ${this.c('id')} DESC LIMIT ${limit} OFFSET ${offset}`,
      params: p.values,
    };
  }

  pruneExecutions(before: number): Statement {
    const p = this.d.params();
    return {
      sql: `DELETE FROM ${this.executions} WHERE ${this.c('status')} <> 'running' AND ${this.c('scheduled_run_time')} < ${p.add(before)}`,
      params: p.values,
    };
  }

  private text(value: string | null): string | null {
    if (value === null || this.d.kind !== 'mysql' || value.length <= MYSQL_TEXT_CHARS) return value;
    return `${value.slice(0, MYSQL_TEXT_CHARS)}\n[truncated]`;
  }
}
