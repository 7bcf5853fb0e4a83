import type { ExecutionQuery, Outcome } from '../../../core/runs/execution.js';
import type { ExecutionValues } from '../claim-planner.js';
import { EXECUTION_COLUMNS } from '../rows/job-row.js';
import type { SchedulerTableNames } from '../schema/scheduler-tables.js';
import { chunk, ROWS_PER_STATEMENT, type ParamList, type SqlDialect, type Statement } from './sql-dialect.js';

/**
 * The statements on the executions table, per dialect: the records a claim or an extra run
 * inserts, the running counts that maxInstances is checked against, outcomes, history queries and
 * pruning. Table names come from the prefix, values are bound.
 */
export class ExecutionSql {
  private readonly executions: string;
  private readonly executionColumns: string;

  constructor(
    private readonly d: SqlDialect,
    names: SchedulerTableNames,
  ) {
    this.executions = d.id(names.executions);
    this.executionColumns = EXECUTION_COLUMNS.map((c) => d.id(c)).join(', ');
  }

  private c(column: string): string {
    return this.d.id(column);
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

  /** Running submissions per job: distinct batches, since a backlog runs as one submission. */
  runningCounts(jobIds: readonly string[]): Statement[] {
    const head =
      `SELECT ${this.c('job_id')}, COUNT(DISTINCT ${this.c('batch_id')}) AS ${this.c('running')} FROM ${this.executions}` +
      ` WHERE ${this.c('status')} IN ('running', 'retry_pending') AND ${this.c('job_id')}`;
    const tail = ` GROUP BY ${this.c('job_id')}`;
    if (this.d.kind === 'postgres') return [{ sql: `${head} = ANY($1::varchar[])${tail}`, params: [jobIds] }];
    return chunk(jobIds, ROWS_PER_STATEMENT).map((ids) => {
      const p = this.d.params();
      return { sql: `${head} IN (${p.list(ids)})${tail}`, params: p.values };
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
   * `ignoreDuplicates`: a row whose (job, time, attempt) has a record already is skipped, not an
   * error. For retries written with an outcome: a write retried after its commit's answer was lost
   * must land, not fail on the retry it wrote the first time.
   */
  insertExecutions(rows: readonly ExecutionValues[], ignoreDuplicates = false): Statement[] {
    if (rows.length === 0) return [];
    const insert = !ignoreDuplicates
      ? 'INSERT'
      : this.d.kind === 'mysql'
        ? 'INSERT IGNORE'
        : this.d.kind === 'sqlite'
          ? 'INSERT OR IGNORE'
          : 'INSERT';
    const onConflict = ignoreDuplicates && this.d.kind === 'postgres' ? ' ON CONFLICT DO NOTHING' : '';
    const values = (r: ExecutionValues): unknown[] => [
      r.id,
      r.jobId,
      r.scheduledRunTime,
      r.attempt ?? 1,
      r.status,
      r.instanceId,
      r.batchId,
      r.startedAt,
      r.finishedAt,
      r.durationMs,
      this.text(r.error),
      this.text(r.traceback),
      r.retryAt ?? null,
    ];
    if (this.d.kind === 'postgres') {
      const types = [
        'varchar',
        'varchar',
        'bigint',
        'int4',
        'varchar',
        'varchar',
        'varchar',
        'bigint',
        'bigint',
        'float8',
        'text',
        'text',
        'bigint',
      ];
      const columns = types.map(() => [] as unknown[]);
      for (const row of rows) values(row).forEach((v, i) => columns[i]!.push(v));
      const arrays = types.map((type, i) => `$${i + 1}::${type}[]`).join(', ');
      return [
        {
          sql: `${insert} INTO ${this.executions} (${this.executionColumns}) SELECT * FROM unnest(${arrays})${onConflict}`,
          params: columns,
        },
      ];
    }
    return chunk(rows, ROWS_PER_STATEMENT).map((part) => {
      const p = this.d.params();
      const tuples = part.map((r) => `(${p.list(values(r))})`).join(', ');
      return { sql: `${insert} INTO ${this.executions} (${this.executionColumns}) VALUES ${tuples}${onConflict}`, params: p.values };
    });
  }

  /**
   * Fenced: the outcome lands only on a record still 'running' and owned by `owner`, so an instance
   * taken for dead (its runs marked lost or re-run by another) cannot write over their decision.
   */
  finishExecution(id: string, outcome: Outcome, owner: string): Statement {
    const p = this.d.params();
    const ms = (d: Date | null) => (d ? d.getTime() : null);
    return {
      sql:
        `UPDATE ${this.executions} SET ${this.c('status')} = ${p.add(outcome.status)}, ${this.c('started_at')} = ${p.add(ms(outcome.startedAt))},` +
        ` ${this.c('finished_at')} = ${p.add(ms(outcome.finishedAt))}, ${this.c('duration_ms')} = ${p.add(outcome.durationMs)},` +
        ` ${this.c('error')} = ${p.add(this.text(outcome.error))}, ${this.c('traceback')} = ${p.add(this.text(outcome.traceback))}` +
        ` WHERE ${this.c('id')} = ${p.add(id)} AND ${this.c('status')} = 'running' AND ${this.c('instance_id')} = ${p.add(owner)}`,
      params: p.values,
    };
  }

  /**
   * Outcomes of several runs, fenced as finishExecution: one statement on PostgreSQL (RETURNING the
   * ids it wrote), one per run (in one transaction) elsewhere, whose affected counts say the same.
   */
  finishExecutions(items: readonly { executionId: string; outcome: Outcome }[], owner: string): Statement[] {
    if (items.length === 0) return [];
    if (this.d.kind !== 'postgres') return items.map(({ executionId, outcome }) => this.finishExecution(executionId, outcome, owner));
    const ms = (d: Date | null) => (d ? d.getTime() : null);
    const c = (column: string) => this.c(column);
    return [
      {
        sql:
          `UPDATE ${this.executions} AS e SET ${c('status')} = v.status, ${c('started_at')} = v.started,` +
          ` ${c('finished_at')} = v.finished, ${c('duration_ms')} = v.duration, ${c('error')} = v.error, ${c('traceback')} = v.traceback` +
          ` FROM unnest($1::varchar[], $2::varchar[], $3::bigint[], $4::bigint[], $5::float8[], $6::text[], $7::text[])` +
          ` AS v(id, status, started, finished, duration, error, traceback) WHERE e.${c('id')} = v.id` +
          ` AND e.${c('status')} = 'running' AND e.${c('instance_id')} = $8 RETURNING e.${c('id')}`,
        params: [
          items.map((i) => i.executionId),
          items.map((i) => i.outcome.status),
          items.map((i) => ms(i.outcome.startedAt)),
          items.map((i) => ms(i.outcome.finishedAt)),
          items.map((i) => i.outcome.durationMs),
          items.map((i) => this.text(i.outcome.error)),
          items.map((i) => this.text(i.outcome.traceback)),
          owner,
        ],
      },
    ];
  }

  selectExecutions(query: ExecutionQuery, limit: number, offset: number): Statement {
    const p = this.d.params();
    return {
      sql:
        `SELECT ${this.executionColumns} FROM ${this.executions}${this.where(query, p)}` +
        ` ORDER BY ${this.c('scheduled_run_time')} DESC, ${this.c('id')} DESC LIMIT ${limit} OFFSET ${offset}`,
      params: p.values,
    };
  }

  /** With `atMost`, the count stops there: the rows are counted off a LIMITed subquery. */
  countExecutions(query: ExecutionQuery, atMost?: number): Statement {
    const p = this.d.params();
    const where = this.where(query, p);
    const sql =
      atMost === undefined
        ? `SELECT COUNT(*) AS ${this.c('n')} FROM ${this.executions}${where}`
        : `SELECT COUNT(*) AS ${this.c('n')} FROM (SELECT 1 AS ${this.c('one')} FROM ${this.executions}${where} LIMIT ${atMost}) AS counted`;
    return { sql, params: p.values };
  }

  /** The history filters; each has an index to walk: (job_id, scheduled_run_time), (status, scheduled_run_time, id), (scheduled_run_time, id). */
  private where(query: ExecutionQuery, p: ParamList): string {
    const where: string[] = [];
    const time = this.c('scheduled_run_time');
    if (query.jobId !== undefined) where.push(`${this.c('job_id')} = ${p.add(query.jobId)}`);
    if (query.status !== undefined) where.push(`${this.c('status')} = ${p.add(query.status)}`);
    if (query.since !== undefined) where.push(`${time} >= ${p.add(query.since.getTime())}`);
    if (query.until !== undefined) where.push(`${time} < ${p.add(query.until.getTime())}`);
    return where.length ? ` WHERE ${where.join(' AND ')}` : '';
  }

  /**
   * Each job's record with the latest scheduled time: one probe of the unique (job_id,
   * scheduled_run_time) index per job, read backwards. PostgreSQL joins LATERAL over the id array;
   * MySQL/MariaDB (no LATERAL in MariaDB) and SQLite pick the ids with a scalar subquery per job.
   */
  lastExecutions(jobIds: readonly string[]): Statement[] {
    if (jobIds.length === 0) return [];
    const time = this.c('scheduled_run_time');
    const jobId = this.c('job_id');
    if (this.d.kind === 'postgres') {
      return [
        {
          sql:
            `SELECT e.* FROM unnest($1::varchar[]) AS j(id) CROSS JOIN LATERAL (SELECT ${this.executionColumns} FROM ${this.executions}` +
            ` WHERE ${jobId} = j.id ORDER BY ${time} DESC LIMIT 1) AS e`,
          params: [jobIds],
        },
      ];
    }
    return chunk(jobIds, ROWS_PER_STATEMENT).map((ids) => {
      const p = this.d.params();
      // SQLite caps a compound SELECT at 500 terms; a JSON array through json_each has no such cap.
      const list =
        this.d.kind === 'sqlite'
          ? `SELECT value AS ${jobId} FROM json_each(${p.add(JSON.stringify(ids))})`
          : ids.map((id) => `SELECT ${p.add(id)} AS ${jobId}`).join(' UNION ALL ');
      return {
        sql:
          `SELECT ${this.executionColumns} FROM ${this.executions} WHERE ${this.c('id')} IN (SELECT (SELECT x.${this.c('id')}` +
          ` FROM ${this.executions} x WHERE x.${jobId} = j.${jobId} ORDER BY x.${time} DESC LIMIT 1) FROM (${list}) j)`,
        params: p.values,
      };
    });
  }

  /**
   * The claim's lock on due retries, oldest first: SKIP LOCKED hands each record to one claimer
   * (SQLite: the claim's write transaction does), and the (status, retry_at) index lets the
   * database stop after `limit` rows.
   */
  selectDueRetries(now: number, limit: number): Statement {
    const p = this.d.params();
    const retryAt = this.c('retry_at');
    return {
      sql:
        `SELECT ${this.c('id')}, ${this.c('job_id')}, ${this.c('scheduled_run_time')}, ${this.c('attempt')}, ${retryAt} FROM ${this.executions}` +
        ` WHERE ${this.c('status')} = 'retry_pending' AND ${retryAt} <= ${p.add(now)}` +
        ` ORDER BY ${retryAt}, ${this.c('id')} LIMIT ${limit}${this.d.claimLock}`,
      params: p.values,
    };
  }

  /** Pending retries claimed to run here: 'running' in this instance's name, still counted by maxInstances. */
  startRetries(ids: readonly string[], instanceId: string): Statement[] {
    return this.updateByIds(
      ids,
      'retry_pending',
      (p) => `${this.c('status')} = 'running', ${this.c('instance_id')} = ${p.add(instanceId)}`,
    );
  }

  /** Pending retries that came due too late (misfireGraceTime counted from retry_at): 'missed'. */
  missRetries(ids: readonly string[], now: number, reason: string): Statement[] {
    return this.updateByIds(
      ids,
      'retry_pending',
      (p) => `${this.c('status')} = 'missed', ${this.c('finished_at')} = ${p.add(now)}, ${this.c('error')} = ${p.add(reason)}`,
    );
  }

  /** Retries claimed ahead or in doubt, taken back unstarted: pending again at their retry_at. */
  releaseRetries(ids: readonly string[]): Statement[] {
    return this.updateByIds(ids, 'running', () => `${this.c('status')} = 'retry_pending'`);
  }

  /** Of these records, the ones still 'running' in `owner`'s name, locked: what a release may give back. */
  ownRunning(ids: readonly string[], owner: string): Statement[] {
    return chunk(ids, ROWS_PER_STATEMENT).map((part) => {
      const p = this.d.params();
      return {
        sql:
          `SELECT ${this.c('id')} FROM ${this.executions} WHERE ${this.c('id')} IN (${p.list(part)})` +
          ` AND ${this.c('status')} = 'running' AND ${this.c('instance_id')} = ${p.add(owner)}${this.d.rowLock}`,
        params: p.values,
      };
    });
  }

  /** The status and owner of these records (outcomes that did not land: fenced, or written before). */
  selectStates(ids: readonly string[]): Statement[] {
    return chunk(ids, ROWS_PER_STATEMENT).map((part) => {
      const p = this.d.params();
      return {
        sql: `SELECT ${this.c('id')}, ${this.c('status')}, ${this.c('instance_id')} FROM ${this.executions} WHERE ${this.c('id')} IN (${p.list(part)})`,
        params: p.values,
      };
    });
  }

  /** Deletes the pending retries of these jobs (removed), or of every job (undefined). */
  deleteRetries(jobIds?: readonly string[]): Statement[] {
    const pending = `${this.c('status')} = 'retry_pending'`;
    if (jobIds === undefined) return [{ sql: `DELETE FROM ${this.executions} WHERE ${pending}`, params: [] }];
    if (jobIds.length === 0) return [];
    if (this.d.kind === 'postgres') {
      return [{ sql: `DELETE FROM ${this.executions} WHERE ${this.c('job_id')} = ANY($1::varchar[]) AND ${pending}`, params: [jobIds] }];
    }
    return chunk(jobIds, ROWS_PER_STATEMENT).map((part) => {
      const p = this.d.params();
      return { sql: `DELETE FROM ${this.executions} WHERE ${this.c('job_id')} IN (${p.list(part)}) AND ${pending}`, params: p.values };
    });
  }

  /** `UPDATE … SET <assignments> WHERE id IN (ids) AND status = <from>`, in chunks. */
  private updateByIds(ids: readonly string[], from: string, assignments: (p: ParamList) => string): Statement[] {
    return chunk(ids, ROWS_PER_STATEMENT).map((part) => {
      const p = this.d.params();
      const set = assignments(p);
      return {
        sql: `UPDATE ${this.executions} SET ${set} WHERE ${this.c('id')} IN (${p.list(part)}) AND ${this.c('status')} = ${p.add(from)}`,
        params: p.values,
      };
    });
  }

  pruneExecutions(before: number): Statement {
    const p = this.d.params();
    return {
      // Open records are kept whatever their age: maxInstances counts them, and a retry must run.
      sql:
        `DELETE FROM ${this.executions} WHERE ${this.c('status')} NOT IN ('running', 'retry_pending')` +
        ` AND ${this.c('scheduled_run_time')} < ${p.add(before)}`,
      params: p.values,
    };
  }

  private text(value: string | null): string | null {
    if (value === null || this.d.kind !== 'mysql' || value.length <= MYSQL_TEXT_CHARS) return value;
    return `${value.slice(0, MYSQL_TEXT_CHARS)}\n[truncated]`;
  }
}

/** MySQL TEXT holds 65,535 bytes; 16,000 characters fit even at 4 bytes each. */
const MYSQL_TEXT_CHARS = 16_000;
