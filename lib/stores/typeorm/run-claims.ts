import { randomUUID } from 'node:crypto';
import { FireTimeRecordedError, JobLookupError, UnplannableJobError } from '../../core/errors.js';
import { copyJob, type JobSpec } from '../../core/jobs/job.js';
import type { Claim } from '../../core/loop/claim.js';
import type { DueRetry, PlanFunction, ReleasedRun, RetryPlanFunction } from '../job-store.js';
import { retryPlan } from '../../core/loop/run-plan.js';
import type { RetryHint } from './retry-hint.js';
import type { FairShare } from './cluster/fair-share.js';
import type { ClaimFence } from './cluster/instance-monitor.js';
import { planClaims, type ClaimWrites, type ExecutionValues } from './claim-planner.js';
import type { JobReader } from './rows/job-reader.js';
import { toNumberOrNull, type Row } from './rows/job-row.js';
import type { StoreConnection } from './store-connection.js';
import type { StoreContextHolder } from './store-context-holder.js';
import type { ExecutionSql } from './sql/execution-sql.js';
import type { JobSql } from './sql/job-sql.js';
import { single, type SqlSession, type SqlSteps } from './sql/sql-session.js';

/**
 * The write transactions that give runs to this process or take them back: the claim of due jobs,
 * whose rows it locks so processes sharing the tables never run one fire time twice (DESIGN.md,
 * "Cluster"); an extra run outside the schedule, under the same lock; and the release of claimed
 * runs that never started.
 */
export class RunClaims {
  constructor(
    private readonly connection: StoreConnection,
    private readonly reader: JobReader,
    private readonly context: StoreContextHolder,
    private readonly jobsChanged: () => void,
    private readonly retries: RetryHint,
    private readonly share: FairShare | null = null,
    /** This instance's registration in a shared store, once started; claims are made only while it holds. */
    private readonly fence: () => ClaimFence | undefined = () => undefined,
  ) {}

  async claimDueJobs(now: Date, limit: number, plan: PlanFunction, planRetry?: RetryPlanFunction, retryLimit = limit): Promise<Claim[]> {
    if (!Number.isInteger(limit) || limit < 1) return [];
    const { session, jobSql, executionSql } = await this.connection.get();
    await this.confirmRegistration(session);
    // A deadlock victim's transaction was rolled back whole, and plan is pure: claiming again is
    // safe and cheaper than surfacing a jobstore_error and backing off. Replicas claiming their
    // shares of one instant at once deadlock on MariaDB now and then; a short random pause before
    // each new attempt lets them fall out of step, instead of meeting again until the attempts run
    // out and the back-off turns a burst's runs into misses.
    // After a collision on the unique key (a due job whose next run time points at a recorded time),
    // the claim is made again writing around what is recorded: one such row must not fail every
    // claim of the store (invariant 3), nor may its time run twice (invariant 1).
    let careful = false;
    let deadlocked = false;
    for (let attempt = 1; ; attempt++) {
      if (deadlocked) await new Promise((resolve) => setTimeout(resolve, Math.random() * DEADLOCK_PAUSE_MS * attempt));
      // Reported after the transaction: on SQLite a slow event subscriber would hold the write lock.
      const problems: { error: Error; jobId: string }[] = [];
      try {
        return await session.runInWriteTransaction(
          this.claimSteps(jobSql, executionSql, now, limit, plan, problems, planRetry, retryLimit, careful),
        );
      } catch (error) {
        // Rolled back: the times it skipped are skipped (and reported) by the attempt that commits.
        // (An unreadable row is reported now: the reader excludes it from then on.)
        const kept = problems.filter((p) => !(p.error instanceof FireTimeRecordedError));
        problems.splice(0, problems.length, ...kept);
        if (attempt >= CLAIM_ATTEMPTS) throw error;
        deadlocked = session.dialect.isDeadlock(error);
        if (!careful && session.dialect.isUniqueViolation(error)) careful = true;
        else if (!deadlocked) throw error;
      } finally {
        for (const { error, jobId } of problems) this.context.report(error, jobId);
      }
    }
  }

  private *claimSteps(
    jobSql: JobSql,
    executionSql: ExecutionSql,
    now: Date,
    limit: number,
    plan: PlanFunction,
    problems: { error: Error; jobId: string }[],
    planRetry: RetryPlanFunction | undefined,
    retryLimit: number,
    careful: boolean,
  ): SqlSteps<Claim[]> {
    const claims = yield* this.jobClaimSteps(jobSql, executionSql, now, limit, plan, problems, careful);
    if (planRetry === undefined || !(retryLimit > 0) || !this.retries.mayBeDue(now.getTime())) return claims;
    return claims.concat(yield* this.retryClaimSteps(jobSql, executionSql, now, Math.floor(retryLimit), planRetry, problems));
  }

  /**
   * Due retries, in the claim's transaction: their records locked as due jobs' rows are (each to
   * one claimer), their jobs read for handler and args, and each record made 'running' here or
   * 'missed' as planRetry decides. A retry whose job is gone is deleted. maxInstances already
   * counts the record, so no count is read.
   */
  private *retryClaimSteps(
    jobSql: JobSql,
    executionSql: ExecutionSql,
    now: Date,
    limit: number,
    planRetry: RetryPlanFunction,
    problems: { error: Error; jobId: string }[],
  ): SqlSteps<Claim[]> {
    const { rows } = yield executionSql.selectDueRetries(now.getTime(), limit);
    if (rows.length === 0) {
      this.retries.drained(now.getTime());
      return [];
    }
    const due: DueRetry[] = rows.map((row) => ({
      executionId: String(row.id),
      jobId: String(row.job_id),
      runTime: new Date(Number(row.scheduled_run_time)),
      attempt: Number(row.attempt),
      retryAt: new Date(Number(row.retry_at)),
    }));
    const jobs = new Map<string, JobSpec>();
    const present = new Set<string>();
    for (const statement of jobSql.selectJobsByIds([...new Set(due.map((r) => r.jobId))])) {
      for (const row of (yield statement).rows) {
        present.add(String(row.id));
        const job = this.reader.read(row, (error, jobId) => problems.push({ error, jobId }));
        if (job) jobs.set(job.id, job);
      }
    }
    const started: string[] = [];
    const missed: string[] = [];
    const orphaned: string[] = [];
    const claims: Claim[] = [];
    let waiting = 0;
    for (const retry of due) {
      const job = jobs.get(retry.jobId);
      if (job === undefined) {
        // Removed while its failed run was being recorded; an unreadable row waits to be fixed.
        if (present.has(retry.jobId)) waiting++;
        else orphaned.push(retry.jobId);
        continue;
      }
      let decision: 'run' | 'missed' | null;
      try {
        decision = planRetry(job, retry, now);
      } catch (error) {
        problems.push({ error: new UnplannableJobError(job.id, describe(error), { cause: error }), jobId: job.id });
        decision = null;
      }
      if (decision === null) {
        waiting++;
        continue;
      }
      const isMissed = decision === 'missed';
      (isMissed ? missed : started).push(retry.executionId);
      const runs = isMissed
        ? []
        : [{ executionId: retry.executionId, runTime: retry.runTime, attempt: retry.attempt, dueAt: retry.retryAt }];
      claims.push({ job: copyJob(job), plan: retryPlan(job, retry.runTime, isMissed), runs, retry: true });
    }
    for (const statement of [
      ...executionSql.startRetries(started, this.context.instanceId),
      ...executionSql.missRetries(missed, Date.now(), MISSED_RETRY),
      ...executionSql.deleteRetries([...new Set(orphaned)]),
    ]) {
      yield statement;
    }
    if (rows.length < limit && waiting === 0) this.retries.drained(now.getTime());
    return claims;
  }

  private *jobClaimSteps(
    jobSql: JobSql,
    executionSql: ExecutionSql,
    now: Date,
    limit: number,
    plan: PlanFunction,
    problems: { error: Error; jobId: string }[],
    careful: boolean,
  ): SqlSteps<Claim[]> {
    if (this.share?.shared) {
      // With others claiming the same instant, each takes its part of what is due and leaves the
      // rest (SKIP LOCKED keeps the claims apart); see FairShare.
      const { rows } = yield jobSql.countDueJobs(now.getTime());
      const due = Number(rows[0]?.due ?? 0);
      if (!(due > 0)) return [];
      limit = this.share.limit(due, limit, now.getTime());
    }
    const rowsById = new Map<string, Row>();
    let jobs: JobSpec[] = [];
    // Unreadable rows found by a select are excluded from then on; select again so they do not
    // take the places of readable due rows. Each pass excludes at least one more row; the bound
    // is for a database that would compare the excluded text differently than JavaScript does.
    for (let clean = false, pass = 0; !clean && pass < 20; pass++) {
      const { rows } = yield jobSql.selectDueJobs(now.getTime(), limit, this.reader.unreadable);
      jobs = [];
      clean = true;
      for (const row of rows) {
        const job = this.reader.read(row, (error, jobId) => problems.push({ error, jobId }));
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
    for (const statement of executionSql.runningCounts(jobs.map((j) => j.id))) {
      for (const row of (yield statement).rows) running.set(String(row.job_id), Number(row.running));
    }

    const { writes, failures } = planClaims(jobs, running, now, plan, this.context.instanceId);
    for (const { job, error } of failures) {
      // Left in place and excluded until its row changes, like an unreadable row.
      if (this.reader.unreadable.remember(rowsById.get(job.id)!)) {
        problems.push({ error: new UnplannableJobError(job.id, describe(error), { cause: error }), jobId: job.id });
      }
    }
    if (careful) {
      yield* this.writeAroundRecorded(jobSql, executionSql, writes, problems);
      return writes.claims;
    }
    // A unique violation on (job_id, scheduled_run_time, attempt) propagates: the transaction rolls
    // back and nothing runs, rather than a fire time running twice; claimDueJobs then claims carefully.
    for (const statement of [
      ...jobSql.deleteJobs(writes.removed),
      ...jobSql.setNextRunTimes(writes.moved),
      ...executionSql.insertExecutions(writes.executions),
    ]) {
      yield statement;
    }
    return writes.claims;
  }

  /**
   * A claim's writes after one collided: the records are inserted skipping those whose (job, time,
   * attempt) has one already, by the database's own unique key (its collation decides, not ours),
   * and the ones that did not land are left out of the claim: they ran, or are running, once. The
   * job moves on as planned; a finished job kept only for the runs it had left goes. Each is reported.
   */
  private *writeAroundRecorded(
    jobSql: JobSql,
    executionSql: ExecutionSql,
    writes: ClaimWrites,
    problems: { error: Error; jobId: string }[],
  ): SqlSteps<void> {
    for (const statement of executionSql.insertExecutions(writes.executions, true)) yield statement;
    const landed = new Set<string>();
    for (const statement of executionSql.selectStates(writes.executions.map((e) => e.id))) {
      for (const row of (yield statement).rows) landed.add(String(row.id));
    }
    const skipped = writes.executions.filter((e) => !landed.has(e.id));
    if (skipped.length > 0) {
      const skippedIds = new Set(skipped.map((e) => e.id));
      for (const claim of writes.claims) {
        const had = claim.runs.length;
        claim.runs = claim.runs.filter((run) => !skippedIds.has(run.executionId));
        if (had > 0 && claim.runs.length === 0 && claim.plan.remove) {
          writes.moved = writes.moved.filter((m) => m.id !== claim.job.id);
          writes.removed.push(claim.job.id);
        }
      }
      for (const e of skipped) problems.push({ error: new FireTimeRecordedError(e.jobId, new Date(e.scheduledRunTime)), jobId: e.jobId });
    }
    for (const statement of [...jobSql.deleteJobs(writes.removed), ...jobSql.setNextRunTimes(writes.moved)]) yield statement;
  }

  /**
   * Before a claim: this instance's heartbeat, on its row as registered. None affected means the
   * others took it for dead while it was not looking (a stall, a lost lock connection): it
   * registers again first, so that it claims as the new incarnation. Otherwise the runs it claimed
   * would be recorded under a registration the others have ended, and their next look would
   * take them for a dead instance's (lost, or run again elsewhere while this one runs them).
   * Its own statement, not part of the claim: a claim's transaction must not hold the row, or a
   * process frozen mid-claim would block the others' look for dead instances while it is frozen.
   * The price: a claim already past this point when the others take the instance for dead (it
   * froze mid-claim for longer than instanceTimeout, or its lock connection dropped just then)
   * still lands; the instance finds out at its next claim or heartbeat.
   */
  private async confirmRegistration(session: SqlSession): Promise<void> {
    const fence = this.fence();
    if (fence === undefined) return;
    const { statement, registration } = fence.touch();
    const { affected } = await session.run(single(statement));
    if (affected === 0) await fence.rejoin(registration);
  }

  async startExtraRun(jobId: string, runTime: Date): Promise<string | null> {
    const { session, jobSql, executionSql } = await this.connection.get();
    await this.confirmRegistration(session);
    return session.runInWriteTransaction(this.extraRunSteps(jobSql, executionSql, jobId, runTime));
  }

  /**
   * Under the job's row lock, which claims take too: count its running submissions, then record
   * the run at the first free millisecond from `runTime` ('running', or 'max_instances' when the
   * job has as many running as it may).
   */
  private *extraRunSteps(jobSql: JobSql, executionSql: ExecutionSql, jobId: string, runTime: Date): SqlSteps<string | null> {
    const { rows } = yield jobSql.lockJobForRun(jobId);
    if (rows.length === 0) throw new JobLookupError(jobId, this.context.alias);
    const maxInstances = Number(rows[0]!.max_instances);
    let running = 0;
    for (const statement of executionSql.runningCounts([jobId])) {
      for (const row of (yield statement).rows) running = Number(row.running);
    }
    const refused = running >= maxInstances;
    // The job's own next fire time is about to be claimed: taking it would make that claim collide
    // on the unique key, so an extra run steps aside from it as from any recorded time.
    const taken = new Set<number>();
    const scheduled = toNumberOrNull(rows[0]!.next_run_time);
    if (scheduled !== null) taken.add(scheduled);
    const from = runTime.getTime();
    for (const row of (yield executionSql.recordedRunTimes(jobId, from, from + EXTRA_RUN_SPAN_MS)).rows) {
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
      instanceId: this.context.instanceId,
      batchId: refused ? null : randomUUID(), // its own submission
      startedAt: null,
      finishedAt: refused ? Date.now() : null,
      durationMs: null,
      error: null,
      traceback: null,
    };
    for (const statement of executionSql.insertExecutions([execution])) yield statement;
    return refused ? null : execution.id;
  }

  async releaseRuns(runs: readonly ReleasedRun[]): Promise<void> {
    if (runs.length === 0) return;
    const { session, jobSql, executionSql } = await this.connection.get();
    const owner = this.context.instanceId;
    const given = await session.runInWriteTransaction(
      (function* (): SqlSteps<number> {
        // Only runs still running in this instance's name go back. One the others decided meanwhile
        // (this instance was taken for dead: marked lost, or taken over to run again) is theirs:
        // its job's time put back would be claimed again, a taken-over retry run twice.
        const mine = new Set<string>();
        for (const statement of executionSql.ownRunning(
          runs.map((r) => r.executionId),
          owner,
        )) {
          for (const row of (yield statement).rows) mine.add(String(row.id));
        }
        const kept = runs.filter((r) => mine.has(r.executionId));
        // A retry goes back to waiting for its retry_at; the job's schedule is not its business.
        const retries = kept.filter((r) => (r.attempt ?? 1) > 1);
        const firsts = kept.filter((r) => (r.attempt ?? 1) <= 1);
        for (const statement of [
          ...executionSql.deleteRunningExecutions(firsts.map((r) => r.executionId)),
          ...jobSql.restoreNextRunTimes(firsts.map((r) => ({ id: r.jobId, nextRunTime: r.runTime.getTime() }))),
          ...executionSql.releaseRetries(retries.map((r) => r.executionId)),
        ]) {
          yield statement;
        }
        return retries.length;
      })(),
    );
    // Due again at once (their retry_at has passed): the next claim looks.
    if (given > 0) this.retries.added(-Infinity);
    this.jobsChanged();
  }
}

const CLAIM_ATTEMPTS = 10;
/** The most a claim waits before its second attempt after a deadlock, growing with each attempt. */
const DEADLOCK_PAUSE_MS = 10;
/** The error text of a retry recorded 'missed'. */
const MISSED_RETRY = 'the retry could not start within misfireGraceTime of its retry time';
/** How many ms after the asked time an extra run may move to find a free run time (normally none). */
const EXTRA_RUN_SPAN_MS = 1000;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
