import { JOB_COLUMNS, type JobValues } from '../rows/job-row.js';
import type { UnreadableJobs } from '../rows/unreadable-jobs.js';
import type { SchedulerTableNames } from '../schema/scheduler-tables.js';
import { chunk, ROWS_PER_STATEMENT, type ParamList, type SqlDialect, type Statement } from './sql-dialect.js';

/**
 * The statements on the jobs table, per dialect: a job's own reads and writes, the claim's lock on
 * due rows, and the bulk moves of next_run_time a claim or a release writes. Table names come from
 * the prefix, values are bound.
 */
export class JobSql {
  private readonly jobs: string;
  /** Read for the earliest pending retry (minNextRunTime). */
  private readonly executions: string;
  private readonly jobColumns: string;
  /** MySQL/MariaDB: see selectDueJobs. */
  private readonly dueIndexHint: string;

  constructor(
    private readonly d: SqlDialect,
    names: SchedulerTableNames,
  ) {
    this.jobs = d.id(names.jobs);
    this.executions = d.id(names.executions);
    this.jobColumns = JOB_COLUMNS.map((c) => d.id(c)).join(', ');
    this.dueIndexHint = d.kind === 'mysql' ? ` FORCE INDEX (${d.id(names.jobsNextRunTimeIndex)})` : '';
  }

  private c(column: string): string {
    return this.d.id(column);
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
      job.retry,
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

  /**
   * A page of the scheduled jobs (by next_run_time, then id) or of the paused ones (by id) that
   * match the search text. Two segments rather than one ORDER BY CASE ... : each is read off the
   * (next_run_time, id) index instead of sorting every row of the table for each page.
   */
  selectJobSegment(paused: boolean, q: string | undefined, limit: number, offset: number): Statement {
    const p = this.d.params();
    const order = paused ? this.c('id') : `${this.c('next_run_time')}, ${this.c('id')}`;
    return {
      sql: `SELECT ${this.jobColumns} FROM ${this.jobs}${this.jobFilter(paused, q, p)} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`,
      params: p.values,
    };
  }

  /** How many of the matching jobs are scheduled and how many paused, in one pass (`scheduled`, `paused`). */
  countJobSegments(paused: boolean | undefined, q: string | undefined): Statement {
    const p = this.d.params();
    const next = this.c('next_run_time');
    const where = paused === undefined ? this.searchFilter(q, p, ' WHERE ') : this.jobFilter(paused, q, p);
    return {
      sql:
        `SELECT COALESCE(SUM(CASE WHEN ${next} IS NULL THEN 0 ELSE 1 END), 0) AS ${this.c('scheduled')},` +
        ` COALESCE(SUM(CASE WHEN ${next} IS NULL THEN 1 ELSE 0 END), 0) AS ${this.c('paused')} FROM ${this.jobs}${where}`,
      params: p.values,
    };
  }

  /**
   * The WHERE of a job segment. The text search lower-cases both sides (PostgreSQL's LIKE is case
   * sensitive, MySQL's follows the collation) and escapes LIKE's wildcards with '!', a character no
   * dialect treats specially in a string literal (MySQL does with a backslash).
   */
  private jobFilter(paused: boolean, q: string | undefined, p: ParamList): string {
    return ` WHERE ${this.c('next_run_time')} IS ${paused ? '' : 'NOT '}NULL${this.searchFilter(q, p, ' AND ')}`;
  }

  private searchFilter(q: string | undefined, p: ParamList, joiner: string): string {
    if (q === undefined) return '';
    const pattern = `%${q.toLowerCase().replace(/[!%_]/g, (m) => `!${m}`)}%`;
    return `${joiner}(LOWER(${this.c('id')}) LIKE ${p.add(pattern)} ESCAPE '!' OR LOWER(${this.c('name')}) LIKE ${p.add(pattern)} ESCAPE '!')`;
  }

  /**
   * The earliest next_run_time (`next`) and the earliest retry_at of a pending retry (`retry_next`),
   * in one round trip: the loop asks on every pass of every process.
   */
  minNextRunTime(unreadable: UnreadableJobs): Statement {
    const p = this.d.params();
    const next = this.c('next_run_time');
    const retryAt = this.c('retry_at');
    return {
      // ORDER BY + LIMIT walks the index and stops; MariaDB answers MIN(...) WHERE ... IS NOT NULL by
      // scanning half the index (9 ms at 100,000 jobs, on every pass of every process). The same
      // for retries, on the (status, retry_at) index.
      sql:
        `SELECT (SELECT ${next} FROM ${this.jobs} WHERE ${next} IS NOT NULL${unreadable.exclusion(this.d, p)}` +
        ` ORDER BY ${next} LIMIT 1) AS ${this.c('next')},` +
        ` (SELECT ${retryAt} FROM ${this.executions} WHERE ${this.c('status')} = 'retry_pending' ORDER BY ${retryAt} LIMIT 1) AS ${this.c('retry_next')}`,
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

  /** How many jobs are due by `now` (locked by other claims or not): what a fair share is taken of. */
  countDueJobs(now: number): Statement {
    const p = this.d.params();
    return {
      sql: `SELECT COUNT(*) AS ${this.c('due')} FROM ${this.jobs}${this.dueIndexHint} WHERE ${this.c('next_run_time')} <= ${p.add(now)}`,
      params: p.values,
    };
  }

  /** Which of these ids have a row. */
  selectJobIds(ids: readonly string[]): Statement[] {
    if (ids.length === 0) return [];
    if (this.d.kind === 'postgres') {
      return [{ sql: `SELECT ${this.c('id')} FROM ${this.jobs} WHERE ${this.c('id')} = ANY($1::varchar[])`, params: [ids] }];
    }
    return chunk(ids, ROWS_PER_STATEMENT).map((part) => {
      const p = this.d.params();
      return { sql: `SELECT ${this.c('id')} FROM ${this.jobs} WHERE ${this.c('id')} IN (${p.list(part)})`, params: p.values };
    });
  }

  /** The jobs with these ids, unlocked (the jobs of due retries: their handler, args and policy). */
  selectJobsByIds(ids: readonly string[]): Statement[] {
    if (ids.length === 0) return [];
    if (this.d.kind === 'postgres') {
      return [{ sql: `SELECT ${this.jobColumns} FROM ${this.jobs} WHERE ${this.c('id')} = ANY($1::varchar[])`, params: [ids] }];
    }
    return chunk(ids, ROWS_PER_STATEMENT).map((part) => {
      const p = this.d.params();
      return { sql: `SELECT ${this.jobColumns} FROM ${this.jobs} WHERE ${this.c('id')} IN (${p.list(part)})`, params: p.values };
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
      return {
        sql: `UPDATE ${this.jobs} SET ${next} = ${at} WHERE ${id} = ${p.add(r.id)} AND ${next} > ${p.add(r.nextRunTime)}`,
        params: p.values,
      };
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
}
