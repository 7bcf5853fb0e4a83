import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ConflictingIdError, InvalidSchedulerOptionError, JobLookupError, SerializationError, UnplannableJobError } from '../../core/errors.js';
import { readExecutionQuery } from '../../core/runs/execution-query.js';
import { MAX_TIMER_MS, checkWhole, readOptions, type OptionErrorFactory } from '../../utils/option-checks.js';
import type { JobStoreErrorEvent } from '../../core/events/scheduler-events.js';
import type { JobSpec } from '../../core/jobs/job.js';
import type { ExecutionQuery, JobExecution, Outcome } from '../../core/runs/execution.js';
import type { Claim } from '../../core/loop/claim.js';
import type { JobStore, PlanFunction, ReleasedRun, StoreContext } from '../job-store.js';
import { planClaims, type ExecutionValues } from './claim-planner.js';
import { isDateMs, toExecution, toJobSpec, toJobValues, toNumberOrNull, UnreadableJobRowError, type JobValues, type Row } from './job-row.js';
import { JobStoreSql } from './job-store-sql.js';
import { DEFAULT_TABLE_PREFIX, schedulerTableNames, type SchedulerTableNames } from './scheduler-tables.js';
import { dialectKindOf, SqlDialect, type Statement, type StatementResult } from './sql-dialect.js';
import { QueryRunnerSession, SqliteSession, type SqlSession, type SqlSteps } from './sql-session.js';
import { UnreadableJobs } from './unreadable-jobs.js';
import { InstanceMonitor } from './instance-monitor.js';
import { InstanceSql } from './instance-sql.js';
import { PostgresNotifier } from './postgres-notifier.js';

/** @publicApi */
export interface TypeOrmJobStoreOptions {
  /** The application's DataSource, initialized before the scheduler starts. The store never opens or closes it. */
  dataSource: DataSource;
  /** Default 'scheduler_'. Tables must exist: SCHEDULER_ENTITIES / createSchedulerEntities(prefix), or the migrations. */
  tablePrefix?: string;
  /** ms. When set, finished execution records older than this are deleted periodically while the store runs. */
  executionRetention?: number;
  /** ms between this process's heartbeats in the instances table (cluster). Default: 5000. */
  heartbeatInterval?: number;
  /**
   * ms without a heartbeat after which another process is dead: its running executions become
   * 'lost' (or run again here, for jobs with rerunOnLoss). Default: 30000.
   */
  instanceTimeout?: number;
}

const STORE_KEYS: ReadonlySet<string> = new Set(['dataSource', 'tablePrefix', 'executionRetention', 'heartbeatInterval', 'instanceTimeout']);
const optionError: OptionErrorFactory = (field, value, allowed) => new InvalidSchedulerOptionError(`TypeOrmJobStore.${field}`, value, allowed);

function isDataSource(value: unknown): value is DataSource {
  return typeof value === 'object' && value !== null && typeof (value as DataSource).query === 'function'
    && typeof (value as DataSource).options === 'object';
}

/** How many ms after the asked time an extra run may move to find a free run time (normally none). */
const EXTRA_RUN_SPAN_MS = 1000;
const MYSQL_TEXT_BYTES = 65_535;
const CLAIM_ATTEMPTS = 3;
/** Owner of rows written before start() gave the store an instance id. */
const UNKNOWN_INSTANCE = 'unknown';

/**
 * Keeps jobs and their history in the application's database through TypeORM (PostgreSQL,
 * MySQL 8 / MariaDB 10.6+, SQLite via better-sqlite3). Several processes may share the tables:
 * claims lock due rows and consume each fire time exactly once. See DESIGN.md, "Cluster".
 * @publicApi
 */
export class TypeOrmJobStore implements JobStore {
  readonly persistent = true;
  readonly tableNames: SchedulerTableNames;

  private readonly dataSource: DataSource;
  private readonly executionRetention: number | undefined;
  private ready: Promise<{ session: SqlSession; sql: JobStoreSql }> | undefined;
  private ctx: StoreContext | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private readonly unreadable = new UnreadableJobs();
  private readonly heartbeatInterval: number;
  private readonly instanceTimeout: number;
  private monitor: InstanceMonitor | undefined;
  private notifier: PostgresNotifier | undefined;

  constructor(input: TypeOrmJobStoreOptions) {
    const options = readOptions(input, STORE_KEYS, 'TypeOrmJobStore', optionError) as Partial<TypeOrmJobStoreOptions>;
    const dataSource = options.dataSource;
    if (!isDataSource(dataSource)) {
      throw optionError('dataSource', dataSource, "allowed: the application's TypeORM DataSource (inject it with @InjectDataSource() or getDataSourceToken())");
    }
    this.dataSource = dataSource;
    this.tableNames = schedulerTableNames(options.tablePrefix ?? DEFAULT_TABLE_PREFIX);
    this.executionRetention = options.executionRetention === undefined
      ? undefined
      : checkWhole(optionError, 'executionRetention', options.executionRetention, 0, Number.MAX_SAFE_INTEGER, 'ms');
    // Timers' delays: Node fires a longer one after 1 ms.
    this.heartbeatInterval = options.heartbeatInterval === undefined
      ? 5_000
      : checkWhole(optionError, 'heartbeatInterval', options.heartbeatInterval, 1, MAX_TIMER_MS, 'ms');
    this.instanceTimeout = options.instanceTimeout === undefined
      ? 30_000
      : checkWhole(optionError, 'instanceTimeout', options.instanceTimeout, 1, MAX_TIMER_MS, 'ms');
    if (this.instanceTimeout <= this.heartbeatInterval) {
      throw optionError(
        'instanceTimeout', this.instanceTimeout,
        `allowed: longer than heartbeatInterval (${this.heartbeatInterval} ms), or live instances would be taken for dead`,
      );
    }
    // Fails at construction for a database the store cannot lock.
    dialectKindOf(this.dataSource.options.type);
  }

  /**
   * Other processes may use the same tables. An in-memory SQLite database belongs to this
   * connection alone; a SQLite file may be opened by several processes, and BEGIN IMMEDIATE keeps
   * their claims apart (one writer at a time), so it counts as shared.
   */
  get shared(): boolean {
    const options = this.dataSource.options as { type: string; database?: unknown };
    return !(options.type === 'better-sqlite3' && (options.database === ':memory:' || options.database === ''));
  }

  async start(ctx: StoreContext): Promise<void> {
    this.ctx = ctx;
    const { session, sql } = await this.connection();
    for (const probe of sql.schemaProbes()) {
      try {
        await session.run(single(probe));
      } catch (error) {
        throw new Error(
          `TypeOrmJobStore cannot use the scheduler tables (${this.tableNames.jobs}, ${this.tableNames.executions}, ` +
            `${this.tableNames.instances}): add SCHEDULER_ENTITIES (or createSchedulerEntities('${this.prefix}')) to the ` +
            `DataSource's entities with synchronize: true, or run SchedulerMigrations ` +
            `(createSchedulerMigrations('${this.prefix}')). Database error: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
    this.startRetention();
    if (this.shared) {
      this.monitor = new InstanceMonitor(session, new InstanceSql(session.dialect, this.tableNames), sql, ctx, {
        heartbeatInterval: this.heartbeatInterval,
        instanceTimeout: this.instanceTimeout,
      }, (error) => this.report(error));
      await this.monitor.start();
    }
    if (session.dialect.kind === 'postgres') {
      this.notifier = new PostgresNotifier(this.dataSource, `${this.tableNames.jobs}_changed`, ctx);
      await this.notifier.start();
    }
  }

  async shutdown(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.retentionTimer = undefined;
    const { monitor, notifier } = this;
    this.monitor = this.notifier = undefined;
    await notifier?.stop();
    // A clean exit removes this instance's heartbeat row; a failure here is a crash to the others, which is safe.
    await monitor?.stop().catch(() => undefined);
  }

  async addJob(job: JobSpec): Promise<void> {
    const values = toJobValues(job);
    const { session, sql } = await this.connection();
    this.checkTextSizes(session, values);
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
    const { session, sql } = await this.connection();
    this.checkTextSizes(session, values);
    const alias = this.ctx?.alias;
    await session.run(
      (function* () {
        const { affected } = yield sql.updateJob(values);
        // MySQL may count only changed rows: an identical update is not an absent job.
        if (affected === 0 && (yield sql.jobNextRunTime(job.id)).rows.length === 0) throw new JobLookupError(job.id, alias);
      })(),
    );
    this.unreadable.forget(job.id);
    this.jobsChanged();
  }

  async removeJob(id: string): Promise<void> {
    const { session, sql } = await this.connection();
    const { affected } = await session.run(single(sql.deleteJob(id)));
    this.unreadable.forget(id);
    if (affected === 0) throw new JobLookupError(id, this.ctx?.alias);
    this.jobsChanged();
  }

  async removeAllJobs(): Promise<void> {
    const { session, sql } = await this.connection();
    await session.run(single(sql.deleteAllJobs()));
    this.unreadable.clear();
    this.jobsChanged();
  }

  async lookupJob(id: string): Promise<JobSpec | null> {
    const { session, sql } = await this.connection();
    const { rows } = await session.run(single(sql.selectJob(id)));
    return rows.length === 0 ? null : this.readJob(rows[0]!);
  }

  async getAllJobs(): Promise<JobSpec[]> {
    const { session, sql } = await this.connection();
    const { rows } = await session.run(single(sql.selectAllJobs()));
    const jobs: JobSpec[] = [];
    for (const row of rows) {
      const job = this.readJob(row);
      if (job) jobs.push(job);
    }
    return jobs;
  }

  async getNextRunTime(): Promise<Date | null> {
    const { session, sql } = await this.connection();
    // A row whose time is no date (edited by hand) is reported, excluded, and the next one asked
    // for: the loop's wake-up must never become NaN. Each round excludes at least one more row.
    for (let round = 0; round < 20; round++) {
      const { rows } = await session.run(single(sql.minNextRunTime(this.unreadable)));
      const next = rows[0]?.next;
      if (next === null || next === undefined) return null;
      const ms = Number(next);
      if (isDateMs(ms)) return new Date(ms);
      const { rows: bad } = await session.run(single(sql.selectJobsAt(next)));
      for (const row of bad) this.readJob(row);
      if (bad.length === 0) return null;
    }
    return null;
  }

  async claimDueJobs(now: Date, limit: number, plan: PlanFunction): Promise<Claim[]> {
    if (!Number.isInteger(limit) || limit < 1) return [];
    const { session, sql } = await this.connection();
    // A deadlock victim's transaction was rolled back whole, and plan is pure: claiming again is
    // safe and cheaper than surfacing a jobstore_error and backing off.
    for (let attempt = 1; ; attempt++) {
      // Reported after the transaction: on SQLite a slow event subscriber would hold the write lock.
      const problems: { error: Error; jobId: string }[] = [];
      try {
        return await session.runInWriteTransaction(this.claimSteps(sql, now, limit, plan, problems));
      } catch (error) {
        if (attempt >= CLAIM_ATTEMPTS || !session.dialect.isDeadlock(error)) throw error;
      } finally {
        for (const { error, jobId } of problems) this.report(error, jobId);
      }
    }
  }

  private *claimSteps(
    sql: JobStoreSql,
    now: Date,
    limit: number,
    plan: PlanFunction,
    problems: { error: Error; jobId: string }[],
  ): SqlSteps<Claim[]> {
    const rowsById = new Map<string, Row>();
    let jobs: JobSpec[] = [];
    // Unreadable rows found by a select are excluded from then on; select again so they do not
    // take the places of readable due rows. Each pass excludes at least one more row; the bound
    // is for a database that would compare the excluded text differently than JavaScript does.
    for (let clean = false, pass = 0; !clean && pass < 20; pass++) {
      const { rows } = yield sql.selectDueJobs(now.getTime(), limit, this.unreadable);
      jobs = [];
      clean = true;
      for (const row of rows) {
        const job = this.readJob(row, (error, jobId) => problems.push({ error, jobId }));
        if (job) {
          jobs.push(job);
          rowsById.set(job.id, row);
        } else {
          clean = false;
        }
      }
    }
    if (jobs.length === 0) return [];

    const running = new Map<string, number>();
    for (const statement of sql.runningCounts(jobs.map((j) => j.id))) {
      for (const row of (yield statement).rows) running.set(String(row.job_id), Number(row.running));
    }

    const { writes, failures } = planClaims(jobs, running, now, plan, this.ctx?.instanceId ?? UNKNOWN_INSTANCE);
    for (const { job, error } of failures) {
      // Left in place and excluded until its row changes, like an unreadable row.
      if (this.unreadable.remember(rowsById.get(job.id)!)) {
        problems.push({ error: new UnplannableJobError(job.id, describe(error), { cause: error }), jobId: job.id });
      }
    }
    // A unique violation on (job_id, scheduled_run_time) propagates: the transaction rolls back
    // and nothing runs, rather than a fire time running twice.
    for (const statement of [
      ...sql.deleteJobs(writes.removed),
      ...sql.setNextRunTimes(writes.moved),
      ...sql.insertExecutions(writes.executions),
    ]) {
      yield statement;
    }
    return writes.claims;
  }

  async startExtraRun(jobId: string, runTime: Date): Promise<string | null> {
    const { session, sql } = await this.connection();
    return session.runInWriteTransaction(this.extraRunSteps(sql, jobId, runTime));
  }

  /**
   * Under the job's row lock, which claims take too: count its running submissions, then record
   * the run at the first free millisecond from `runTime` ('running', or 'max_instances' when the
   * job has as many running as it may).
   */
  private *extraRunSteps(sql: JobStoreSql, jobId: string, runTime: Date): SqlSteps<string | null> {
    const { rows } = yield sql.lockJobForRun(jobId);
    if (rows.length === 0) throw new JobLookupError(jobId, this.ctx?.alias);
    const maxInstances = Number(rows[0]!.max_instances);
    let running = 0;
    for (const statement of sql.runningCounts([jobId])) {
      for (const row of (yield statement).rows) running = Number(row.running);
    }
    const refused = running >= maxInstances;
    // The job's own next fire time is about to be claimed: taking it would make that claim collide
    // on the unique key, so an extra run steps aside from it as from any recorded time.
    const taken = new Set<number>();
    const scheduled = toNumberOrNull(rows[0]!.next_run_time);
    if (scheduled !== null) taken.add(scheduled);
    const from = runTime.getTime();
    for (const row of (yield sql.recordedRunTimes(jobId, from, from + EXTRA_RUN_SPAN_MS)).rows) {
      taken.add(Number(row.scheduled_run_time));
    }
    let time = from;
    while (time < from + EXTRA_RUN_SPAN_MS && taken.has(time)) time++;
    if (time === from + EXTRA_RUN_SPAN_MS) {
      throw new Error(`No free run time for an extra run of job '${jobId}' within ${EXTRA_RUN_SPAN_MS} ms of ${runTime.toISOString()}`);
    }
    const execution: ExecutionValues = {
      id: randomUUID(),
      jobId,
      scheduledRunTime: time,
      status: refused ? 'max_instances' : 'running',
      instanceId: this.ctx?.instanceId ?? UNKNOWN_INSTANCE,
      batchId: refused ? null : randomUUID(), // its own submission
      startedAt: null,
      finishedAt: refused ? Date.now() : null,
      durationMs: null,
      error: null,
      traceback: null,
    };
    for (const statement of sql.insertExecutions([execution])) yield statement;
    return refused ? null : execution.id;
  }

  async finishExecution(executionId: string, outcome: Outcome): Promise<void> {
    const { session, sql } = await this.connection();
    await session.run(single(sql.finishExecution(executionId, outcome)));
  }

  async finishExecutions(items: readonly { executionId: string; outcome: Outcome }[]): Promise<void> {
    if (items.length === 0) return;
    const { session, sql } = await this.connection();
    const statements = sql.finishExecutions(items);
    await session.runInWriteTransaction(
      (function* (): SqlSteps<void> {
        for (const statement of statements) yield statement;
      })(),
    );
  }

  async releaseRuns(runs: readonly ReleasedRun[]): Promise<void> {
    if (runs.length === 0) return;
    const { session, sql } = await this.connection();
    const statements = [
      ...sql.deleteRunningExecutions(runs.map((r) => r.executionId)),
      ...sql.restoreNextRunTimes(runs.map((r) => ({ id: r.jobId, nextRunTime: r.runTime.getTime() }))),
    ];
    await session.runInWriteTransaction(
      (function* (): SqlSteps<void> {
        for (const statement of statements) yield statement;
      })(),
    );
    this.jobsChanged();
  }

  async getExecutions(query: ExecutionQuery): Promise<JobExecution[]> {
    // Checked here too, for direct callers: a store may be paged beyond the scheduler's own limit.
    const { limit, offset } = readExecutionQuery(query, Number.MAX_SAFE_INTEGER);
    if (limit === 0) return [];
    const { session, sql } = await this.connection();
    const { rows } = await session.run(single(sql.selectExecutions(query, limit, offset)));
    return rows.map(toExecution);
  }

  async pruneExecutions(olderThan: number): Promise<number> {
    const { session, sql } = await this.connection();
    const { affected } = await session.run(single(sql.pruneExecutions(Date.now() - olderThan)));
    return affected;
  }

  /**
   * Called after this process changed the jobs table. The seam for PostgreSQL NOTIFY, so other
   * processes wake at once instead of at their next poll (DESIGN.md, "Cluster").
   */
  protected jobsChanged(): void {
    this.notifier?.notify();
  }

  private get prefix(): string {
    return this.tableNames.jobs.slice(0, -'jobs'.length);
  }

  /** Resolves the dialect once: MySQL-family servers are asked whether they have SKIP LOCKED. */
  private connection(): Promise<{ session: SqlSession; sql: JobStoreSql }> {
    this.ready ??= this.connect().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async connect(): Promise<{ session: SqlSession; sql: JobStoreSql }> {
    if (!this.dataSource.isInitialized) {
      throw new Error(
        'TypeOrmJobStore: the DataSource is not initialized. Initialize it before starting the scheduler ' +
          '(with @nestjs/typeorm, import TypeOrmModule before SchedulerModule); the store never opens or closes it.',
      );
    }
    const kind = dialectKindOf(this.dataSource.options.type);
    let session: SqlSession;
    if (kind === 'sqlite') {
      session = new SqliteSession(new SqlDialect(kind, false), this.dataSource);
    } else if (kind === 'mysql') {
      const rows: { version: string }[] = await this.dataSource.query('SELECT VERSION() AS version');
      session = new QueryRunnerSession(new SqlDialect(kind, hasSkipLocked(String(rows[0]?.version))), this.dataSource);
    } else {
      session = new QueryRunnerSession(new SqlDialect(kind, true), this.dataSource);
    }
    return { session, sql: new JobStoreSql(session.dialect, this.tableNames) };
  }

  /** A row that cannot become a JobSpec is reported (once per version) and treated as absent. */
  private readJob(row: Row, report: (error: Error, jobId: string) => void = (e, id) => this.report(e, id)): JobSpec | null {
    try {
      const job = toJobSpec(row);
      this.unreadable.forget(job.id);
      return job;
    } catch (error) {
      if (!(error instanceof UnreadableJobRowError)) throw error;
      if (this.unreadable.remember(row)) report(error, error.jobId);
      return null;
    }
  }

  private report(error: Error, jobId?: string): void {
    if (!this.ctx) return;
    const event: JobStoreErrorEvent = {
      type: 'jobstore_error',
      timestamp: new Date(),
      instanceId: this.ctx.instanceId,
      store: this.ctx.alias,
      error,
      ...(jobId === undefined ? {} : { jobId }),
    };
    this.ctx.emit(event);
  }

  /** MySQL TEXT silently caps at 64 KB (or fails in strict mode); say which field is too big instead. */
  private checkTextSizes(session: SqlSession, values: JobValues): void {
    if (session.dialect.kind !== 'mysql') return;
    for (const field of ['args', 'trigger'] as const) {
      const bytes = Buffer.byteLength(values[field]);
      if (bytes > MYSQL_TEXT_BYTES) {
        throw new SerializationError(field, `its JSON is ${bytes} bytes; a MySQL TEXT column holds ${MYSQL_TEXT_BYTES}`);
      }
    }
  }

  private startRetention(): void {
    const retention = this.executionRetention;
    if (retention === undefined || this.retentionTimer) return;
    // Often enough that the table stays near the retention, rarely enough to cost nothing.
    const every = Math.min(Math.max(retention, 1_000), 60_000);
    this.retentionTimer = setInterval(() => {
      this.pruneExecutions(retention).catch((error: unknown) => this.report(error as Error));
    }, every);
    this.retentionTimer.unref();
  }
}

function* single(statement: Statement): SqlSteps<StatementResult> {
  return yield statement;
}

/** SKIP LOCKED arrived in MySQL 8.0.1 and MariaDB 10.6. */
export function hasSkipLocked(version: string): boolean {
  const [major = 0, minor = 0, patch = 0] = version.split(/[.-]/).map((part) => Number.parseInt(part, 10));
  if (/mariadb/i.test(version)) return major > 10 || (major === 10 && minor >= 6);
  return major > 8 || (major === 8 && (minor > 0 || patch >= 1));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
