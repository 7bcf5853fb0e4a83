import { InstanceFencedError } from '../../../core/errors.js';
import type { SessionLiveness } from './session-liveness.js';
import { randomUUID } from 'node:crypto';
import type { JobLostEvent } from '../../../core/events/scheduler-events.js';
import type { JobSpec } from '../../../core/jobs/job.js';
import type { ClaimedRun } from '../../../core/loop/claim.js';
import type { StoreContext } from '../../job-store.js';
import type { InstanceSql } from '../sql/instance-sql.js';
import { toJobSpec } from '../rows/job-row.js';
import type { JobSql } from '../sql/job-sql.js';
import { single, type SqlSession, type SqlSteps } from '../sql/sql-session.js';
import type { Statement } from '../sql/sql-dialect.js';

export interface InstanceMonitorOptions {
  /** ms between heartbeats (and checks for dead instances). */
  heartbeatInterval: number;
  /** ms without a heartbeat after which an instance is dead and its running executions lost. */
  instanceTimeout: number;
}

/** How often the session locks are looked at: a killed process is found within about this much. */
export const LIVENESS_CHECK_MS = 1000;

/**
 * After this instance had to take its own lock again, how long no other is judged by its lock:
 * when the database restarted or failed over, every instance lost its lock at once and takes it
 * again at its next look (within LIVENESS_CHECK_MS); a free lock then means "not yet", not "dead".
 * Two looks' worth, and some slack for a slow reconnect. The heartbeat still decides meanwhile.
 */
export const LOCK_REGAIN_GRACE_MS = 2 * LIVENESS_CHECK_MS + 500;

/**
 * What a claim asks of the instance it claims for, just before it: that the others still take it
 * for alive. A claim made after they took it for dead (a stall, a lost lock connection) would
 * record runs under a registration they have ended, which their next look takes for a dead
 * instance's runs.
 */
export interface ClaimFence {
  /**
   * Refreshes this instance's heartbeat on its row as registered (`registration`, its started_at);
   * affecting no row means the others took that registration for dead.
   */
  touch(): { statement: Statement; registration: number };
  /**
   * Registers this instance again, as a new incarnation, after the others took `registration` for
   * dead; nothing when it has registered again since (a touch that was on its way meanwhile).
   */
  rejoin(registration: number): Promise<void>;
}

interface LostRun {
  id: string;
  jobId: string;
  runTime: Date;
  /** Which run of runTime (a retry is 2 or more). */
  attempt: number;
  owner: string;
}

/**
 * This process's heartbeat row, and the watch over everyone else's: when an instance stops
 * heartbeating, its running executions become 'lost' (or, for jobs with rerunOnLoss, are taken
 * over and run again here with the same scheduledRunTime, the idempotency key).
 */
export class InstanceMonitor implements ClaimFence {
  private timer: NodeJS.Timeout | undefined;
  private livenessTimer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | null = null;
  private beating: Promise<void> | null = null;
  private warnedShared = false;
  /** Other instances alive at the last look at the session locks (a fair share of claims divides by it). */
  private livePeers = 0;
  /** When this instance last had to take its own lock again (epoch ms); see LOCK_REGAIN_GRACE_MS. */
  private lockRegainedAt = Number.NEGATIVE_INFINITY;
  /** When this instance's heartbeat last landed (epoch ms), for health checks; NaN before the first. */
  private lastBeatAt = Number.NaN;
  /** The started_at of this instance's row as it last registered: which incarnation is current. */
  private startedAt = Number.NaN;
  /** The last time written to this instance's row; each write is later, so it always changes the row. */
  private lastStamp = 0;
  private rejoining: Promise<void> | null = null;
  /** The last look or heartbeat failed (the database may be down). */
  private unreachable = false;

  constructor(
    private readonly session: SqlSession,
    private readonly sql: InstanceSql,
    private readonly jobs: JobSql,
    private readonly ctx: StoreContext,
    private readonly options: InstanceMonitorOptions,
    /** The store's own jobstore_error reporting. */
    private readonly report: (error: Error) => void,
    /** The database's own view of which instances are alive (session locks); null: heartbeats only (SQLite). */
    private readonly liveness: SessionLiveness | null = null,
  ) {}

  async start(): Promise<void> {
    const { sql, ctx } = this;
    // The lock first: no other instance may ever see this one's row without its lock held.
    await this.liveness?.start();
    await this.register();
    // Runs a previous process with this same instance id left 'running' died with it.
    await this.resolve(this.reap(sql.ownRuns(ctx.instanceId), Date.now()));
    await this.beat();
    // Knows its peers before its first claim, so that it does not take a whole instant.
    await this.check();
    this.timer = setInterval(() => void this.beat(), this.options.heartbeatInterval);
    this.timer.unref();
    if (this.liveness !== null) {
      this.livenessTimer = setInterval(() => void this.check(), Math.min(LIVENESS_CHECK_MS, this.options.heartbeatInterval));
      this.livenessTimer.unref();
    }
  }

  /** This instance's row, written afresh: a new incarnation, whose heartbeats and claims only it may make. */
  private async register(): Promise<void> {
    const { sql, ctx } = this;
    const startedAt = this.stamp();
    await this.session.run(single(sql.registerInstance(ctx.instanceId, startedAt)));
    this.startedAt = startedAt;
  }

  /** Now, or just after the last time written, so a write of it always changes the row (MySQL counts changed rows). */
  private stamp(): number {
    this.lastStamp = Math.max(Date.now(), this.lastStamp + 1);
    return this.lastStamp;
  }

  touch(): { statement: Statement; registration: number } {
    const registration = this.startedAt;
    return { statement: this.sql.heartbeat(this.ctx.instanceId, this.stamp(), registration), registration };
  }

  /**
   * The others took this instance for dead (a long pause?) and removed its row: the runs it had
   * going are theirs to decide now (lost, or re-run elsewhere). Says so, aborts their signals (their
   * outcomes are fenced off anyway, see ExecutionHistory), and registers again as a new
   * incarnation under the same instanceId, so nothing of the old one (a claim, a heartbeat) lands.
   * Once, however many of its heartbeats and claims found it out together.
   */
  rejoin(registration: number): Promise<void> {
    if (this.rejoining !== null) return this.rejoining;
    if (registration !== this.startedAt) return Promise.resolve();
    this.rejoining = (async () => {
      const fenced = new InstanceFencedError(this.ctx.instanceId);
      this.report(fenced);
      this.ctx.abortRuns?.(fenced);
      // The lock first, as at start: the others took this instance for dead perhaps because its
      // lock was free (its lock connection was cut), and a new row seen with a free lock is dead again.
      await this.keepLock();
      await this.register();
    })().finally(() => (this.rejoining = null));
    return this.rejoining;
  }

  /** This instance's session lock, taken again if it was lost (noting when: see LOCK_REGAIN_GRACE_MS). */
  private async keepLock(): Promise<void> {
    if (this.liveness !== null && (await this.liveness.keep())) this.lockRegainedAt = Date.now();
  }

  /** Stops heartbeating and removes this instance's row: a clean exit is not a crash. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.livenessTimer) clearInterval(this.livenessTimer);
    this.timer = this.livenessTimer = undefined;
    await this.beating;
    await this.checking;
    await this.rejoining?.catch(() => undefined);
    const { sql, ctx } = this;
    try {
      await this.session.run(single(sql.deleteInstance(ctx.instanceId)));
    } finally {
      // After the row: no one may see the row of a live instance with its lock free.
      await this.liveness?.stop();
    }
  }

  /**
   * One look at the session locks (every second): this instance's own is kept, and the instances
   * whose lock no session holds any more are dead now, whatever their heartbeat says. Their
   * running runs are decided at once (lost, or re-run here with rerunOnLoss) and their rows
   * deleted, which also fences them should they be alive after all (a lost lock connection).
   */
  check(): Promise<void> {
    this.checking ??= this.checkOnce()
      .then(
        () => this.answered(),
        (error: unknown) => this.failed(error),
      )
      .finally(() => (this.checking = null));
    return this.checking;
  }

  /** A look or a heartbeat failed: reported; the next that gets through tells the scheduler. */
  private failed(error: unknown): void {
    this.unreachable = true;
    this.report(error instanceof Error ? error : new Error(String(error)));
  }

  /**
   * A look or a heartbeat got through. After one that failed, the database is back: the scheduler
   * claims and writes now rather than at the end of its back-off (which an outage doubles up to
   * 30 s). The look comes every second, so that is about a second after the database is back.
   */
  private answered(): void {
    if (!this.unreachable) return;
    this.unreachable = false;
    this.ctx.reachable?.();
  }

  private async checkOnce(): Promise<void> {
    const liveness = this.liveness;
    if (liveness === null) return;
    await this.keepLock();
    const { sql, ctx } = this;
    const now = Date.now();
    const { rows } = await this.session.run(single(sql.liveInstances(ctx.instanceId, now - this.options.instanceTimeout)));
    if (now - this.lockRegainedAt < LOCK_REGAIN_GRACE_MS) {
      // Our own lock was lost: the others' may have been too, and they are taking theirs again.
      this.livePeers = rows.length;
      return;
    }
    const dead = await liveness.deadAmong(rows.map((row) => String(row.instance_id)));
    this.livePeers = rows.length - dead.length;
    if (dead.length === 0) return;
    await this.resolve(this.reap(sql.runsOf(dead), now, undefined, dead));
  }

  /** How many other instances share the tables and are alive, as last seen (0 on SQLite: heartbeats only). */
  get peers(): number {
    return this.livePeers;
  }

  /** This instance's heartbeat: when it last landed, and the timings it keeps. */
  status(): { lastBeatAt: Date | null; interval: number; instanceTimeout: number } {
    return {
      lastBeatAt: Number.isNaN(this.lastBeatAt) ? null : new Date(this.lastBeatAt),
      interval: this.options.heartbeatInterval,
      instanceTimeout: this.options.instanceTimeout,
    };
  }

  /** One heartbeat and one look for dead instances; failures are reported, never thrown. */
  beat(): Promise<void> {
    this.beating ??= this.beatOnce()
      .then(
        () => this.answered(),
        (error: unknown) => this.failed(error),
      )
      .finally(() => (this.beating = null));
    return this.beating;
  }

  private async beatOnce(): Promise<void> {
    const { sql } = this;
    const now = Date.now();
    const { statement, registration } = this.touch();
    const { affected } = await this.session.run(single(statement));
    if (affected === 0) await this.rejoin(registration);
    this.lastBeatAt = now;
    const cutoff = now - this.options.instanceTimeout;
    if (this.session.dialect.kind === 'sqlite') await this.warnIfSharedSqlite(cutoff);
    await this.resolve(this.reap(sql.orphanedRuns(cutoff), now, cutoff));
  }

  private async resolve(steps: SqlSteps<{ lost: LostRun[]; reruns: { job: JobSpec; runs: ClaimedRun[] }[] }>): Promise<void> {
    const { lost, reruns } = await this.session.runInWriteTransaction(steps);
    for (const run of lost) this.ctx.emit(lostEvent(this.ctx, run));
    for (const { job, runs } of reruns) this.ctx.submit(job, runs);
  }

  /** Marks the selected running executions lost, or takes them over for jobs with rerunOnLoss. */
  /** `ended`: instances found dead by their session lock, whose rows are deleted with the reaping. */
  private *reap(
    select: Statement,
    now: number,
    cutoff?: number,
    ended?: readonly string[],
  ): SqlSteps<{ lost: LostRun[]; reruns: { job: JobSpec; runs: ClaimedRun[] }[] }> {
    const { sql, jobs, ctx } = this;
    // The rows first: deleting one waits for that instance's heartbeat in flight (a beat, or the
    // one before each claim, see ClaimFence), so it is either fresh and kept, and its runs not
    // selected below, or deleted, and the instance finds itself fenced before its next claim.
    if (cutoff !== undefined) yield sql.deleteExpired(cutoff);
    if (ended !== undefined) for (const statement of sql.deleteInstances(ended)) yield statement;
    const { rows } = yield select;
    const lost: LostRun[] = rows.map((row) => ({
      id: String(row.id),
      jobId: String(row.job_id),
      runTime: new Date(Number(row.scheduled_run_time)),
      attempt: Number(row.attempt) || 1,
      owner: String(row.instance_id),
    }));
    const reruns: { job: JobSpec; runs: ClaimedRun[] }[] = [];
    const again = new Set<string>();
    for (const jobId of new Set(lost.map((run) => run.jobId))) {
      const found = (yield jobs.selectJob(jobId)).rows[0];
      let job: JobSpec | null;
      try {
        job = found ? toJobSpec(found) : null;
      } catch {
        job = null; // unreadable: its runs are only marked lost
      }
      if (!job?.rerunOnLoss) continue;
      const runs = lost.filter((run) => run.jobId === jobId);
      for (const statement of sql.takeOver(
        runs.map((r) => r.id),
        ctx.instanceId,
        randomUUID(),
      ))
        yield statement;
      runs.forEach((run) => again.add(run.id));
      // The re-run is due when the loss was found, not at its fire time (which is always longer ago
      // than the detection takes): misfireGraceTime counts from now, so rerunOnLoss re-runs.
      const foundAt = new Date(now);
      reruns.push({ job, runs: runs.map((run) => ({ executionId: run.id, runTime: run.runTime, attempt: run.attempt, dueAt: foundAt })) });
    }
    const gone = lost.filter((run) => !again.has(run.id));
    for (const owner of new Set(gone.map((run) => run.owner))) {
      const ids = gone.filter((run) => run.owner === owner).map((run) => run.id);
      const reason =
        owner === ctx.instanceId
          ? `lost: instance ${owner} restarted while it ran`
          : ended?.includes(owner)
            ? `lost: instance ${owner}'s database session ended (the process died)`
            : `lost: instance ${owner} stopped heartbeating`;
      for (const statement of sql.markLost(ids, now, reason)) yield statement;
    }
    return { lost, reruns };
  }

  /** SQLite is one writer at a time: safe for processes on one host, not across hosts. */
  private async warnIfSharedSqlite(cutoff: number): Promise<void> {
    if (this.warnedShared) return;
    const { sql, ctx } = this;
    const { rows } = await this.session.run(single(sql.liveInstances(ctx.instanceId, cutoff)));
    if (rows.length === 0) return;
    this.warnedShared = true;
    ctx.warn(
      `${rows.length + 1} processes share this SQLite database. Claims are serialised by SQLite's write lock, so each ` +
        'fire time still runs once, but every claim waits for the others: use PostgreSQL or MariaDB/MySQL for ' +
        'replicas, and never put a SQLite file on a network filesystem (its locks are not reliable there).',
    );
  }
}

function lostEvent(ctx: StoreContext, run: LostRun): JobLostEvent {
  return {
    type: 'job_lost',
    timestamp: new Date(),
    instanceId: ctx.instanceId,
    store: ctx.alias,
    jobId: run.jobId,
    scheduledRunTime: run.runTime,
    lostInstanceId: run.owner,
    executionId: run.id,
  };
}
