import type { DataSource } from 'typeorm';
import { InvalidSchedulerOptionError } from '../../core/errors.js';
import { MAX_TIMER_MS, checkWhole, readOptions, type OptionErrorFactory } from '../../utils/option-checks.js';
import type { JobSpec } from '../../core/jobs/job.js';
import type { ExecutionQuery, JobExecution, Outcome } from '../../core/runs/execution.js';
import type { StoreJobPage, StoreJobQuery } from '../../core/jobs/job-query.js';
import type { Claim } from '../../core/loop/claim.js';
import type {
  ClusterInstance,
  JobStore,
  PlanFunction,
  ReleasedRun,
  RetryPlanFunction,
  StoreContext,
  StoreHeartbeat,
} from '../job-store.js';
import { RetryHint } from './retry-hint.js';
import { InstanceMonitor } from './cluster/instance-monitor.js';
import { FairShare } from './cluster/fair-share.js';
import { PostgresNotifier } from './cluster/postgres-notifier.js';
import { sessionLivenessFor } from './cluster/session-liveness.js';
import { ExecutionHistory } from './execution-history.js';
import { JobReader } from './rows/job-reader.js';
import { PagedReads } from './paged-reads.js';
import { RunClaims } from './run-claims.js';
import { checkSchema } from './schema/schema-check.js';
import { DEFAULT_TABLE_PREFIX, schedulerTableNames, type SchedulerTableNames } from './schema/scheduler-tables.js';
import { InstanceSql } from './sql/instance-sql.js';
import { dialectKindOf } from './sql/sql-dialect.js';
import { StoreConnection } from './store-connection.js';
import { StoreContextHolder } from './store-context-holder.js';
import { StoredJobs } from './stored-jobs.js';
import { loadTypeOrm } from './typeorm-loader.js';

// TypeOrmJobStore: the JobStore contract over TypeORM, with its options and its life (start,
// shutdown, the cluster watch, retention). The contract's work is done by the parts it wires
// together: StoredJobs (jobs), RunClaims (claims, extra runs, releases), ExecutionHistory (outcomes, history).

/** @publicApi */
export interface TypeOrmJobStoreOptions {
  /** The application's DataSource, initialized before the scheduler starts. The store never opens or closes it. */
  dataSource: DataSource;
  /** Default 'scheduler_'. Tables must exist: SCHEDULER_ENTITIES / createSchedulerEntities(prefix), or the migrations. */
  tablePrefix?: string;
  /**
   * ms. Finished execution records older than this are deleted when the store starts and then every
   * minute (or every `executionRetention` ms, if shorter) while it runs. Default: 7 days, so a
   * busy job cannot fill the database unnoticed. `null` keeps every record.
   */
  executionRetention?: number | null;
  /** ms between this process's heartbeats in the instances table (cluster). Default: 5000. */
  heartbeatInterval?: number;
  /**
   * ms without a heartbeat after which another process is dead: its running executions become
   * 'lost' (or run again here, for jobs with rerunOnLoss). Default: 30000.
   */
  instanceTimeout?: number;
}

/** 7 days: a week of history to look back on; the table of a job every second stays near 600,000 rows. */
export const DEFAULT_EXECUTION_RETENTION = 7 * 24 * 3_600_000;

const STORE_KEYS: ReadonlySet<string> = new Set([
  'dataSource',
  'tablePrefix',
  'executionRetention',
  'heartbeatInterval',
  'instanceTimeout',
]);
const optionError: OptionErrorFactory = (field, value, allowed) =>
  new InvalidSchedulerOptionError(`TypeOrmJobStore.${field}`, value, allowed);

function isDataSource(value: unknown): value is DataSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as DataSource).query === 'function' &&
    typeof (value as DataSource).options === 'object'
  );
}

/**
 * Keeps jobs and their history in the application's database through TypeORM (PostgreSQL,
 * MySQL 8 / MariaDB 10.6+, SQLite via better-sqlite3). Several processes may share the tables:
 * claims lock due rows and consume each fire time exactly once. See DESIGN.md, "Cluster".
 * @publicApi
 */
export class TypeOrmJobStore implements JobStore {
  readonly persistent = true;
  readonly supportsRetries = true;
  readonly tableNames: SchedulerTableNames;

  private readonly dataSource: DataSource;
  private readonly executionRetention: number | undefined;
  private readonly heartbeatInterval: number;
  private readonly instanceTimeout: number;
  private readonly context = new StoreContextHolder();
  private readonly connection: StoreConnection;
  private readonly jobs: StoredJobs;
  private readonly claims: RunClaims;
  private readonly history: ExecutionHistory;
  private readonly pages: PagedReads;
  private retentionTimer: NodeJS.Timeout | undefined;
  /** The prune under way, which shutdown waits for: after it, the application may close the DataSource. */
  private pruning: Promise<void> | undefined;
  private monitor: InstanceMonitor | undefined;
  /** This replica's part of each instant, by the live instances its monitor sees. */
  private readonly share = new FairShare(
    () => this.monitor?.peers ?? 0,
    () => this.context.ctx?.wakeUp(),
  );
  private notifier: PostgresNotifier | undefined;
  /** The monitor once it has registered this instance: what claims check they are still made for. */
  private fence: InstanceMonitor | undefined;

  constructor(input: TypeOrmJobStoreOptions) {
    // typeorm is an optional peer: without it installed, say so here rather than fail later.
    loadTypeOrm('TypeOrmJobStore');
    const options = readOptions(input, STORE_KEYS, 'TypeOrmJobStore', optionError) as Partial<TypeOrmJobStoreOptions>;
    const dataSource = options.dataSource;
    if (!isDataSource(dataSource)) {
      throw optionError(
        'dataSource',
        dataSource,
        "allowed: the application's TypeORM DataSource (inject it with @InjectDataSource() or getDataSourceToken())",
      );
    }
    this.dataSource = dataSource;
    this.tableNames = schedulerTableNames(options.tablePrefix ?? DEFAULT_TABLE_PREFIX);
    this.executionRetention =
      options.executionRetention === undefined
        ? DEFAULT_EXECUTION_RETENTION
        : options.executionRetention === null
          ? undefined
          : checkWhole(optionError, 'executionRetention', options.executionRetention, 0, Number.MAX_SAFE_INTEGER, 'ms');
    // Timers' delays: Node fires a longer one after 1 ms.
    this.heartbeatInterval =
      options.heartbeatInterval === undefined
        ? 5_000
        : checkWhole(optionError, 'heartbeatInterval', options.heartbeatInterval, 1, MAX_TIMER_MS, 'ms');
    this.instanceTimeout =
      options.instanceTimeout === undefined
        ? 30_000
        : checkWhole(optionError, 'instanceTimeout', options.instanceTimeout, 1, MAX_TIMER_MS, 'ms');
    if (this.instanceTimeout <= this.heartbeatInterval) {
      throw optionError(
        'instanceTimeout',
        this.instanceTimeout,
        `allowed: longer than heartbeatInterval (${this.heartbeatInterval} ms), or live instances would be taken for dead`,
      );
    }
    // Fails at construction for a database the store cannot lock.
    dialectKindOf(this.dataSource.options.type);

    this.connection = new StoreConnection(this.dataSource, this.tableNames);
    const reader = new JobReader(this.context);
    const jobsChanged = () => this.jobsChanged();
    // What the parts know of pending retries' due times (claims skip the retry select without).
    const retries = new RetryHint();
    this.jobs = new StoredJobs(this.connection, reader, this.context, jobsChanged, retries);
    this.claims = new RunClaims(this.connection, reader, this.context, jobsChanged, retries, this.share, () => this.fence);
    this.history = new ExecutionHistory(this.connection, this.context, retries);
    this.pages = new PagedReads(this.connection, reader, this.tableNames, this.instanceTimeout);
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
    this.context.ctx = ctx;
    const { session, jobSql } = await this.connection.get();
    await checkSchema(session, this.tableNames);
    this.startRetention();
    if (this.shared) {
      this.monitor = new InstanceMonitor(
        session,
        new InstanceSql(session.dialect, this.tableNames),
        jobSql,
        ctx,
        {
          heartbeatInterval: this.heartbeatInterval,
          instanceTimeout: this.instanceTimeout,
        },
        (error) => this.context.report(error),
        sessionLivenessFor(
          session.dialect.kind,
          this.dataSource,
          livenessNamespace(this.dataSource, this.tableNames.instances),
          ctx.instanceId,
        ),
      );
      try {
        await this.monitor.start();
        this.fence = this.monitor;
      } catch (error) {
        // Not started (e.g. InstanceIdInUseError): nothing of it may go on running.
        this.monitor = undefined;
        if (this.retentionTimer) clearInterval(this.retentionTimer);
        this.retentionTimer = undefined;
        throw error;
      }
    }
    if (session.dialect.kind === 'postgres') {
      this.notifier = new PostgresNotifier(this.dataSource, `${this.tableNames.jobs}_changed`, ctx);
      await this.notifier.start();
    }
  }

  async shutdown(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.retentionTimer = undefined;
    await this.pruning;
    this.share.stop();
    const { monitor, notifier } = this;
    this.monitor = this.notifier = this.fence = undefined;
    await notifier?.stop();
    // A clean exit removes this instance's heartbeat row; a failure here is a crash to the others, which is safe.
    await monitor?.stop().catch(() => undefined);
  }

  addJob(job: JobSpec): Promise<void> {
    return this.jobs.addJob(job);
  }

  updateJob(job: JobSpec): Promise<void> {
    return this.jobs.updateJob(job);
  }

  removeJob(id: string): Promise<void> {
    return this.jobs.removeJob(id);
  }

  removeJobs(ids: readonly string[]): Promise<string[]> {
    return this.jobs.removeJobs(ids);
  }

  removeAllJobs(): Promise<void> {
    return this.jobs.removeAllJobs();
  }

  lookupJob(id: string): Promise<JobSpec | null> {
    return this.jobs.lookupJob(id);
  }

  getAllJobs(): Promise<JobSpec[]> {
    return this.jobs.getAllJobs();
  }

  getNextRunTime(): Promise<Date | null> {
    return this.jobs.getNextRunTime();
  }

  claimDueJobs(now: Date, limit: number, plan: PlanFunction, planRetry?: RetryPlanFunction, retryLimit?: number): Promise<Claim[]> {
    return this.claims.claimDueJobs(now, limit, plan, planRetry, retryLimit ?? limit);
  }

  startExtraRun(jobId: string, runTime: Date): Promise<string | null> {
    return this.claims.startExtraRun(jobId, runTime);
  }

  releaseRuns(runs: readonly ReleasedRun[]): Promise<void> {
    return this.claims.releaseRuns(runs);
  }

  finishExecution(executionId: string, outcome: Outcome): Promise<void> {
    return this.history.finishExecution(executionId, outcome);
  }

  finishExecutions(items: readonly { executionId: string; outcome: Outcome }[]): Promise<void> {
    return this.history.finishExecutions(items);
  }

  /** This instance's heartbeat in the instances table; null when the store is not shared or not started. */
  heartbeat(): StoreHeartbeat | null {
    return this.monitor?.status() ?? null;
  }

  getExecutions(query: ExecutionQuery): Promise<JobExecution[]> {
    return this.history.getExecutions(query);
  }

  pruneExecutions(olderThan: number): Promise<number> {
    return this.history.pruneExecutions(olderThan);
  }

  queryJobs(query: StoreJobQuery): Promise<StoreJobPage> {
    return this.pages.queryJobs(query);
  }

  countExecutions(query: ExecutionQuery, atMost?: number): Promise<number> {
    return this.pages.countExecutions(query, atMost);
  }

  lastExecutions(jobIds: readonly string[]): Promise<JobExecution[]> {
    return this.pages.lastExecutions(jobIds);
  }

  getInstances(): Promise<ClusterInstance[]> {
    return this.pages.getInstances();
  }

  /**
   * Called after this process changed the jobs table. The seam for PostgreSQL NOTIFY, so other
   * processes wake at once instead of at their next poll (DESIGN.md, "Cluster").
   */
  protected jobsChanged(): void {
    this.notifier?.notify();
  }

  private startRetention(): void {
    const retention = this.executionRetention;
    if (retention === undefined || this.retentionTimer) return;
    // Once at start too: a process restarted more often than the timer's period must still prune.
    const prune = () => {
      if (this.pruning) return;
      this.pruning = this.pruneExecutions(retention)
        .then(() => undefined)
        .catch((error: unknown) => this.context.report(error as Error))
        .finally(() => (this.pruning = undefined));
    };
    prune();
    // Often enough that the table stays near the retention, rarely enough to cost nothing.
    const every = Math.min(Math.max(retention, 1_000), 60_000);
    this.retentionTimer = setInterval(prune, every);
    this.retentionTimer.unref();
  }
}

/** Instance locks are named per database and table set: two clusters on one server never see each other's. */
function livenessNamespace(dataSource: DataSource, instancesTable: string): string {
  const options = dataSource.options as { database?: unknown; schema?: unknown };
  return `${String(options.database ?? '')}/${String(options.schema ?? '')}/${instancesTable}`;
}
