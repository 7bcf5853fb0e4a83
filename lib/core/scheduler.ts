import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Subject, type Observable } from 'rxjs';
import { AsyncExecutor } from '../executors/async.executor.js';
import type { Executor } from '../executors/executor.js';
import type { AddJobSpec, JobChanges, JobDefaults } from './jobs/job-options.js';
import { MemoryJobStore } from '../stores/memory.job-store.js';
import type { JobStore, PlanFunction, StoreContext } from '../stores/job-store.js';
import { createTrigger } from '../triggers/create-trigger.js';
import { processTimezone } from '../triggers/timezone.js';
import type { Trigger, TriggerSpec } from '../triggers/trigger.js';
import {
  ConflictingIdError, ExecutorLookupError, HandlerNotFoundError, InvalidJobOptionError, JobLookupError,
  SchedulerAlreadyRunningError, SchedulerError, SchedulerNotRunningError, StoreLookupError, UnplannableJobError, describeValue,
} from './errors.js';
import { EventInterest, SchedulerEventStream } from './events/event-stream.js';
import { type JobErrorEvent, type JobExecutedEvent, type JobMissedEvent, type JobStoreErrorEvent, type JobSubmittedEvent, type SchedulerEvent, type SchedulerEventType } from './events/scheduler-events.js';
import { ofType } from './events/of-type.js';
import { HandlerRegistry } from './jobs/handler-registry.js';
import { Job, copyJob, type JobSpec } from './jobs/job.js';
import { type JobHandlerFunction } from './jobs/job-options.js';
import { type ExecutionQuery, type JobExecution, type Outcome } from './runs/execution.js';
import { type Claim, type Plan } from './loop/claim.js';
import { Submission, type AbortableRun, type RunHost } from './runs/submission.js';
import { toError } from '../utils/thrown-value.js';
import { readExecutionQuery } from './runs/execution-query.js';
import { prepareChanges, prepareJob, type PreparedJob } from './jobs/job-preparation.js';
import { nextRetryDelay } from '../utils/backoff.js';
import { OutcomeWriter } from './runs/outcome-writer.js';
import { PendingJobs, type PendingJob } from './jobs/pending-jobs.js';
import { planRuns } from './loop/run-plan.js';
import { assertFiresFrom, firstFireTime } from '../triggers/fire-time.js';
import {
  DEFAULT_CLAIM_AHEAD, DEFAULT_JOB_DEFAULTS, readSchedulerOptions, type SchedulerLogger, type SchedulerOptions,
} from './scheduler-options.js';
import { settlesWithin } from '../utils/settles-within.js';
import { TriggerCache, triggerJson } from './jobs/trigger-cache.js';
import { DeferredWork } from './runs/deferred-work.js';
import { StagedRuns } from './runs/staged-runs.js';
import { ClaimLead } from './loop/claim-lead.js';
import { SlotBudget } from './loop/slot-budget.js';
import { LiveSubmissions } from './runs/live-submissions.js';
import { isValidDate } from '../utils/option-checks.js';
import { WakeTimer } from './loop/wake-timer.js';

/** @publicApi */
export type SchedulerState = 'stopped' | 'running' | 'paused';



/**
 * APScheduler's scheduler, framework-free: triggers decide when, stores keep what, executors decide
 * how. One timer for the whole scheduler, sleeping until the earliest nextRunTime of all stores.
 * @publicApi
 */
export class Scheduler {
  readonly instanceId: string;
  readonly registry: HandlerRegistry;
  readonly timezone: string;
  readonly jobDefaults: JobDefaults;
  readonly events$: Observable<SchedulerEvent>;
  readonly executed$: Observable<JobExecutedEvent>;
  readonly error$: Observable<JobErrorEvent>;
  readonly missed$: Observable<JobMissedEvent>;

  private readonly subject = new Subject<SchedulerEvent>();
  /** Who listens to which event types: an event nobody listens to is not built. */
  private readonly interest = new EventInterest();
  private readonly stores = new Map<string, JobStore>();
  private readonly executors = new Map<string, Executor>();
  private readonly triggers: TriggerCache;
  private readonly timer = new WakeTimer(() => this.onTimer());
  private readonly logger: SchedulerLogger;
  private readonly pollInterval: number;
  private readonly shutdownTimeout: number;
  private readonly batchSize: number;
  private readonly claimAhead: number;
  private readonly pending = new PendingJobs();
  private readonly staged = new StagedRuns();
  private readonly lead = new ClaimLead();
  private readonly slots = new SlotBudget((alias) => this.executors.get(alias), (alias) => this.staged.countFor(alias));
  /** A wake-up is queued for when a run ends and frees an executor slot. */
  private slotWakeQueued = false;
  /** The earliest staged burst that a job the current pass left alone (a run of it going) may wait for. */
  private declinedUntil = Infinity;
  /** When the next pass is due (epoch ms); Infinity while one runs or when nothing is scheduled. */
  private loopAt = Infinity;
  /** What the last pass found: when the pass after it is due. */
  private nextPassAt = Infinity;
  private readonly deferred = new DeferredWork((err) => this.logger.error(`Recording a run failed: ${toError(err).message}`, toError(err).stack));
  private current: SchedulerState = 'stopped';
  private pass: Promise<void> | null = null;
  private passQueued = false;
  private passAgain = false;
  private starting = false;
  /** The start() under way, if any. */
  private startup: Promise<void> | null = null;
  private readonly retries = new Map<string, { at: number; delay: number }>();
  /** Stores whose last claim failed: they may hold this instance's 'running' records of a claim whose answer was lost. */
  private readonly claimsInDoubt = new Set<string>();
  /** The current claim batch's view of OutcomeWriter.unwrittenSubmissions. */
  private unwritten: ReadonlyMap<string, number> | null = null;
  /** Submissions not yet over, for recoverClaims. */
  private readonly live = new LiveSubmissions();
  /** runJobNow calls between recording their run and submitting it. */
  private extraRunsStarting = 0;
  /** Stores whose getNextRunTime gave an invalid date, reported once until it is valid again. */
  private readonly badNextRunTime = new Set<string>();
  /** Stored jobs reported as unplannable (by a claim or on read), by store and job id: reported once. */
  private readonly reportedTriggers = new Set<string>();
  private readonly writes = new Set<Promise<void>>();
  /** `stopping`: true while stopped; runs not yet started are then given up. */
  private readonly host: Omit<RunHost, 'stopping'> & { stopping: boolean };
  private readonly outcomes = new OutcomeWriter(
    (alias) => this.stores.get(alias),
    (alias, error) => this.storeError(alias, error),
  );

  constructor(input: SchedulerOptions = {}) {
    const options = readSchedulerOptions(input);
    this.instanceId = options.instanceId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.registry = options.registry ?? new HandlerRegistry();
    this.timezone = options.timezone ?? processTimezone();
    this.jobDefaults = { ...DEFAULT_JOB_DEFAULTS, ...options.jobDefaults };
    this.pollInterval = options.pollInterval ?? 1000;
    this.shutdownTimeout = options.shutdownTimeout ?? 10_000;
    this.batchSize = options.claimBatchSize ?? 1000;
    this.claimAhead = options.claimAhead ?? DEFAULT_CLAIM_AHEAD;
    this.logger = neverThrowing(options.logger ?? consoleLogger);
    this.triggers = new TriggerCache(() => this.timezone);
    for (const [alias, store] of Object.entries(options.stores ?? { default: new MemoryJobStore() })) {
      this.stores.set(alias, store);
    }
    for (const [alias, executor] of Object.entries(options.executors ?? { default: new AsyncExecutor() })) {
      this.executors.set(alias, executor);
    }
    const report = (err: unknown) => this.logger.error(`An events$ subscriber threw: ${toError(err).message}`, toError(err).stack);
    this.events$ = new SchedulerEventStream(this.subject, this.interest, report);
    this.executed$ = this.events$.pipe(ofType('job_executed'));
    this.error$ = this.events$.pipe(ofType('job_error'));
    this.missed$ = this.events$.pipe(ofType('job_missed'));
    this.host = {
      instanceId: this.instanceId,
      stopping: true,
      wants: (type) => this.interest.wants(type),
      active: new Set<AbortableRun>(),
      resolveHandler: (job) => (typeof job.handler === 'function' ? job.handler : this.registry.get(job.handler)),
      finish: (store, executionId, outcome, closes) => this.outcomes.add(store, executionId, outcome, closes),
      emit: (event) => this.emit(event),
      deferred: this.deferred,
      track: (submission) => this.live.track(submission),
      ended: () => {
        if (this.slots.exhausted) this.slotFreed();
      },
    };
  }

  get state(): SchedulerState {
    return this.current;
  }

  // ---- lifecycle -------------------------------------------------------------------------

  async start(opts: { paused?: boolean } = {}): Promise<void> {
    if (this.current !== 'stopped') throw new SchedulerAlreadyRunningError();
    this.current = opts.paused ? 'paused' : 'running';
    this.host.stopping = false;
    const startup = this.startUp();
    this.startup = startup;
    try {
      await startup;
    } finally {
      this.startup = null;
    }
    this.emit(this.event('scheduler_started'));
    if (this.current === 'running') this.wake();
  }

  private async startUp(): Promise<void> {
    // No pass may run until every pending job is in its store: a pass between two upserts would
    // claim a decorated job on the schedule it had before this start.
    this.starting = true;
    const started: [string, JobStore][] = [];
    try {
      for (const [alias, store] of this.stores) {
        await store.start(this.storeContext(alias));
        started.push([alias, store]);
      }
      for (const executor of this.executors.values()) executor.start();
      this.outcomes.reset();
      for (const job of this.pending.takeAll()) await this.addToStore(job, new Date());
    } catch (err) {
      this.current = 'stopped';
      this.host.stopping = true;
      // Release what this start acquired (heartbeats, LISTEN connections, timers) before failing.
      for (const [alias, store] of started.reverse()) await store.shutdown().catch((e: unknown) => this.storeError(alias, e));
      throw err;
    } finally {
      this.starting = false;
    }
  }

  /** Stops the loop; with `wait` lets running jobs finish, aborting ctx.signal after shutdownTimeout. */
  async shutdown(opts: { wait?: boolean } = {}): Promise<void> {
    if (this.startup !== null) {
      // Called while start() is under way: let it finish, so that what it acquires is released
      // below and the events come in their order (scheduler_started, then scheduler_shutdown).
      const started = await this.startup.then(() => true, () => false);
      if (!started) return;
    }
    if (this.current === 'stopped') throw new SchedulerNotRunningError();
    this.current = 'stopped';
    this.host.stopping = true;
    this.loopAt = Infinity;
    this.timer.cancel();
    await this.pass;
    await this.releaseStaged();
    const drained = Promise.all([...this.executors.values()].map((e) => e.shutdown()));
    if (opts.wait === false || !(await settlesWithin(drained, this.shutdownTimeout))) {
      for (const run of this.host.active) run.abort(new SchedulerError('the scheduler shut down'));
      // Give aborted handlers a moment to settle and record; a handler ignoring its signal is left behind.
      await settlesWithin(drained, Math.min(1000, this.shutdownTimeout));
    }
    await this.deferred.settle();
    if (!(await this.outcomes.settle(this.shutdownTimeout))) {
      const unwritten = this.outcomes.abandon();
      this.logger.warn(`${unwritten} execution record(s) could not be written before shutdown`);
    }
    await Promise.allSettled([...this.writes]);
    for (const [alias, store] of this.stores) {
      await store.shutdown().catch((err) => this.storeError(alias, err));
    }
    this.emit(this.event('scheduler_shutdown'));
  }

  /**
   * Gives the runs claimed ahead back to their stores, as if never claimed: a fire time due just
   * after shutdown is then run by the next start or by another process, by the misfire rules. Where
   * a store cannot take them back, they are recorded as missed.
   */
  private async releaseStaged(): Promise<void> {
    for (const alias of this.stores.keys()) {
      await this.takeBack(alias, null).catch((err) => {
        this.storeError(alias, err);
        const left = this.staged.takeStore(alias);
        for (const submission of left) submission.cancel('the scheduler shut down before the run started');
      });
    }
  }

  pause(): void {
    if (this.current === 'stopped') throw new SchedulerNotRunningError();
    if (this.current === 'paused') return;
    this.current = 'paused';
    this.rearm();
    this.emit(this.event('scheduler_paused'));
  }

  resume(): void {
    if (this.current === 'stopped') throw new SchedulerNotRunningError();
    if (this.current === 'running') return;
    this.current = 'running';
    this.emit(this.event('scheduler_resumed'));
    // Runs staged before the pause start now (or are missed, past misfireGraceTime).
    this.rearm();
    this.wake();
  }

  // ---- stores and executors ----------------------------------------------------------------

  async addJobStore(store: JobStore, alias: string): Promise<void> {
    if (this.stores.has(alias)) throw new SchedulerError(`A job store with the alias '${alias}' already exists`);
    if (this.current !== 'stopped') await store.start(this.storeContext(alias));
    this.stores.set(alias, store);
    this.emit(this.event('jobstore_added', { store: alias }));
    this.wake();
  }

  async removeJobStore(alias: string): Promise<void> {
    const store = this.storeOf(alias);
    await this.takeBack(alias, null).catch((err) => this.storeError(alias, err));
    this.stores.delete(alias);
    this.retries.delete(alias);
    this.triggers.forgetStore(alias);
    if (this.current !== 'stopped') await store.shutdown();
    this.emit(this.event('jobstore_removed', { store: alias }));
  }

  addExecutor(executor: Executor, alias: string): void {
    if (this.executors.has(alias)) throw new SchedulerError(`An executor with the alias '${alias}' already exists`);
    if (this.current !== 'stopped') executor.start();
    this.executors.set(alias, executor);
    this.emit(this.event('executor_added'));
  }

  async removeExecutor(alias: string): Promise<void> {
    const executor = this.executors.get(alias);
    if (!executor) throw new ExecutorLookupError(alias, [...this.executors.keys()]);
    this.executors.delete(alias);
    await executor.shutdown();
    this.emit(this.event('executor_removed'));
  }

  // ---- jobs ------------------------------------------------------------------------------

  async addJob(spec: AddJobSpec): Promise<Job> {
    return this.add(spec, false);
  }

  /**
   * Adds or updates a job declared in code (@ScheduledJob): code wins for trigger and options, but
   * a stored nextRunTime is kept when the trigger did not change, so downtime misfires are seen.
   */
  async upsertJob(spec: AddJobSpec): Promise<Job> {
    return this.add(spec, true);
  }

  async getJob(id: string, store?: string): Promise<Job | null> {
    const pending = this.findPending(id, store);
    if (pending) return this.snapshot(pending.job, pending.store, true);
    const found = await this.lookup(id, store);
    return found && this.snapshot(found.job, found.store, false);
  }

  async getJobs(filter: { store?: string; pending?: boolean } = {}): Promise<Job[]> {
    if (filter.store !== undefined) this.storeOf(filter.store);
    const jobs: Job[] = [];
    if (filter.pending !== false) {
      for (const p of this.pending) if (filter.store === undefined || p.store === filter.store) jobs.push(this.snapshot(p.job, p.store, true));
    }
    if (filter.pending !== true && this.current !== 'stopped') {
      for (const [alias, store] of this.stores) {
        if (filter.store !== undefined && alias !== filter.store) continue;
        for (const job of await store.getAllJobs()) jobs.push(this.snapshot(job, alias, false));
      }
    }
    return jobs;
  }

  /** Prints the jobs per store, like APScheduler's print_jobs. */
  async printJobs(out: (line: string) => void = (line) => console.log(line)): Promise<void> {
    if (this.pending.size > 0 || this.current === 'stopped') {
      out('Pending jobs:');
      if (this.pending.size === 0) out('    No pending jobs');
      for (const p of this.pending) out(`    ${this.describe(p.job, p.store, true)}`);
    }
    if (this.current === 'stopped') return;
    for (const [alias, store] of this.stores) {
      out(`Jobstore ${alias}:`);
      const jobs = await store.getAllJobs();
      if (jobs.length === 0) out('    No scheduled jobs');
      for (const job of jobs) out(`    ${this.describe(job, alias, false)}`);
    }
  }

  async modifyJob(id: string, changes: JobChanges, store?: string): Promise<Job> {
    return this.change(id, store, (job, alias) => prepareChanges(job, changes, this.prepareContext(alias)));
  }

  async rescheduleJob(id: string, trigger: TriggerSpec, store?: string): Promise<Job> {
    return this.change(id, store, (job, alias) => {
      const now = new Date();
      const compiled = createTrigger(trigger, { timezone: this.timezone, now });
      assertFiresFrom(compiled, now);
      const { job: prepared } = prepareChanges(job, {}, this.prepareContext(alias), compiled);
      return { job: prepared, trigger: compiled, computeNext: true as const };
    });
  }

  async pauseJob(id: string, store?: string): Promise<Job> {
    return this.change(id, store, (job) => ({ job: copyJob(job, null), computeNext: false as const }));
  }

  async resumeJob(id: string, store?: string): Promise<Job | null> {
    const resumed = await this.change(id, store, (job) => ({ job, computeNext: true as const }));
    if (resumed.nextRunTime === null && !resumed.pending) {
      await this.removeJob(id, resumed.store);
      return null;
    }
    return resumed;
  }

  async removeJob(id: string, store?: string): Promise<void> {
    const pending = this.findPending(id, store);
    if (pending) {
      this.pending.delete(pending);
      return;
    }
    const found = await this.lookup(id, store);
    if (!found) throw new JobLookupError(id, store);
    await this.takeBack(found.store, id);
    await this.storeOf(found.store).removeJob(id);
    this.triggers.forget(found.store, id);
    this.emit(this.event('job_removed', { jobId: id, store: found.store }));
  }

  async removeAllJobs(store?: string): Promise<void> {
    if (store !== undefined) this.storeOf(store);
    this.pending.clear(store);
    if (this.current !== 'stopped') {
      for (const [alias, s] of this.stores) {
        if (store !== undefined && alias !== store) continue;
        await this.takeBack(alias, null);
        await s.removeAllJobs();
        this.triggers.forgetStore(alias);
      }
    }
    this.emit(this.event('all_jobs_removed', store === undefined ? {} : { store }));
  }

  /**
   * One extra run now, outside the schedule; the job's nextRunTime is unchanged. Like a fire, it
   * respects maxInstances: when the job already has that many runs going (in any replica sharing
   * the store), the time is recorded as 'max_instances' and job_max_instances is emitted instead.
   */
  async runJobNow(id: string, store?: string): Promise<void> {
    if (this.current === 'stopped') throw new SchedulerNotRunningError();
    const found = await this.lookup(id, store);
    if (!found) throw new JobLookupError(id, store);
    const now = new Date();
    let executionId: string | null;
    this.extraRunsStarting++;
    try {
      executionId = await this.storeOf(found.store).startExtraRun(id, now);
    } finally {
      this.extraRunsStarting--;
    }
    if (executionId === null) {
      // As a fire would be: the store recorded the time as 'max_instances'.
      this.emit(this.event<JobSubmittedEvent>('job_max_instances', { jobId: id, store: found.store, scheduledRunTimes: [now] }));
      return;
    }
    this.submit(found.store, found.job, [{ executionId, runTime: now }]);
  }

  // ---- history ---------------------------------------------------------------------------

  async getExecutions(input: ExecutionQuery = {}): Promise<JobExecution[]> {
    const query = readExecutionQuery(input);
    const { limit, offset } = query;
    if (limit === 0) return [];
    const all: JobExecution[] = [];
    for (const store of this.stores.values()) {
      all.push(...(await store.getExecutions({ ...query, limit: limit + offset, offset: 0 })));
    }
    all.sort((a, b) => b.scheduledRunTime.getTime() - a.scheduledRunTime.getTime());
    return all.slice(offset, offset + limit);
  }

  async pruneExecutions(olderThan: number): Promise<number> {
    if (!(typeof olderThan === 'number' && Number.isFinite(olderThan) && olderThan >= 0)) {
      throw new InvalidJobOptionError('olderThan', olderThan, 'allowed: ms >= 0');
    }
    let deleted = 0;
    for (const store of this.stores.values()) deleted += await store.pruneExecutions(olderThan);
    return deleted;
  }

  // ---- adding and changing ----------------------------------------------------------------

  private async add(spec: AddJobSpec, upsert: boolean): Promise<Job> {
    const alias = storeAliasOf(spec);
    const prepared = prepareJob(spec, this.prepareContext(alias), upsert);
    if (typeof prepared.job.handler === 'string' && !this.registry.has(prepared.job.handler)) {
      throw new HandlerNotFoundError(prepared.job.handler);
    }
    if (this.current === 'stopped') {
      const existing = this.findPending(prepared.job.id, alias);
      if (existing && !prepared.replaceExisting && !upsert) throw new ConflictingIdError(prepared.job.id);
      if (existing) this.pending.delete(existing);
      this.pending.add({ ...prepared, store: alias });
      return this.snapshot(prepared.job, alias, true);
    }
    const job = await this.addToStore({ ...prepared, store: alias }, new Date());
    return this.snapshot(job, alias, false);
  }

  private async addToStore(prepared: PendingJob, now: Date): Promise<JobSpec> {
    const store = this.storeOf(prepared.store);
    const job = copyJob(prepared.job);
    if (prepared.computeNext) job.nextRunTime = firstFireTime(prepared.trigger!, now);
    if (prepared.upsert) {
      const existing = await store.lookupJob(job.id);
      if (existing) {
        const kept = keepSchedule(prepared, existing);
        if (kept) Object.assign(job, kept);
        else await this.takeBack(prepared.store, job.id);
        await store.updateJob(job);
        if (kept) this.replaceStaged(prepared.store, job);
        this.emit(this.event('job_modified', { jobId: job.id, store: prepared.store }));
        this.wakeFor(job.nextRunTime);
        return job;
      }
    }
    try {
      await store.addJob(job);
    } catch (err) {
      if (!(err instanceof ConflictingIdError && prepared.replaceExisting)) throw err;
      await this.takeBack(prepared.store, job.id);
      await store.updateJob(job);
    }
    this.emit(this.event('job_added', { jobId: job.id, store: prepared.store }));
    this.wakeFor(job.nextRunTime);
    return job;
  }

  private async change(
    id: string,
    store: string | undefined,
    apply: (job: JobSpec, alias: string) => { job: JobSpec; trigger?: Trigger; computeNext: boolean | 'keep' },
  ): Promise<Job> {
    const pending = this.findPending(id, store);
    if (pending) {
      const result = apply(pending.job, pending.store);
      Object.assign(pending, {
        job: result.job,
        trigger: result.trigger ?? pending.trigger,
        computeNext: result.computeNext === 'keep' ? pending.computeNext : result.computeNext,
      });
      return this.snapshot(pending.job, pending.store, true);
    }
    const found = await this.lookup(id, store);
    if (!found) throw new JobLookupError(id, store);
    const result = apply(found.job, found.store);
    const job = result.job;
    // A run claimed ahead under the old schedule must not run under the new one.
    if (result.computeNext !== 'keep') await this.takeBack(found.store, id);
    if (result.computeNext === true) {
      const trigger = result.trigger ?? this.triggers.get(found.store, id, job.trigger);
      job.nextRunTime = firstFireTime(trigger, new Date());
    }
    await this.storeOf(found.store).updateJob(job);
    this.reportedTriggers.delete(`${found.store}\u0000${id}`);
    if (result.computeNext === 'keep') this.replaceStaged(found.store, job);
    this.emit(this.event('job_modified', { jobId: id, store: found.store }));
    this.wakeFor(job.nextRunTime);
    return this.snapshot(job, found.store, false);
  }

  private prepareContext(alias: string) {
    const store = this.storeOf(alias);
    return {
      persistent: store.persistent,
      defaults: this.jobDefaults,
      timezone: this.timezone,
      hasExecutor: (name: string) => {
        if (!this.executors.has(name)) throw new ExecutorLookupError(name, [...this.executors.keys()]);
      },
      hasHandler: (name: string) => {
        if (!this.registry.has(name)) throw new HandlerNotFoundError(name);
      },
    };
  }

  private findPending(id: string, store?: string): PendingJob | undefined {
    return this.pending.find(id, store, this.stores.keys());
  }

  private async lookup(id: string, store?: string): Promise<{ job: JobSpec; store: string } | null> {
    if (this.current === 'stopped') {
      if (store !== undefined) this.storeOf(store);
      return null;
    }
    const aliases = store === undefined ? [...this.stores.keys()] : [(this.storeOf(store), store)];
    for (const alias of aliases) {
      const job = await this.stores.get(alias)!.lookupJob(id);
      if (job) return { job, store: alias };
    }
    return null;
  }

  private storeOf(alias: string): JobStore {
    const store = this.stores.get(alias);
    if (!store) throw new StoreLookupError(alias, [...this.stores.keys()]);
    return store;
  }

  private snapshot(job: JobSpec, store: string, pending: boolean): Job {
    if (!pending) this.checkStoredTrigger(store, job);
    return new Job(job, store, pending, this);
  }

  /**
   * A stored job read back (getJob, getJobs) whose trigger cannot be compiled (a row edited by
   * hand): reported once with jobstore_error. A due one is reported by its claim; a paused one
   * would otherwise never be.
   */
  private checkStoredTrigger(store: string, job: JobSpec): void {
    try {
      this.triggers.get(store, job.id, job.trigger);
    } catch (error) {
      const key = `${store}\u0000${job.id}`;
      if (this.reportedTriggers.has(key)) return;
      this.reportedTriggers.add(key);
      this.storeError(store, new UnplannableJobError(job.id, toError(error).message, { cause: error }), job.id);
    }
  }

  private describe(job: JobSpec, store: string, pending: boolean): string {
    let trigger: string;
    try {
      trigger = this.triggers.get(store, job.id, job.trigger).toString();
    } catch {
      trigger = triggerJson(job.trigger);
    }
    const when = pending ? 'pending' : job.nextRunTime ? `next run at: ${job.nextRunTime.toISOString()}` : 'paused';
    return `${job.name} (trigger: ${trigger}, ${when})`;
  }

  // ---- the loop --------------------------------------------------------------------------

  /** Wakes the loop at once if a job due at `time` should be claimed before the next planned pass. */
  private wakeFor(time: Date | null): void {
    if (time === null || this.current !== 'running') return;
    if (this.pass !== null || time.getTime() - this.claimAhead - this.lead.ms < this.loopAt) this.wake();
  }

  private wake(): void {
    if (this.current !== 'running' || this.starting) return;
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
      if (this.current === 'running' && this.pass === null) {
        this.loopAt = Infinity;
        this.pass = this.runPass()
          .catch((err: unknown) => {
            // A pass catches what its stores throw; anything else must not end the loop either.
            this.logger.error(`A pass of the scheduler loop failed: ${toError(err).message}`, toError(err).stack);
            this.nextPassAt = Date.now() + this.pollInterval;
          })
          .finally(() => (this.pass = null))
          .then(() => this.afterPass());
      }
    });
  }

  private afterPass(): void {
    if (this.current !== 'running') return;
    if (this.passAgain) {
      this.passAgain = false;
      this.wake();
      return;
    }
    this.loopAt = this.nextPassAt;
    this.rearm();
  }

  /** The one timer serves both the next pass and the earliest staged run. */
  private rearm(): void {
    const at = this.current === 'running' ? Math.min(this.loopAt, this.staged.earliest) : Infinity;
    if (at === Infinity) this.timer.cancel();
    // A burst claimed ahead waits for its exact millisecond; a pass can start a little late.
    else if (this.timer.armedFor !== at) this.timer.arm(at, at === this.staged.earliest);
  }

  private onTimer(): void {
    if (this.current !== 'running') return;
    const now = Date.now();
    this.fireStaged(now);
    if (this.loopAt <= now) {
      this.loopAt = Infinity;
      this.wake();
    }
    this.rearm();
  }

  /** One pass: claim what is due (or due within claimAhead) in every store, then find when to wake next. */
  private async runPass(): Promise<void> {
    let wakeAt = Infinity;
    this.declinedUntil = Infinity;
    this.slots.reset();
    for (const [alias, store] of this.stores) {
      if (this.current !== 'running') break;
      const retry = this.retries.get(alias);
      if (retry && retry.at > Date.now()) {
        wakeAt = Math.min(wakeAt, retry.at);
        continue;
      }
      try {
        if (this.claimsInDoubt.has(alias)) await this.recoverClaims(alias, store);
        const ahead = this.claimWindow(store);
        const began = Date.now();
        const horizon = began + ahead;
        let claimed = 0;
        let claims: Claim[];
        let examined: number;
        do {
          examined = 0;
          const plan: PlanFunction = (job, running) => {
            examined++;
            return this.plan(alias, job, running);
          };
          // Built at the batch's first plan that needs it, after the store counted its runs.
          this.unwritten = null;
          claims = await store.claimDueJobs(new Date(horizon), this.batchSize, plan);
          claimed += claims.length;
          // A store that answers without yielding (the memory store) keeps the timer from firing
          // until the pass ends: runs staged by earlier batches start now if their time came,
          // before the ones this batch claimed.
          if (this.current === 'running') this.fireStaged(Date.now());
          // One claim's failure is that claim's alone: the others of the batch are dispatched.
          for (const claim of claims) this.dispatch(alias, claim);
          this.slots.handedOver();
          // A batch that claimed nothing would only look at the same jobs again.
        } while (examined === this.batchSize && claims.length > 0 && this.current === 'running');
        if (ahead > 0 && claimed > 0 && !store.shared) this.lead.observe(Date.now() - began);
        const next = await store.getNextRunTime();
        const time = this.validTime(alias, next);
        if (time !== null) {
          // A job inside the horizon that was not claimed was left for its own time (see plan()).
          // The window again: this pass may have changed the lead.
          const due = time <= horizon ? time : time - this.claimWindow(store);
          // Due already but left for want of an executor slot: the pass after this one comes when
          // a run ends and frees a slot (slotFreed), or after pollInterval, not at once in a spin.
          wakeAt = Math.min(wakeAt, due <= Date.now() && this.slots.exhausted ? Date.now() + this.pollInterval : due);
        }
        if (store.shared) wakeAt = Math.min(wakeAt, Date.now() + this.pollInterval);
        this.retries.delete(alias);
      } catch (err) {
        const delay = nextRetryDelay(retry?.delay);
        this.retries.set(alias, { at: Date.now() + delay, delay });
        // The failure may have come after the store committed a claim (the connection dropped
        // before its answer): runs recorded 'running' that nothing here will ever start.
        this.claimsInDoubt.add(alias);
        wakeAt = Math.min(wakeAt, Date.now() + delay);
        this.storeError(alias, err);
      }
    }
    // A job left alone because its previous run was still staged: once that burst has fired, a
    // pass can claim it ahead again. Waiting for its own fire time instead would claim it at that
    // time, late by the whole claim (a lead longer than the job's interval does this).
    wakeAt = Math.min(wakeAt, this.declinedUntil);
    // Jobs were left for want of a slot, but quick handlers have ended within the pass: at once.
    if (this.slots.exhausted && this.slots.freed()) wakeAt = Date.now();
    // Invariant 6: the loop always has a finite next wake-up or none; never NaN.
    this.nextPassAt = Number.isNaN(wakeAt) ? Date.now() + this.pollInterval : wakeAt;
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
      this.storeError(alias, new SchedulerError(`The store's next run time is not a valid date: ${describeValue(next)}; polling every ${this.pollInterval} ms instead`));
    }
    return Date.now() + this.pollInterval;
  }

  /**
   * After a claim failed: this instance's 'running' records that no submission here knows of were
   * written by a claim whose answer never arrived. They are handed back (as if never claimed, so
   * the fire runs by the misfire rules) or, where the store cannot take runs back, finished as
   * errors. Either way none stays 'running' to block its job through maxInstances.
   */
  private async recoverClaims(alias: string, store: JobStore): Promise<void> {
    if (this.extraRunsStarting > 0) return;
    const known = new Set<string>(this.outcomes.pendingIds(alias));
    for (const submission of this.live.current()) if (submission.store === alias) for (const id of submission.executionIds()) known.add(id);
    const running = await store.getExecutions({ status: 'running', limit: 10_000 });
    const orphans = running.filter((r) => r.instanceId === this.instanceId && !known.has(r.id));
    if (orphans.length > 0) {
      const runs = orphans.map((r) => ({ jobId: r.jobId, executionId: r.id, runTime: r.scheduledRunTime }));
      if (store.releaseRuns) {
        await store.releaseRuns(runs);
      } else {
        const now = new Date();
        for (const run of runs) {
          this.outcomes.add(alias, run.executionId, {
            status: 'error', startedAt: null, finishedAt: now, durationMs: null, traceback: null,
            error: 'ClaimLostError: the claim that recorded this run failed before the scheduler could start it',
          });
        }
      }
      this.logger.warn(`Job store '${alias}': ${orphans.length} run(s) of a claim whose answer was lost were ${store.releaseRuns ? 'handed back' : 'recorded as errors'}`);
    }
    this.claimsInDoubt.delete(alias);
  }

  /**
   * How long before its fire time a job of `store` may be claimed. Claiming ahead starts early
   * enough for the claims to be done claimAhead before the fire time, however long they take (see
   * ClaimLead). Not in a store shared by replicas: there the replica whose claims take longest
   * would start first and take every fire. Never in a store that cannot take runs back.
   */
  private claimWindow(store: JobStore): number {
    if (!store.releaseRuns || this.claimAhead === 0) return 0;
    return this.claimAhead + (store.shared ? 0 : this.lead.ms);
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
      this.unwritten ??= this.outcomes.unwrittenSubmissions(alias);
      running = Math.max(0, counted - (this.unwritten.get(job.id) ?? 0));
    }
    const due = job.nextRunTime;
    const trigger = this.triggers.get(alias, job.id, job.trigger);
    if (due === null || due.getTime() <= now) {
      const plan = planRuns({ job, trigger, running, now: new Date(now), handlerExists: this.hasHandler(job) });
      // Runs that could not start now are left in the store (misses and max_instances are recorded).
      return plan.runTimes.length === 0 || this.slots.take(job.executor) ? plan : null;
    }
    if (running > 0) {
      this.declinedUntil = Math.min(this.declinedUntil, this.staged.earliest);
      return null;
    }
    const plan = planRuns({ job, trigger, running, now: due, handlerExists: this.hasHandler(job) });
    return plan.runTimes.length > 0 && plan.nextRunTime !== null && this.slots.take(job.executor) ? plan : null;
  }

  /** A run ended: if jobs wait for an executor slot, a pass comes once the executor has freed it. */
  private slotFreed(): void {
    if (this.slotWakeQueued) return;
    this.slotWakeQueued = true;
    // setImmediate, not a microtask: the executor frees the slot after the run's promise settles.
    setImmediate(() => {
      this.slotWakeQueued = false;
      this.wake();
    });
  }

  private hasHandler(job: JobSpec): boolean {
    return typeof job.handler === 'function' || this.registry.has(job.handler);
  }

  /** Emits what a claim decided and submits its runs. Never throws: the rest of the batch must go on. */
  private dispatch(store: string, claim: Claim): void {
    try {
      this.dispatchClaim(store, claim);
    } catch (err) {
      // Only the emits and bookkeeping before submit() can get here; submit() records its own runs.
      this.logger.error(`Dispatching a claim of job '${String(claim.job?.id)}' failed: ${toError(err).message}`, toError(err).stack);
    }
  }

  private dispatchClaim(store: string, { job, plan, runs }: Claim): void {
    for (const runTime of plan.missed) {
      this.emit(this.event<JobMissedEvent>('job_missed', { jobId: job.id, store, scheduledRunTime: runTime }));
    }
    if (plan.maxInstances.length > 0) {
      this.emit(this.event<JobSubmittedEvent>('job_max_instances', { jobId: job.id, store, scheduledRunTimes: plan.maxInstances }));
    }
    for (const { runTime, error } of plan.failed) {
      const now = new Date();
      this.emit(this.event<JobErrorEvent>('job_error', {
        jobId: job.id, store, scheduledRunTime: runTime, startedAt: now, finishedAt: now, durationMs: 0, error, traceback: error.stack ?? String(error),
      }));
    }
    // A persistent store keeps a finished rerunOnLoss job until its runs end (see claim-planner).
    const removeAfterRuns = plan.remove && job.rerunOnLoss && runs.length > 0 && this.stores.get(store)?.persistent === true;
    if (runs.length > 0) this.submit(store, job, runs, removeAfterRuns);
    if (plan.remove && !removeAfterRuns) this.removed(store, job.id);
  }

  private removed(store: string, jobId: string): void {
    this.triggers.forget(store, jobId);
    this.reportedTriggers.delete(`${store}\u0000${jobId}`);
    this.emit(this.event('job_removed', { jobId, store }));
  }

  /** Deletes a finished job once its last runs have ended; someone may have removed it already. */
  private removeFinished(store: string, jobId: string): void {
    const target = this.stores.get(store);
    if (!target) return;
    const write: Promise<void> = target
      .removeJob(jobId)
      .then(() => this.removed(store, jobId))
      .catch((err) => {
        if (!(err instanceof JobLookupError)) this.storeError(store, err);
      })
      .finally(() => this.writes.delete(write));
    this.writes.add(write);
  }

  /** Runs a store took over from a dead instance (rerunOnLoss). */
  private rerun(store: string, job: JobSpec, runs: Claim['runs']): void {
    let exhausted = false;
    if (job.nextRunTime === null && runs.length > 0) {
      try {
        const last = runs[runs.length - 1].runTime;
        exhausted = this.triggers.get(store, job.id, job.trigger).getNextFireTime(last, new Date()) === null;
      } catch {
        exhausted = false;
      }
    }
    this.submit(store, job, runs, exhausted);
  }

  /**
   * Hands the runs to the job's executor now, or stages them when they were claimed ahead of time.
   * Whatever fails here (preparing the run, a faulty executor) is recorded as the runs' error: a
   * claimed run always ends with a record.
   */
  private submit(store: string, job: JobSpec, runs: Claim['runs'], removeAfterRuns = false): void {
    const onDone = removeAfterRuns ? () => this.removeFinished(store, job.id) : undefined;
    const submission = new Submission(this.host, store, job, runs, onDone);
    try {
      const at = submission.firstRunTime;
      // Runs due now are prepared too: all single runs then start through one path, and the code
      // V8 compiles for it during the first burst is not thrown away when the other path turns up.
      submission.prepare();
      // Staged whatever the state: a pass that ends after pause() or during shutdown must neither
      // start a run early nor drop it; resume fires it, shutdown gives it back (releaseStaged).
      if (at > Date.now()) {
        this.staged.add(at, submission);
        const armed = this.timer.armedFor;
        if (armed === null || at < armed) this.rearm();
        return;
      }
      if (this.handOver(submission) && this.interest.wants('job_submitted')) this.emitSubmitted(submission);
    } catch (err) {
      submission.abandon(err);
    }
  }

  /** The staged runs now due, handed to their executors in one go; their events follow. */
  private fireStaged(now: number): void {
    if (this.staged.earliest > now) return;
    const { runs: due, executor: alias } = this.staged.takeDue(now);
    if (due.length === 0) return;
    const executor = alias === null ? undefined : this.executors.get(alias);
    if (executor?.submitMany) {
      try {
        executor.submitMany(due);
      } catch (err) {
        // A faulty executor: what it did not start is recorded as failed, not left 'running'.
        for (const submission of due) submission.abandon(err);
      }
    } else {
      for (const submission of due) this.handOver(submission);
    }
    this.staged.forget(due);
    if (!this.interest.wants('job_submitted')) return;
    for (const submission of due) if (this.executors.has(submission.executor)) this.emitSubmitted(submission);
  }

  private handOver(submission: Submission): boolean {
    const executor = this.executors.get(submission.executor);
    if (!executor) {
      submission.cancel(new ExecutorLookupError(submission.executor, [...this.executors.keys()]).message);
      return false;
    }
    try {
      executor.submit(submission);
      return true;
    } catch (err) {
      submission.abandon(err);
      return false;
    }
  }

  private emitSubmitted(submission: Submission): void {
    // Built directly, not through event()'s spread: one is made for every run of a burst.
    const event: JobSubmittedEvent = {
      type: 'job_submitted', timestamp: new Date(), instanceId: this.instanceId,
      jobId: submission.jobId, store: submission.store, scheduledRunTimes: submission.runTimes(),
    };
    this.emit(event);
  }

  /**
   * Takes back the staged runs of a job (or of a whole store) that this process is about to change
   * before their time: their records are deleted as if never claimed, so the job's new schedule may
   * claim the same fire time again. On failure they are staged again and the caller gets the error.
   */
  private async takeBack(store: string, jobId: string | null): Promise<void> {
    if (this.staged.earliest === Infinity) return;
    const taken = jobId === null ? this.staged.takeStore(store) : this.staged.takeJob(store, jobId);
    if (taken.length === 0) return;
    this.rearm();
    try {
      await this.storeOf(store).releaseRuns!(taken.flatMap((s) => s.released()));
      for (const submission of taken) submission.over = true;
    } catch (err) {
      for (const submission of taken) this.staged.add(submission.firstRunTime, submission);
      this.rearm();
      throw err;
    }
  }

  /** A job modified without a new schedule: its staged runs run the new version. */
  private replaceStaged(store: string, job: JobSpec): void {
    if (this.staged.earliest === Infinity) return;
    // Taken out and staged again, so StagedRuns learns of a change of executor.
    for (const submission of this.staged.takeJob(store, job.id)) {
      submission.replaceJob(job);
      this.staged.add(submission.firstRunTime, submission);
    }
  }

  private storeError(store: string, err: unknown, jobId?: string): void {
    const error = toError(err);
    this.emit(this.event<JobStoreErrorEvent>('jobstore_error', jobId === undefined ? { store, error } : { store, error, jobId }));
    this.logger.warn(`Job store '${store}' failed: ${error.message}`);
  }

  private storeContext(alias: string): StoreContext {
    return {
      alias,
      instanceId: this.instanceId,
      wakeUp: () => this.wake(),
      emit: (event) => {
        if (event.type === 'jobstore_error' && event.jobId !== undefined && (event as JobStoreErrorEvent).error instanceof UnplannableJobError) {
          this.reportedTriggers.add(`${alias}\u0000${event.jobId}`);
        }
        this.emit(event);
      },
      submit: (job, runs) => this.rerun(alias, job, runs),
      warn: (message) => this.logger.warn(message),
    };
  }

  // ---- events ----------------------------------------------------------------------------

  private event<E extends SchedulerEvent = SchedulerEvent>(
    type: SchedulerEventType,
    fields: Partial<Omit<E, 'type' | 'timestamp' | 'instanceId'>> = {},
  ): E {
    return { type, timestamp: new Date(), instanceId: this.instanceId, ...fields } as E;
  }

  private emit(event: SchedulerEvent): void {
    if (!this.interest.wants(event.type)) return;
    try {
      this.subject.next(event);
    } catch (err) {
      this.logger.error(`Emitting '${event.type}' failed: ${toError(err).message}`);
    }
  }
}

/** The store a job is added to; a spec that cannot be read is refused by prepareJob right after. */
function storeAliasOf(spec: AddJobSpec): string {
  try {
    const store = (spec as { store?: unknown } | null)?.store;
    return typeof store === 'string' ? store : 'default';
  } catch {
    return 'default';
  }
}

/** For an upserted job whose trigger did not change: the stored schedule to keep. */
function keepSchedule(prepared: PreparedJob, existing: JobSpec): Partial<JobSpec> | null {
  if (prepared.sameSchedule?.(existing.trigger)) return { trigger: existing.trigger, nextRunTime: existing.nextRunTime };
  return null;
}


/**
 * The logger, made safe to call: the scheduler logs exactly where it cannot throw to a caller (a
 * failed pass, a throwing subscriber), so a logger that throws must not take the loop down.
 */
function neverThrowing(logger: SchedulerLogger): SchedulerLogger {
  const guard = (call: () => void) => {
    try {
      call();
    } catch {
      // Nowhere left to report it.
    }
  };
  return {
    log: (message) => guard(() => logger.log(message)),
    warn: (message) => guard(() => logger.warn(message)),
    error: (message, trace) => guard(() => logger.error(message, trace)),
  };
}

const consoleLogger: SchedulerLogger = {
  log: (message) => console.log(`[Scheduler] ${message}`),
  warn: (message) => console.warn(`[Scheduler] ${message}`),
  error: (message, trace) => console.error(`[Scheduler] ${message}${trace ? `\n${trace}` : ''}`),
};

export type { JobHandlerFunction };
