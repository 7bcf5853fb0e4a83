import type { Claim, ExecutionQuery, JobExecution, JobSpec, JobStore, Outcome, PlanFunction, StoreContext } from '../../../lib/index.js';

type ReleasedRuns = Parameters<NonNullable<JobStore['releaseRuns']>>[0];
type OutcomeItem = { executionId: string; outcome: Outcome };

/** Why a value cannot be written, or null when it can (see FaultyStore.refuseUnwritable). */
export type Refusal = (item: OutcomeItem) => string | null;

/** Longest error or traceback text the narrow store below holds. */
export const NARROW_TEXT_CHARS = 1000;

/**
 * A store narrower than the scheduler assumes (a user's own migration with VARCHAR(1000) columns,
 * say), that also refuses U+0000 as PostgreSQL does. It refuses an outcome it cannot hold instead
 * of truncating it, as MySQL in strict mode does ("Data too long for column").
 */
export const unwritableText: Refusal = ({ outcome }) => {
  for (const [field, text] of [
    ['error', outcome.error],
    ['traceback', outcome.traceback],
  ] as const) {
    if (text === null) continue;
    if (text.includes('\u0000')) return `${field} contains U+0000 (invalid byte sequence for encoding "UTF8": 0x00)`;
    if (text.length > NARROW_TEXT_CHARS) return `${field} is ${text.length} characters (Data too long for column '${field}')`;
  }
  return null;
};

/**
 * A real store behind a switch board: every JobStore method delegates to `inner`, and each fault
 * below can be turned on for a test. A fault fails the call before the inner store sees it, as a
 * lost connection or a refused statement would, so the inner store's data stays consistent.
 */
export class FaultyStore implements JobStore {
  /** Present exactly when the inner store has it: the scheduler claims ahead only through it. */
  readonly releaseRuns?: (runs: ReleasedRuns) => Promise<void>;

  /** claimDueJobs throws for the next `times` calls whose `now` passes `when`. */
  private claimFault: { when: (now: Date) => boolean; times: number; error: () => Error } | null = null;
  /** claimDueJobs lets the inner claim commit, then throws instead of answering, this many more times. */
  private lostAnswers = 0;
  /** Outcomes of this job's runs are refused until then (epoch ms), as a row lock held elsewhere would. */
  private lock: { jobId: string; until: number } | null = null;
  /** releaseRuns rejects this many more times. */
  private releaseFaults = 0;
  /** Which job each claimed execution belongs to. */
  readonly jobOfExecution = new Map<string, string>();
  /** The plan function throws for this job, every time it is asked (a broken trigger, say). */
  private planFaultJob: string | null = null;
  /** finishExecutions / finishExecution reject this many more times, whatever they carry. */
  private finishFaults = 0;
  /** finishExecutions / finishExecution reject any call carrying an item this refuses. */
  private refusal: Refusal | null = null;

  /** What was injected, so a test can tell that its fault really happened. */
  readonly injected = { claims: 0, lostAnswers: 0, plans: 0, finishes: 0, refusals: 0, locked: 0, releases: 0 };
  /** Every outcome the inner store accepted, by execution id (the last one wins). */
  readonly written = new Map<string, { outcome: Outcome; at: number }>();

  constructor(readonly inner: JobStore) {
    if (inner.releaseRuns) {
      this.releaseRuns = async (runs) => {
        if (this.releaseFaults > 0) {
          this.releaseFaults--;
          this.injected.releases++;
          throw new Error('releasing runs failed: connection reset by peer');
        }
        await inner.releaseRuns!(runs);
      };
    }
  }

  get shared(): boolean {
    return this.inner.shared;
  }

  get persistent(): boolean {
    return this.inner.persistent;
  }

  failClaims(when: (now: Date) => boolean, times = 1, message = 'claim failed: connection reset by peer'): void {
    this.claimFault = { when, times, error: () => new Error(message) };
  }

  /** The next claim that takes runs commits them in the inner store, and its answer is lost. */
  loseClaimAnswer(times = 1): void {
    this.lostAnswers = times;
  }

  lockOutcomesOf(jobId: string, forMs: number): void {
    this.lock = { jobId, until: Date.now() + forMs };
  }

  failReleases(times = 1): void {
    this.releaseFaults = times;
  }

  failPlanOf(jobId: string | null): void {
    this.planFaultJob = jobId;
  }

  failFinishes(times: number): void {
    this.finishFaults = times;
  }

  refuseOutcomes(refusal: Refusal | null): void {
    this.refusal = refusal;
  }

  start(ctx: StoreContext): Promise<void> {
    return this.inner.start(ctx);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  addJob(job: JobSpec): Promise<void> {
    return this.inner.addJob(job);
  }

  updateJob(job: JobSpec): Promise<void> {
    return this.inner.updateJob(job);
  }

  removeJob(id: string): Promise<void> {
    return this.inner.removeJob(id);
  }

  removeAllJobs(): Promise<void> {
    return this.inner.removeAllJobs();
  }

  lookupJob(id: string): Promise<JobSpec | null> {
    return this.inner.lookupJob(id);
  }

  getAllJobs(): Promise<JobSpec[]> {
    return this.inner.getAllJobs();
  }

  getNextRunTime(): Promise<Date | null> {
    return this.inner.getNextRunTime();
  }

  async claimDueJobs(now: Date, limit: number, plan: PlanFunction): Promise<Claim[]> {
    const fault = this.claimFault;
    if (fault && fault.times > 0 && fault.when(now)) {
      fault.times--;
      this.injected.claims++;
      throw fault.error();
    }
    const poisoned = this.planFaultJob;
    const faultyPlan: PlanFunction = (job, running, at) => {
      if (job.id === poisoned) {
        this.injected.plans++;
        throw new Error(`plan failed for '${job.id}': its trigger cannot compute a next fire time`);
      }
      return plan(job, running, at);
    };
    const claims = await this.inner.claimDueJobs(now, limit, poisoned === null ? plan : faultyPlan);
    for (const claim of claims) for (const run of claim.runs) this.jobOfExecution.set(run.executionId, claim.job.id);
    if (this.lostAnswers > 0 && claims.some((c) => c.runs.length > 0)) {
      this.lostAnswers--;
      this.injected.lostAnswers++;
      throw new Error('claim failed: connection reset by peer while reading the COMMIT reply');
    }
    return claims;
  }

  async startExtraRun(jobId: string, runTime: Date): Promise<string | null> {
    const id = await this.inner.startExtraRun(jobId, runTime);
    if (id !== null) this.jobOfExecution.set(id, jobId);
    return id;
  }

  async finishExecution(executionId: string, outcome: Outcome): Promise<void> {
    this.checkFinish([{ executionId, outcome }]);
    await this.inner.finishExecution(executionId, outcome);
    this.written.set(executionId, { outcome, at: Date.now() });
  }

  async finishExecutions(items: readonly OutcomeItem[]): Promise<void> {
    this.checkFinish(items);
    await this.inner.finishExecutions(items);
    for (const { executionId, outcome } of items) this.written.set(executionId, { outcome, at: Date.now() });
  }

  getExecutions(query: ExecutionQuery): Promise<JobExecution[]> {
    return this.inner.getExecutions(query);
  }

  pruneExecutions(olderThan: number): Promise<number> {
    return this.inner.pruneExecutions(olderThan);
  }

  /** A transient fault fails the whole call; a refused item fails the whole call it is in, as one transaction would. */
  private checkFinish(items: readonly OutcomeItem[]): void {
    if (this.finishFaults > 0) {
      this.finishFaults--;
      this.injected.finishes++;
      throw new Error('writing outcomes failed: connection terminated unexpectedly');
    }
    const lock = this.lock;
    if (lock && Date.now() < lock.until && items.some((i) => this.jobOfExecution.get(i.executionId) === lock.jobId)) {
      this.injected.locked++;
      throw new Error(`Lock wait timeout exceeded; try restarting transaction (a row of '${lock.jobId}' is locked)`);
    }
    if (this.refusal === null) return;
    for (const item of items) {
      const reason = this.refusal(item);
      if (reason !== null) {
        this.injected.refusals++;
        throw new Error(`the database refused the outcome of execution ${item.executionId}: ${reason}`);
      }
    }
  }
}
