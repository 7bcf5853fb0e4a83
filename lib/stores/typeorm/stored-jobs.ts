import { ConflictingIdError, JobLookupError, SerializationError } from '../../core/errors.js';
import type { JobSpec } from '../../core/jobs/job.js';
import type { JobReader } from './rows/job-reader.js';
import { isDateMs, toJobValues, type JobValues } from './rows/job-row.js';
import type { StoreConnection } from './store-connection.js';
import type { StoreContextHolder } from './store-context-holder.js';
import { single, type SqlSession, type SqlSteps } from './sql/sql-session.js';
import type { RetryHint } from './retry-hint.js';

/**
 * The store's jobs as the scheduler manages them: added, updated, removed, looked up and listed,
 * and the earliest next run time the loop sleeps until. Each change calls `jobsChanged`, the seam
 * that tells other processes (PostgreSQL NOTIFY).
 */
export class StoredJobs {
  constructor(
    private readonly connection: StoreConnection,
    private readonly reader: JobReader,
    private readonly context: StoreContextHolder,
    private readonly jobsChanged: () => void,
    private readonly retries: RetryHint,
  ) {}

  async addJob(job: JobSpec): Promise<void> {
    const values = toJobValues(job);
    const { session, jobSql: sql } = await this.connection.get();
    checkTextSizes(session, values);
    await session.run(
      (function* () {
        try {
          yield sql.insertJob(values);
        } catch (error) {
          if (session.dialect.isUniqueViolation(error)) throw new ConflictingIdError(job.id);
          throw error;
        }
      })(),
    );
    this.jobsChanged();
  }

  async updateJob(job: JobSpec): Promise<void> {
    const values = toJobValues(job);
    const { session, jobSql: sql } = await this.connection.get();
    checkTextSizes(session, values);
    const alias = this.context.alias;
    await session.run(
      (function* () {
        const { affected } = yield sql.updateJob(values);
        // MySQL may count only changed rows: an identical update is not an absent job.
        if (affected === 0 && (yield sql.jobNextRunTime(job.id)).rows.length === 0) throw new JobLookupError(job.id, alias);
      })(),
    );
    this.reader.unreadable.forget(job.id);
    this.jobsChanged();
  }

  /** With its pending retries, in one transaction. */
  async removeJob(id: string): Promise<void> {
    const { session, jobSql: sql, executionSql } = await this.connection.get();
    const { affected } = await session.runInWriteTransaction(
      (function* (): SqlSteps<{ affected: number }> {
        const result = yield sql.deleteJob(id);
        for (const statement of executionSql.deleteRetries([id])) yield statement;
        return result;
      })(),
    );
    this.reader.unreadable.forget(id);
    if (affected === 0) throw new JobLookupError(id, this.context.alias);
    this.jobsChanged();
  }

  /** Several jobs and their pending retries, in one transaction (jobs finished after their retries). */
  async removeJobs(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const { session, jobSql: sql, executionSql } = await this.connection.get();
    const removed = await session.runInWriteTransaction(
      (function* (): SqlSteps<string[]> {
        const found = new Set<string>();
        for (const statement of sql.selectJobIds(ids)) for (const row of (yield statement).rows) found.add(String(row.id));
        const present = ids.filter((id) => found.has(id));
        for (const statement of [...sql.deleteJobs(present), ...executionSql.deleteRetries(present)]) yield statement;
        return present;
      })(),
    );
    for (const id of removed) this.reader.unreadable.forget(id);
    if (removed.length > 0) this.jobsChanged();
    return removed;
  }

  async removeAllJobs(): Promise<void> {
    const { session, jobSql: sql, executionSql } = await this.connection.get();
    await session.runInWriteTransaction(
      (function* (): SqlSteps<void> {
        yield sql.deleteAllJobs();
        for (const statement of executionSql.deleteRetries()) yield statement;
      })(),
    );
    this.reader.unreadable.clear();
    this.jobsChanged();
  }

  async lookupJob(id: string): Promise<JobSpec | null> {
    const { session, jobSql: sql } = await this.connection.get();
    const { rows } = await session.run(single(sql.selectJob(id)));
    return rows.length === 0 ? null : this.reader.read(rows[0]!);
  }

  async getAllJobs(): Promise<JobSpec[]> {
    const { session, jobSql: sql } = await this.connection.get();
    const { rows } = await session.run(single(sql.selectAllJobs()));
    const jobs: JobSpec[] = [];
    for (const row of rows) {
      const job = this.reader.read(row);
      if (job) jobs.push(job);
    }
    return jobs;
  }

  async getNextRunTime(): Promise<Date | null> {
    const { session, jobSql: sql } = await this.connection.get();
    // A row whose time is no date (edited by hand) is reported, excluded, and the next one asked
    // for: the loop's wake-up must never become NaN. Each round excludes at least one more row.
    for (let round = 0; round < 20; round++) {
      const { rows } = await session.run(single(sql.minNextRunTime(this.reader.unreadable)));
      const retryNext = rows[0]?.retry_next;
      const retryMs = retryNext === null || retryNext === undefined ? null : Number(retryNext);
      // A retry_at that is no date (edited by hand) is taken as due now: the claim then judges it.
      const retryAt = retryMs === null ? null : isDateMs(retryMs) ? retryMs : Date.now();
      this.retries.seen(retryAt);
      const next = rows[0]?.next;
      if (next === null || next === undefined) return retryAt === null ? null : new Date(retryAt);
      const ms = Number(next);
      if (isDateMs(ms)) return new Date(retryAt !== null && retryAt < ms ? retryAt : ms);
      const { rows: bad } = await session.run(single(sql.selectJobsAt(next)));
      for (const row of bad) this.reader.read(row);
      if (bad.length === 0) return null;
    }
    return null;
  }
}

const MYSQL_TEXT_BYTES = 65_535;

/** MySQL TEXT silently caps at 64 KB (or fails in strict mode); say which field is too big instead. */
function checkTextSizes(session: SqlSession, values: JobValues): void {
  if (session.dialect.kind !== 'mysql') return;
  for (const field of ['args', 'trigger'] as const) {
    const bytes = Buffer.byteLength(values[field]);
    if (bytes > MYSQL_TEXT_BYTES) {
      throw new SerializationError(field, `its JSON is ${bytes} bytes; a MySQL TEXT column holds ${MYSQL_TEXT_BYTES}`);
    }
  }
}
