import type { StoreJobPage, StoreJobQuery } from '../../core/jobs/job-query.js';
import { readExecutionQuery } from '../../core/runs/execution-query.js';
import type { ExecutionQuery, JobExecution } from '../../core/runs/execution.js';
import type { ClusterInstance } from '../job-store.js';
import type { JobReader } from './rows/job-reader.js';
import { toExecution } from './rows/job-row.js';
import type { SchedulerTableNames } from './schema/scheduler-tables.js';
import { InstanceSql } from './sql/instance-sql.js';
import { single } from './sql/sql-session.js';
import type { StoreConnection } from './store-connection.js';

/**
 * The reads a list pages through (the admin API): a page of jobs with its total, how many
 * execution records a filter matches, each job's latest record, the cluster's heartbeat rows. Each
 * is one indexed statement (or one per 500 jobs), so a page costs the same at 10,000 jobs and a
 * million records as at ten.
 */
export class PagedReads {
  private instanceSql: InstanceSql | undefined;

  constructor(
    private readonly connection: StoreConnection,
    private readonly reader: JobReader,
    private readonly tableNames: SchedulerTableNames,
    private readonly instanceTimeout: number,
  ) {}

  /** Scheduled jobs first (by time, then id), then paused ones (by id): getAllJobs' order, in two indexed segments. */
  async queryJobs(query: StoreJobQuery): Promise<StoreJobPage> {
    const { session, jobSql: sql } = await this.connection.get();
    const { rows: counted } = await session.run(single(sql.countJobSegments(query.paused, query.q)));
    const scheduled = Number(counted[0]?.scheduled ?? 0);
    const total = scheduled + Number(counted[0]?.paused ?? 0);
    const rows: Record<string, unknown>[] = [];
    const { limit, offset } = query;
    if (offset < scheduled && limit > 0) {
      rows.push(...(await session.run(single(sql.selectJobSegment(false, query.q, Math.min(limit, scheduled - offset), offset)))).rows);
    }
    const left = Math.min(limit - rows.length, total - Math.max(offset, scheduled));
    if (left > 0) {
      rows.push(...(await session.run(single(sql.selectJobSegment(true, query.q, left, Math.max(0, offset - scheduled))))).rows);
    }
    const items = [];
    // An unreadable row is reported (once) and left out of the page, as getAllJobs does.
    for (const row of rows) {
      const job = this.reader.read(row);
      if (job) items.push(job);
    }
    return { items, total };
  }

  /** Counts no further than `atMost`: counting a million rows costs what a page must not (COUNT(*) reads them all). */
  async countExecutions(query: ExecutionQuery, atMost?: number): Promise<number> {
    const checked = readExecutionQuery(query, Number.MAX_SAFE_INTEGER);
    // Spliced into the SQL as a LIMIT: only a whole number may get there.
    if (atMost !== undefined && !(Number.isSafeInteger(atMost) && atMost >= 0)) throw new RangeError(`countExecutions: atMost ${atMost}`);
    const { session, executionSql: sql } = await this.connection.get();
    const { rows } = await session.run(single(sql.countExecutions(checked, atMost)));
    return Number(rows[0]?.n ?? 0);
  }

  async lastExecutions(jobIds: readonly string[]): Promise<JobExecution[]> {
    const { session, executionSql: sql } = await this.connection.get();
    const found: JobExecution[] = [];
    for (const statement of sql.lastExecutions(jobIds)) {
      const { rows } = await session.run(single(statement));
      for (const row of rows) found.push(toExecution(row));
    }
    return found;
  }

  async getInstances(): Promise<ClusterInstance[]> {
    const { session } = await this.connection.get();
    this.instanceSql ??= new InstanceSql(session.dialect, this.tableNames);
    const { rows } = await session.run(single(this.instanceSql.allInstances()));
    const now = Date.now();
    return rows.map((row) => {
      const lastHeartbeat = Number(row.last_heartbeat);
      return {
        id: String(row.instance_id),
        startedAt: new Date(Number(row.started_at)),
        lastHeartbeat: new Date(lastHeartbeat),
        alive: now - lastHeartbeat < this.instanceTimeout,
      };
    });
  }
}
