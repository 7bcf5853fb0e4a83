import type { Executor } from '../../executors/executor.js';
import type { DueRetry, JobStore, PlanFunction, RetryPlanFunction } from '../../stores/job-store.js';
import { nextRetryDelay } from '../../utils/backoff.js';
import { isValidDate } from '../../utils/option-checks.js';
import { toError } from '../../utils/thrown-value.js';
import { SchedulerError, describeValue } from '../errors.js';
import type { HandlerRegistry } from '../jobs/handler-registry.js';
import type { JobSpec } from '../jobs/job.js';
import type { TriggerCache } from '../jobs/trigger-cache.js';
import type { OutcomeWriter } from '../runs/outcome-writer.js';
import type { RunDispatcher } from '../runs/run-dispatcher.js';
import type { SchedulerLogger } from '../scheduler-logger.js';
import type { Claim, Plan } from './claim.js';
import { ClaimLead } from './claim-lead.js';
import { ClaimRecovery } from './claim-recovery.js';
import { planRuns } from './run-plan.js';
import { SlotBudget } from './slot-budget.js';
import { WakeTimer } from './wake-timer.js';

/** What the loop needs from the scheduler around it. */
export interface SchedulingLoopDeps {
  readonly instanceId: string;
  readonly stores: ReadonlyMap<string, JobStore>;
  readonly executors: ReadonlyMap<string, Executor>;
  readonly registry: HandlerRegistry;
  readonly triggers: TriggerCache;
  readonly outcomes: OutcomeWriter;
  readonly dispatcher: RunDispatcher;
  readonly logger: SchedulerLogger;
  /** ms; longest sleep when a store is shared, and the wait after a pass that failed. */
  readonly pollInterval: number;
  /** Jobs claimed per round trip. */
  readonly batchSize: number;
  /** ms before its fire time that a job may be claimed. */
  readonly claimAhead: number;
  /** The scheduler is running (not stopped, not paused). */
  isRunning(): boolean;
  storeError(alias: string, err: unknown): void;
  /** A store's claims and next run time went through in a pass (health). */
  storeSucceeded?(alias: string): void;
}

/** What the loop is doing, for health checks (Scheduler.health()). */
export interface LoopStatus {
  /** The pass under way started at this epoch ms; null when none runs. */
  passStartedAt: number | null;
  /** The last pass ended at this epoch ms; null before the first. */
  lastPassAt: number | null;
  /** The next pass is planned for this epoch ms; null when none is (nothing scheduled, stopped, or a pass runs). */
  nextPassAt: number | null;
}

/**
 * The loop (DESIGN.md, "The loop"): one timer for the whole scheduler, sleeping until the next
 * pass or the earliest staged run. A pass claims, in every store, what is due now or within the
 * claim window, planning each job the store locked (misfire, coalesce, maxInstances, a free
 * executor slot) and handing the claims to the RunDispatcher; then it finds when to wake next.
 * A store that fails is retried with a back-off, and its claims in doubt are recovered first.
 */
export class SchedulingLoop {
  /** Set while start() puts pending jobs into their stores: no pass may run until all are in. */
  starting = false;
  readonly recovery: ClaimRecovery;
  private readonly timer = new WakeTimer(() => this.onTimer());
  private readonly lead = new ClaimLead();
  private readonly slots: SlotBudget;
  private readonly stores: ReadonlyMap<string, JobStore>;
  private readonly dispatcher: RunDispatcher;
  /** A wake-up is queued for when a run ends and frees an executor slot. */
  private slotWakeQueued = false;
  /** The earliest staged burst that a job the current pass left alone (a run of it going) may wait for. */
  private declinedUntil = Infinity;
  /** When the next pass is due (epoch ms); Infinity while one runs or when nothing is scheduled. */
  private loopAt = Infinity;
  /** What the last pass found: when the pass after it is due. */
  private nextPassAt = Infinity;
  private pass: Promise<void> | null = null;
  /** When the pass under way started, and when the last one ended (epoch ms; NaN: none), for status(). */
  private passStartedAt = Number.NaN;
  private lastPassAt = Number.NaN;
  private passQueued = false;
  private passAgain = false;
  private readonly retries = new Map<string, { at: number; delay: number }>();
  /** Stores that said they answer again during the pass under way (see storeReachable). */
  private readonly reachedDuringPass = new Set<string>();
  /** The current claim batch's view of OutcomeWriter.unwrittenSubmissions. */
  private unwritten: ReadonlyMap<string, number> | null = null;
  /** Stores whose getNextRunTime gave an invalid date, reported once until it is valid again. */
  private readonly badNextRunTime = new Set<string>();

  constructor(private readonly deps: SchedulingLoopDeps) {
    this.stores = deps.stores;
    this.dispatcher = deps.dispatcher;
    const staged = deps.dispatcher.staged;
    this.slots = new SlotBudget(
      (alias) => deps.executors.get(alias),
      (alias) => staged.countFor(alias),
      () => deps.executors.entries(),
    );
    this.recovery = new ClaimRecovery(deps.instanceId, deps.outcomes, deps.dispatcher.live, deps.logger);
  }

  /** Wakes the loop at once if a job due at `time` should be claimed before the next planned pass. */
  wakeFor(time: Date | null): void {
    if (time === null || !this.deps.isRunning()) return;
    if (this.pass !== null || time.getTime() - this.deps.claimAhead - this.lead.ms < this.loopAt) this.wake();
  }

  wake(): void {
    if (!this.deps.isRunning() || this.starting) return;
    if (this.pass !== null) {
      this.passAgain = true;
      return;
    }
    if (this.passQueued) return;
    this.passQueued = true;
    // A microtask, not setImmediate: a timer wake-up must not wait for another turn of the loop,
    // yet several changes made in one synchronous stretch still share one pass.
    queueMicrotask(() => {
      this.passQueued = false;
      if (this.deps.isRunning() && this.pass === null) {
        this.loopAt = Infinity;
        this.passStartedAt = Date.now();
        this.pass = this.runPass()
          .catch((err: unknown) => {
            // A pass catches what its stores throw; anything else must not end the loop either.
            this.deps.logger.error(`A pass of the scheduler loop failed: ${toError(err).message}`, toError(err).stack);
            this.nextPassAt = Date.now() + this.deps.pollInterval;
          })
          .finally(() => {
            this.pass = null;
            this.passStartedAt = Number.NaN;
            this.lastPassAt = Date.now();
          })
          .then(() => this.afterPass());
      }
    });
  }

  /** What the loop is doing now (health checks); cheap, no I/O. */
  status(): LoopStatus {
    const at = (ms: number) => (Number.isFinite(ms) ? ms : null);
    return { passStartedAt: at(this.passStartedAt), lastPassAt: at(this.lastPassAt), nextPassAt: at(this.loopAt) };
  }

  /** ms; the longest sleep with a shared store. */
  get pollInterval(): number {
    return this.deps.pollInterval;
  }

  /** Stops waking: the timer is cancelled and the pass under way, if any, is awaited. */
  async stop(): Promise<void> {
    this.loopAt = Infinity;
    this.timer.cancel();
    await this.pass;
  }

  /** A store was removed. */
  forgetStore(alias: string): void {
    this.retries.delete(alias);
  }

  /**
   * The store reached its database again after failing: a claim waiting out its back-off is made
   * now. The back-off doubles up to 30 s through an outage; without this, the first claim after
   * the database is back could come that long after it, and the fire times meanwhile be missed.
   */
  storeReachable(alias: string): void {
    // A pass under way may be failing on the store now: its back-off starts over, not doubles.
    if (this.pass !== null) this.reachedDuringPass.add(alias);
    if (!this.retries.delete(alias)) return;
    this.wake();
  }

  /** A run was staged for `at`, or staged runs were taken out (no `at`): the timer may have to move. */
  stagedChanged(at?: number): void {
    if (at !== undefined) {
      const armed = this.timer.armedFor;
      if (armed !== null && at >= armed) return;
    }
    this.rearm();
  }

  /** A run ended: if jobs wait for an executor slot, a pass comes once the executor has freed it. */
  runEnded(): void {
    if (!this.slots.exhausted || this.slotWakeQueued) return;
    this.slotWakeQueued = true;
    // setImmediate, not a microtask: the executor frees the slot after the run's promise settles.
    setImmediate(() => {
      this.slotWakeQueued = false;
      this.wake();
    });
  }

  /** The one timer serves both the next pass and the earliest staged run. */
  rearm(): void {
    const staged = this.dispatcher.staged;
    const at = this.deps.isRunning() ? Math.min(this.loopAt, staged.earliest) : Infinity;
    if (at === Infinity) this.timer.cancel();
    // A burst claimed ahead waits for its exact millisecond; a pass can start a little late.
    else if (this.timer.armedFor !== at) this.timer.arm(at, at === staged.earliest);
  }

  private afterPass(): void {
    if (!this.deps.isRunning()) return;
    if (this.passAgain) {
      this.passAgain = false;
      this.wake();
      return;
    }
    this.loopAt = this.nextPassAt;
    this.rearm();
  }

  private onTimer(): void {
    if (!this.deps.isRunning()) return;
    const now = Date.now();
    this.dispatcher.fireStaged(now);
    if (this.loopAt <= now) {
      this.loopAt = Infinity;
      this.wake();
    }
    this.rearm();
  }

  /** One pass: claim what is due (or due within claimAhead) in every store, then find when to wake next. */
  private async runPass(): Promise<void> {
    const { pollInterval, batchSize } = this.deps;
    let wakeAt = Infinity;
    this.declinedUntil = Infinity;
    this.reachedDuringPass.clear();
    this.slots.reset();
    for (const [alias, store] of this.stores) {
      if (!this.deps.isRunning()) break;
      const retry = this.retries.get(alias);
      if (retry && retry.at > Date.now()) {
        wakeAt = Math.min(wakeAt, retry.at);
        continue;
      }
      try {
        if (this.recovery.inDoubt(alias)) await this.recovery.recover(alias, store);
        const ahead = this.claimWindow(store);
        const began = Date.now();
        const horizon = began + ahead;
        let claimed = 0;
        let claims: Claim[];
        let examined: number;
        let retriesExamined: number;
        let retryRoom: number;
        do {
          examined = 0;
          retriesExamined = 0;
          const plan: PlanFunction = (job, running) => {
            examined++;
            return this.plan(alias, job, running);
          };
          const planRetry: RetryPlanFunction = (job, retry) => {
            retriesExamined++;
            return this.planRetry(job, retry);
          };
          // Built at the batch's first plan that needs it, after the store counted its runs.
          this.unwritten = null;
          // Due retries are offered only as far as the executors can start them now.
          retryRoom = Math.min(batchSize, this.slots.room());
          this.deps.outcomes.claimStarted(alias);
          try {
            claims = await store.claimDueJobs(new Date(horizon), batchSize, plan, retryRoom > 0 ? planRetry : undefined, retryRoom);
          } finally {
            this.deps.outcomes.claimEnded(alias);
          }
          claimed += claims.length;
          // A store that answers without yielding (the memory store) keeps the timer from firing
          // until the pass ends: runs staged by earlier batches start now if their time came,
          // before the ones this batch claimed.
          if (this.deps.isRunning()) this.dispatcher.fireStaged(Date.now());
          // One claim's failure is that claim's alone: the others of the batch are dispatched.
          for (const claim of claims) this.dispatcher.dispatch(alias, claim);
          this.slots.handedOver();
          // A batch that claimed nothing would only look at the same jobs again.
        } while (
          (examined === batchSize || (retriesExamined > 0 && retriesExamined === retryRoom)) &&
          claims.length > 0 &&
          this.deps.isRunning()
        );
        if (ahead > 0 && claimed > 0 && !store.shared) this.lead.observe(Date.now() - began);
        const next = await store.getNextRunTime();
        const time = this.validTime(alias, next);
        if (time !== null) {
          // A job inside the horizon that was not claimed was left for its own time (see plan()).
          // The window again: this pass may have changed the lead.
          const due = time <= horizon ? time : time - this.claimWindow(store);
          // Due already but left for want of an executor slot: the pass after this one comes when
          // a run ends and frees a slot (runEnded), or after pollInterval, not at once in a spin.
          wakeAt = Math.min(wakeAt, due <= Date.now() && this.slots.exhausted ? Date.now() + pollInterval : due);
        }
        if (store.shared) wakeAt = Math.min(wakeAt, Date.now() + pollInterval);
        this.retries.delete(alias);
        this.deps.storeSucceeded?.(alias);
      } catch (err) {
        const delay = nextRetryDelay(this.reachedDuringPass.has(alias) ? undefined : retry?.delay);
        this.retries.set(alias, { at: Date.now() + delay, delay });
        // The failure may have come after the store committed a claim (the connection dropped
        // before its answer): runs recorded 'running' that nothing here will ever start.
        this.recovery.claimFailed(alias);
        wakeAt = Math.min(wakeAt, Date.now() + delay);
        this.deps.storeError(alias, err);
      }
    }
    // A job left alone because its previous run was still staged: once that burst has fired, a
    // pass can claim it ahead again. Waiting for its own fire time instead would claim it at that
    // time, late by the whole claim (a lead longer than the job's interval does this).
    wakeAt = Math.min(wakeAt, this.declinedUntil);
    // Jobs were left for want of a slot, but quick handlers have ended within the pass: at once.
    if (this.slots.exhausted && this.slots.freed()) wakeAt = Date.now();
    // Invariant 6: the loop always has a finite next wake-up or none; never NaN.
    this.nextPassAt = Number.isNaN(wakeAt) ? Date.now() + pollInterval : wakeAt;
  }

  /**
   * A store's next run time as epoch ms, or null. A store (a custom one, or a row edited by hand)
   * may answer with something that is not a valid date: that is reported once per store, and the
   * loop polls instead of waking on NaN.
   */
  private validTime(alias: string, next: Date | null): number | null {
    if (next === null || next === undefined) return null;
    const time = isValidDate(next) ? next.getTime() : Number.NaN;
    if (Number.isFinite(time)) {
      this.badNextRunTime.delete(alias);
      return time;
    }
    if (!this.badNextRunTime.has(alias)) {
      this.badNextRunTime.add(alias);
      this.deps.storeError(
        alias,
        new SchedulerError(
          `The store's next run time is not a valid date: ${describeValue(next)}; polling every ${this.deps.pollInterval} ms instead`,
        ),
      );
    }
    return Date.now() + this.deps.pollInterval;
  }

  /**
   * How long before its fire time a job of `store` may be claimed. Claiming ahead starts early
   * enough for the claims to be done claimAhead before the fire time, however long they take (see
   * ClaimLead). Not in a store shared by replicas: there the replica whose claims take longest
   * would start first and take every fire. Never in a store that cannot take runs back.
   */
  private claimWindow(store: JobStore): number {
    const claimAhead = this.deps.claimAhead;
    if (!store.releaseRuns || claimAhead === 0) return 0;
    return claimAhead + (store.shared ? 0 : this.lead.ms);
  }

  /**
   * Plans a job the store locked. A job due now is planned at now. A job due within the pass's
   * horizon (claimAhead plus the lead) is planned at its fire time, as if the clock had reached
   * it, but only when that decision cannot change before then: no run of it is in progress
   * (maxInstances), and it fires again after this run (a finished job is deleted by its claim,
   * which must not happen early). Otherwise null: the store leaves it alone and it is claimed at
   * its time.
   */
  private plan(alias: string, job: JobSpec, counted: number): Plan | null {
    const now = Date.now();
    // A submission that ended here but whose record is still being written is over: counting it
    // would turn the job's next fire (or a backlog) into 'max_instances'.
    let running = counted;
    if (counted > 0) {
      this.unwritten ??= this.deps.outcomes.unwrittenSubmissions(alias);
      running = Math.max(0, counted - (this.unwritten.get(job.id) ?? 0));
    }
    const due = job.nextRunTime;
    const trigger = this.deps.triggers.get(alias, job.id, job.trigger);
    if (due === null || due.getTime() <= now) {
      const plan = planRuns({ job, trigger, running, now: new Date(now), handlerExists: this.hasHandler(job) });
      // Runs that could not start now are left in the store (misses and max_instances are recorded).
      return plan.runTimes.length === 0 || this.slots.take(job.executor) ? plan : null;
    }
    if (running > 0) {
      this.declinedUntil = Math.min(this.declinedUntil, this.dispatcher.staged.earliest);
      return null;
    }
    const plan = planRuns({ job, trigger, running, now: due, handlerExists: this.hasHandler(job) });
    return plan.runTimes.length > 0 && plan.nextRunTime !== null && this.slots.take(job.executor) ? plan : null;
  }

  /**
   * Plans a pending retry the store found due (README, "Retries"): at its retryAt, never ahead
   * (there is no burst to prepare for); missed when later than the job's misfireGraceTime from
   * retryAt; otherwise run when an executor slot is free. It already counts toward maxInstances,
   * so that is not checked again.
   */
  private planRetry(job: JobSpec, retry: DueRetry): 'run' | 'missed' | null {
    const now = Date.now();
    const late = now - retry.retryAt.getTime();
    if (late < 0) return null;
    if (job.misfireGraceTime !== null && late > job.misfireGraceTime) return 'missed';
    return this.slots.take(job.executor) ? 'run' : null;
  }

  private hasHandler(job: JobSpec): boolean {
    return typeof job.handler === 'function' || this.deps.registry.has(job.handler);
  }
}
