import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Observable } from 'rxjs';
import { AsyncExecutor } from '../executors/async.executor.js';
import type { Executor } from '../executors/executor.js';
import type { AddJobSpec, JobChanges, JobDefaults } from './jobs/job-options.js';
import { MemoryJobStore } from '../stores/memory.job-store.js';
import type { ClusterInstance, JobStore, StoreContext } from '../stores/job-store.js';
import { createTrigger } from '../triggers/create-trigger.js';
import { assertFiresFrom } from '../triggers/fire-time.js';
import { processTimezone } from '../triggers/timezone.js';
import type { TriggerSpec } from '../triggers/trigger.js';
import { settlesWithin } from '../utils/settles-within.js';
import { toError } from '../utils/thrown-value.js';
import {
  ExecutorLookupError,
  InvalidJobOptionError,
  JobLookupError,
  SchedulerAlreadyRunningError,
  SchedulerError,
  SchedulerNotRunningError,
  StoreLookupError,
  UnplannableJobError,
} from './errors.js';
import { EventBus } from './events/event-bus.js';
import { SchedulerEventLogger } from './events/event-logger.js';
import { ofType } from './events/of-type.js';
import type { JobRetryScheduledEvent } from './events/scheduler-events.js';
import type {
  JobErrorEvent,
  JobExecutedEvent,
  JobMissedEvent,
  JobStoreErrorEvent,
  JobSubmittedEvent,
  SchedulerEvent,
} from './events/scheduler-events.js';
import { HandlerRegistry } from './jobs/handler-registry.js';
import { copyJob, type Job } from './jobs/job.js';
import { prepareChanges } from './jobs/job-preparation.js';
import { JobCatalog } from './jobs/job-catalog.js';
import { TriggerCache } from './jobs/trigger-cache.js';
import { SchedulingLoop } from './loop/scheduling-loop.js';
import { DeferredWork } from './runs/deferred-work.js';
import type { ExecutionPage, ExecutionQuery, JobExecution } from './runs/execution.js';
import { jobMatches, pageOf, readJobQuery, type JobPage, type JobQuery, type StoreJobPage } from './jobs/job-query.js';
import { MAX_COUNTED_EXECUTIONS, readExecutionQuery } from './runs/execution-query.js';
import { OutcomeWriter } from './runs/outcome-writer.js';
import { RunDispatcher } from './runs/run-dispatcher.js';
import { placementError } from './runs/isolated-call.js';
import { consoleLogger, neverThrowing, type SchedulerLogger } from './scheduler-logger.js';
import { StoreHealthRecorder, type StoreHealth } from './store-health.js';
import { DEFAULT_CLAIM_AHEAD, DEFAULT_JOB_DEFAULTS, readSchedulerOptions, type SchedulerOptions } from './scheduler-options.js';

/** @publicApi */
export type SchedulerState = 'stopped' | 'running' | 'paused';

/**
 * What a health check needs to know, read without I/O (Scheduler.health()): the state, what the
 * loop is doing, each store's failures and heartbeat, each executor's load. Facts, not a verdict:
 * SchedulerHealthIndicator (nestjs-apscheduler/admin) applies the rules.
 * @publicApi
 */
export interface SchedulerHealth {
  state: SchedulerState;
  /** start() is under way (stores starting, pending jobs being stored). */
  starting: boolean;
  instanceId: string;
  /** ms: the longest the loop sleeps with a shared store. */
  pollInterval: number;
  loop: {
    /** The pass under way started then; null when none runs. */
    passStartedAt: Date | null;
    /** The last pass ended then; null before the first. */
    lastPassAt: Date | null;
    /** The next pass is planned for then; null when none is (nothing due, stopped, paused, or a pass runs). */
    nextPassAt: Date | null;
  };
  stores: StoreHealth[];
  executors: { alias: string; running: number; queued: number; maxConcurrency: number }[];
}

/**
 * APScheduler's scheduler, framework-free: triggers decide when, stores keep what, executors decide
 * how. This class is the facade, as APScheduler's BaseScheduler is: the lifecycle, the job
 * operations, the stores and executors by alias, and the events. What happens in between lives in
 * three rooms: jobs/ (checking and preparing what a caller gives), loop/ (the one timer and the
 * pass that claims and plans; SchedulingLoop) and runs/ (a claimed run staged, handed to its
 * executor and recorded; RunDispatcher, Submission, OutcomeWriter). See docs/ARCHITECTURE.md.
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

  private readonly bus: EventBus;
  private readonly stores = new Map<string, JobStore>();
  private readonly executors = new Map<string, Executor>();
  private readonly triggers: TriggerCache;
  private readonly logger: SchedulerLogger;
  private readonly storeHealth = new StoreHealthRecorder();
  private readonly shutdownTimeout: number;
  private readonly jobs: JobCatalog;
  private readonly deferred: DeferredWork;
  private readonly outcomes: OutcomeWriter;
  private readonly dispatcher: RunDispatcher;
  private readonly loop: SchedulingLoop;
  private current: SchedulerState = 'stopped';
  /** The start() under way, if any. */
  private startup: Promise<void> | null = null;

  constructor(input: SchedulerOptions = {}) {
    const options = readSchedulerOptions(input);
    this.instanceId = options.instanceId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.registry = options.registry ?? new HandlerRegistry();
    this.timezone = options.timezone ?? processTimezone();
    this.jobDefaults = { ...DEFAULT_JOB_DEFAULTS, ...options.jobDefaults };
    this.shutdownTimeout = options.shutdownTimeout ?? 10_000;
    const logger = neverThrowing(options.logger ?? consoleLogger);
    this.logger = logger;
    this.triggers = new TriggerCache(() => this.timezone);
    for (const [alias, store] of Object.entries(options.stores ?? { default: new MemoryJobStore() })) {
      this.stores.set(alias, store);
    }
    for (const [alias, executor] of Object.entries(options.executors ?? { default: new AsyncExecutor() })) {
      this.executors.set(alias, executor);
      this.registerHandlersOf(executor);
    }
    this.bus = new EventBus(this.instanceId, logger);
    this.events$ = this.bus.events$;
    this.executed$ = this.events$.pipe(ofType('job_executed'));
    this.error$ = this.events$.pipe(ofType('job_error'));
    this.missed$ = this.events$.pipe(ofType('job_missed'));
    // Job errors, misses, lost runs and store failures go to the logger (SchedulerOptions.logging).
    if (options.logging !== false) {
      new SchedulerEventLogger(logger, options.logging === true || options.logging === undefined ? {} : options.logging).attach(
        this.events$,
      );
    }
    this.deferred = new DeferredWork((err) => logger.error(`Recording a run failed: ${toError(err).message}`, toError(err).stack));
    this.outcomes = new OutcomeWriter(
      (alias) => this.stores.get(alias),
      (alias, error) => this.storeError(alias, error),
      (alias) => this.storeHealth.succeeded(alias),
      (alias, retry) => {
        // The loop may be asleep until a time after the retry's: it must wake for it.
        this.loop.wakeFor(retry.at);
        if (!this.bus.wants('job_retry_scheduled')) return;
        this.bus.emit(
          this.bus.event<JobRetryScheduledEvent>('job_retry_scheduled', {
            jobId: retry.jobId,
            store: alias,
            scheduledRunTime: retry.runTime,
            attempt: retry.attempt,
            retryAt: retry.at,
          }),
        );
      },
    );
    const parts = {
      instanceId: this.instanceId,
      stores: this.stores,
      executors: this.executors,
      registry: this.registry,
      triggers: this.triggers,
      outcomes: this.outcomes,
      logger,
      storeError: (alias: string, err: unknown, jobId?: string) => this.storeError(alias, err, jobId),
    };
    this.dispatcher = new RunDispatcher({
      ...parts,
      bus: this.bus,
      deferred: this.deferred,
      storeOf: (alias) => this.storeOf(alias),
      stagedChanged: (at) => this.loop.stagedChanged(at),
      runEnded: () => this.loop.runEnded(),
      instrumentation: options.instrumentation ?? null,
    });
    this.loop = new SchedulingLoop({
      ...parts,
      dispatcher: this.dispatcher,
      pollInterval: options.pollInterval ?? 1000,
      batchSize: options.claimBatchSize ?? 1000,
      claimAhead: options.claimAhead ?? DEFAULT_CLAIM_AHEAD,
      isRunning: () => this.current === 'running',
      storeSucceeded: (alias) => this.storeHealth.succeeded(alias),
    });
    this.jobs = new JobCatalog({
      ...parts,
      bus: this.bus,
      jobDefaults: this.jobDefaults,
      timezone: this.timezone,
      operations: this,
      isStopped: () => this.current === 'stopped',
      storeOf: (alias) => this.storeOf(alias),
      takeBack: (store, jobId) => this.dispatcher.takeBack(store, jobId),
      replaceStaged: (store, job) => this.dispatcher.replaceStaged(store, job),
      wakeFor: (time) => this.loop.wakeFor(time),
    });
  }

  get state(): SchedulerState {
    return this.current;
  }

  /** What a health check needs, read without I/O; see SchedulerHealth. */
  health(): SchedulerHealth {
    const date = (ms: number | null) => (ms === null ? null : new Date(ms));
    const loop = this.loop.status();
    return {
      state: this.current,
      starting: this.startup !== null,
      instanceId: this.instanceId,
      pollInterval: this.loop.pollInterval,
      loop: { passStartedAt: date(loop.passStartedAt), lastPassAt: date(loop.lastPassAt), nextPassAt: date(loop.nextPassAt) },
      stores: [...this.stores].map(([alias, store]) => this.storeHealth.snapshot(alias, store)),
      executors: [...this.executors].map(([alias, e]) => ({
        alias,
        running: e.running,
        queued: e.queued,
        maxConcurrency: e.maxConcurrency ?? Infinity,
      })),
    };
  }

  // ---- lifecycle -------------------------------------------------------------------------

  async start(opts: { paused?: boolean } = {}): Promise<void> {
    if (this.current !== 'stopped') throw new SchedulerAlreadyRunningError();
    this.current = opts.paused ? 'paused' : 'running';
    this.dispatcher.accepting = true;
    const startup = this.startUp();
    this.startup = startup;
    try {
      await startup;
    } finally {
      this.startup = null;
    }
    this.bus.emit(this.bus.event('scheduler_started'));
    if (this.current === 'running') this.loop.wake();
  }

  private async startUp(): Promise<void> {
    // No pass may run until every pending job is in its store: a pass between two upserts would
    // claim a decorated job on the schedule it had before this start.
    this.loop.starting = true;
    const started: [string, JobStore][] = [];
    try {
      for (const [alias, store] of this.stores) {
        await store.start(this.storeContext(alias));
        started.push([alias, store]);
      }
      for (const executor of this.executors.values()) executor.start();
      this.outcomes.reset();
      for (const job of this.jobs.pending.takeAll()) await this.jobs.addToStore(job, new Date());
    } catch (err) {
      this.current = 'stopped';
      this.dispatcher.accepting = false;
      // Release what this start acquired (heartbeats, LISTEN connections, timers) before failing.
      for (const [alias, store] of started.reverse()) await store.shutdown().catch((e: unknown) => this.storeError(alias, e));
      throw err;
    } finally {
      this.loop.starting = false;
    }
  }

  /** Stops the loop; with `wait` lets running jobs finish, aborting ctx.signal after shutdownTimeout. */
  async shutdown(opts: { wait?: boolean } = {}): Promise<void> {
    if (this.startup !== null) {
      // Called while start() is under way: let it finish, so that what it acquires is released
      // below and the events come in their order (scheduler_started, then scheduler_shutdown).
      const started = await this.startup.then(
        () => true,
        () => false,
      );
      if (!started) return;
    }
    if (this.current === 'stopped') throw new SchedulerNotRunningError();
    this.current = 'stopped';
    this.dispatcher.accepting = false;
    await this.loop.stop();
    await this.dispatcher.releaseStaged();
    const drained = Promise.all([...this.executors.values()].map((e) => e.shutdown()));
    // The executors gave up their queued runs as they began to shut down: those go back now, for
    // another replica to run in time, not after the runs in progress end (shutdownTimeout).
    await this.dispatcher.releaseHandedBack();
    if (opts.wait === false || !(await settlesWithin(drained, this.shutdownTimeout))) {
      this.dispatcher.abortActive(new SchedulerError('the scheduler shut down'));
      // Give aborted handlers a moment to settle and record; a handler ignoring its signal is left behind.
      await settlesWithin(drained, Math.min(1000, this.shutdownTimeout));
    }
    await this.deferred.settle();
    await this.dispatcher.releaseHandedBack();
    if (!(await this.outcomes.settle(this.shutdownTimeout))) {
      const unwritten = this.outcomes.abandon();
      this.logger.warn(`${unwritten} execution record(s) could not be written before shutdown`);
    }
    await this.dispatcher.settleWrites();
    for (const [alias, store] of this.stores) {
      await store.shutdown().catch((err) => this.storeError(alias, err));
    }
    this.bus.emit(this.bus.event('scheduler_shutdown'));
  }

  pause(): void {
    if (this.current === 'stopped') throw new SchedulerNotRunningError();
    if (this.current === 'paused') return;
    this.current = 'paused';
    this.loop.rearm();
    this.bus.emit(this.bus.event('scheduler_paused'));
  }

  resume(): void {
    if (this.current === 'stopped') throw new SchedulerNotRunningError();
    if (this.current === 'running') return;
    this.current = 'running';
    this.bus.emit(this.bus.event('scheduler_resumed'));
    // Runs staged before the pause start now (or are missed, past misfireGraceTime).
    this.loop.rearm();
    this.loop.wake();
  }

  // ---- stores and executors ----------------------------------------------------------------

  async addJobStore(store: JobStore, alias: string): Promise<void> {
    if (this.stores.has(alias)) throw new SchedulerError(`A job store with the alias '${alias}' already exists`);
    if (this.current !== 'stopped') await store.start(this.storeContext(alias));
    this.stores.set(alias, store);
    this.bus.emit(this.bus.event('jobstore_added', { store: alias }));
    this.loop.wake();
  }

  async removeJobStore(alias: string): Promise<void> {
    const store = this.storeOf(alias);
    await this.dispatcher.takeBack(alias, null).catch((err) => this.storeError(alias, err));
    this.stores.delete(alias);
    this.storeHealth.forget(alias);
    this.loop.forgetStore(alias);
    this.triggers.forgetStore(alias);
    if (this.current !== 'stopped') await store.shutdown();
    this.bus.emit(this.bus.event('jobstore_removed', { store: alias }));
  }

  addExecutor(executor: Executor, alias: string): void {
    if (this.executors.has(alias)) throw new SchedulerError(`An executor with the alias '${alias}' already exists`);
    this.registerHandlersOf(executor);
    if (this.current !== 'stopped') executor.start();
    this.executors.set(alias, executor);
    this.bus.emit(this.bus.event('executor_added'));
  }

  async removeExecutor(alias: string): Promise<void> {
    const executor = this.executors.get(alias);
    if (!executor) throw new ExecutorLookupError(alias, [...this.executors.keys()]);
    this.executors.delete(alias);
    await executor.shutdown();
    this.bus.emit(this.bus.event('executor_removed'));
  }

  // ---- jobs ------------------------------------------------------------------------------

  async addJob(spec: AddJobSpec): Promise<Job> {
    this.checkPlacement(spec);
    return this.jobs.add(spec, false);
  }

  /**
   * Adds or updates a job declared in code (@ScheduledJob): code wins for trigger and options, but
   * a stored nextRunTime is kept when the trigger did not change, so downtime misfires are seen.
   */
  async upsertJob(spec: AddJobSpec): Promise<Job> {
    this.checkPlacement(spec);
    return this.jobs.add(spec, true);
  }

  async getJob(id: string, store?: string): Promise<Job | null> {
    const pending = this.jobs.findPending(id, store);
    if (pending) return this.jobs.snapshot(pending.job, pending.store, true);
    const found = await this.jobs.lookup(id, store);
    return found && this.jobs.snapshot(found.job, found.store, false);
  }

  async getJobs(filter: { store?: string; pending?: boolean } = {}): Promise<Job[]> {
    if (filter.store !== undefined) this.storeOf(filter.store);
    const jobs: Job[] = [];
    if (filter.pending !== false) {
      for (const p of this.jobs.pending)
        if (filter.store === undefined || p.store === filter.store) jobs.push(this.jobs.snapshot(p.job, p.store, true));
    }
    if (filter.pending !== true && this.current !== 'stopped') {
      for (const [alias, store] of this.stores) {
        if (filter.store !== undefined && alias !== filter.store) continue;
        for (const job of await store.getAllJobs()) jobs.push(this.jobs.snapshot(job, alias, false));
      }
    }
    return jobs;
  }

  /** Prints the jobs per store, like APScheduler's print_jobs. */
  async printJobs(out: (line: string) => void = (line) => console.log(line)): Promise<void> {
    if (this.jobs.pending.size > 0 || this.current === 'stopped') {
      out('Pending jobs:');
      if (this.jobs.pending.size === 0) out('    No pending jobs');
      for (const p of this.jobs.pending) out(`    ${this.jobs.describe(p.job, p.store, true)}`);
    }
    if (this.current === 'stopped') return;
    for (const [alias, store] of this.stores) {
      out(`Jobstore ${alias}:`);
      const jobs = await store.getAllJobs();
      if (jobs.length === 0) out('    No scheduled jobs');
      for (const job of jobs) out(`    ${this.jobs.describe(job, alias, false)}`);
    }
  }

  async modifyJob(id: string, changes: JobChanges, store?: string): Promise<Job> {
    return this.jobs.change(id, store, (job, alias) => {
      const changed = prepareChanges(job, changes, this.jobs.prepareContext(alias));
      this.checkPlacement(changed.job);
      return changed;
    });
  }

  async rescheduleJob(id: string, trigger: TriggerSpec, store?: string): Promise<Job> {
    return this.jobs.change(id, store, (job, alias) => {
      const now = new Date();
      const compiled = createTrigger(trigger, { timezone: this.timezone, now });
      assertFiresFrom(compiled, now);
      const { job: prepared } = prepareChanges(job, {}, this.jobs.prepareContext(alias), compiled);
      return { job: prepared, trigger: compiled, computeNext: true as const };
    });
  }

  async pauseJob(id: string, store?: string): Promise<Job> {
    return this.jobs.change(id, store, (job) => ({ job: copyJob(job, null), computeNext: false as const }));
  }

  async resumeJob(id: string, store?: string): Promise<Job | null> {
    const resumed = await this.jobs.change(id, store, (job) => ({ job, computeNext: true as const }));
    if (resumed.nextRunTime === null && !resumed.pending) {
      await this.removeJob(id, resumed.store);
      return null;
    }
    return resumed;
  }

  async removeJob(id: string, store?: string): Promise<void> {
    const pending = this.jobs.findPending(id, store);
    if (pending) {
      this.jobs.pending.delete(pending);
      return;
    }
    const found = await this.jobs.lookup(id, store);
    if (!found) throw new JobLookupError(id, store);
    await this.dispatcher.takeBack(found.store, id);
    await this.storeOf(found.store).removeJob(id);
    this.triggers.forget(found.store, id);
    this.bus.emit(this.bus.event('job_removed', { jobId: id, store: found.store }));
  }

  async removeAllJobs(store?: string): Promise<void> {
    if (store !== undefined) this.storeOf(store);
    this.jobs.pending.clear(store);
    if (this.current !== 'stopped') {
      for (const [alias, s] of this.stores) {
        if (store !== undefined && alias !== store) continue;
        await this.dispatcher.takeBack(alias, null);
        await s.removeAllJobs();
        this.triggers.forgetStore(alias);
      }
    }
    this.bus.emit(this.bus.event('all_jobs_removed', store === undefined ? {} : { store }));
  }

  /**
   * One extra run now, outside the schedule; the job's nextRunTime is unchanged. Like a fire, it
   * respects maxInstances: when the job already has that many runs going (in any replica sharing
   * the store), the time is recorded as 'max_instances' and job_max_instances is emitted instead.
   */
  async runJobNow(id: string, store?: string): Promise<void> {
    if (this.current === 'stopped') throw new SchedulerNotRunningError();
    const found = await this.jobs.lookup(id, store);
    if (!found) throw new JobLookupError(id, store);
    const now = new Date();
    const target = this.storeOf(found.store);
    const executionId = await this.loop.recovery.startingExtraRun(() => target.startExtraRun(id, now));
    if (executionId === null) {
      // As a fire would be: the store recorded the time as 'max_instances'.
      this.bus.emit(this.bus.event<JobSubmittedEvent>('job_max_instances', { jobId: id, store: found.store, scheduledRunTimes: [now] }));
      return;
    }
    this.dispatcher.submit(found.store, found.job, [{ executionId, runTime: now }]);
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

  // ---- reads that page (the admin API) ---------------------------------------------------

  /**
   * A page of jobs matching `query`, and how many match in all: pending jobs first, then each
   * store's in nextRunTime order (paused last, then by id). One store is paged by the store itself
   * (JobStore.queryJobs: one indexed query); several are merged from their first offset + limit.
   */
  async queryJobs(input: JobQuery = {}): Promise<JobPage> {
    const { store, limit, offset, ...filter } = readJobQuery(input);
    if (store !== undefined) this.storeOf(store);
    const pending: Job[] = [];
    for (const p of this.jobs.pending)
      if ((store === undefined || p.store === store) && jobMatches(p.job, filter)) pending.push(this.jobs.snapshot(p.job, p.store, true));
    const stores = this.current === 'stopped' ? [] : [...this.stores].filter(([alias]) => store === undefined || alias === store);
    if (pending.length === 0 && stores.length === 1) {
      const [alias, target] = stores[0]!;
      const page = await storeJobPage(target, { ...filter, limit, offset });
      return { items: page.items.map((job) => this.jobs.snapshot(job, alias, false)), total: page.total };
    }
    let total = pending.length;
    const found: Job[] = [];
    for (const [alias, target] of stores) {
      const page = await storeJobPage(target, { ...filter, limit: limit + offset, offset: 0 });
      total += page.total;
      for (const job of page.items) found.push(this.jobs.snapshot(job, alias, false));
    }
    const merged = [...pending, ...pageOf(found, limit + offset, 0).items];
    return { items: merged.slice(offset, offset + limit), total };
  }

  /**
   * A page of execution history (getExecutions' order and filters) and how many records match,
   * counted up to MAX_COUNTED_EXECUTIONS per store (totalExact says whether the count stopped there).
   */
  async queryExecutions(input: ExecutionQuery = {}): Promise<ExecutionPage> {
    const query = readExecutionQuery(input);
    const stores = [...this.stores.values()];
    let total = 0;
    let totalExact = true;
    for (const store of stores) {
      const counted = await countExecutions(store, query, MAX_COUNTED_EXECUTIONS);
      total += counted;
      if (counted >= MAX_COUNTED_EXECUTIONS) totalExact = false;
    }
    if (query.limit === 0 || (totalExact && query.offset >= total)) return { items: [], total, totalExact };
    const items = stores.length === 1 ? await stores[0]!.getExecutions(query) : await this.getExecutions(query);
    return { items, total, totalExact };
  }

  /** Each job's execution record with the latest scheduledRunTime, in the order given (null: none yet). */
  async lastExecutions(jobs: readonly { id: string; store: string }[]): Promise<(JobExecution | null)[]> {
    const byStore = new Map<string, string[]>();
    for (const { id, store } of jobs) {
      let ids = byStore.get(store);
      if (!ids) byStore.set(store, (ids = []));
      ids.push(id);
    }
    const found = new Map<string, JobExecution>();
    for (const [alias, ids] of byStore) {
      const store = this.storeOf(alias);
      const last = store.lastExecutions
        ? await store.lastExecutions(ids)
        : (await Promise.all(ids.map((jobId) => store.getExecutions({ jobId, limit: 1 })))).flat();
      for (const execution of last) found.set(`${alias}\0${execution.jobId}`, execution);
    }
    return jobs.map(({ id, store }) => found.get(`${store}\0${id}`) ?? null);
  }

  /**
   * The scheduler processes sharing this one's stores, from the heartbeat rows of the stores that
   * keep them (a TypeOrmJobStore on a shared database); empty when no store does.
   */
  async getInstances(): Promise<ClusterInstance[]> {
    const byId = new Map<string, ClusterInstance>();
    for (const store of this.stores.values()) {
      if (!store.shared || !store.getInstances) continue;
      for (const instance of await store.getInstances()) {
        const known = byId.get(instance.id);
        if (!known || known.lastHeartbeat < instance.lastHeartbeat) byId.set(instance.id, instance);
      }
    }
    return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The aliases of the stores and executors, in the order they were added. */
  get storeAliases(): string[] {
    return [...this.stores.keys()];
  }

  get executorAliases(): string[] {
    return [...this.executors.keys()];
  }

  async pruneExecutions(olderThan: number): Promise<number> {
    if (!(typeof olderThan === 'number' && Number.isFinite(olderThan) && olderThan >= 0)) {
      throw new InvalidJobOptionError('olderThan', olderThan, 'allowed: ms >= 0');
    }
    let deleted = 0;
    for (const store of this.stores.values()) deleted += await store.pruneExecutions(olderThan);
    return deleted;
  }

  /** Handlers an executor brings (a worker executor's `handlers`), registered under their names. */
  private registerHandlersOf(executor: Executor): void {
    const handlers = executor.handlers;
    if (handlers) for (const name of Object.keys(handlers)) this.registry.register(name, handlers[name]);
  }

  /**
   * Refuses a handler its executor cannot run: a function of this process (a decorated method) on
   * a worker executor, or a worker's module file on an in-process one. Anything else wrong with
   * the spec is left to prepareJob, which names it.
   */
  private checkPlacement(spec: { handler?: unknown; executor?: unknown } | null | undefined): void {
    if (typeof spec !== 'object' || spec === null) return;
    let handler: unknown;
    let executor: unknown;
    try {
      ({ handler, executor } = spec);
    } catch {
      return;
    }
    const alias = executor ?? 'default';
    if (typeof alias !== 'string') return;
    let fn: unknown;
    try {
      fn = typeof handler === 'function' ? handler : typeof handler === 'string' ? this.registry.get(handler) : undefined;
    } catch {
      // A registry that fails to answer: the run reports it (HandlerNotFoundError or its error), as before.
      return;
    }
    let name = typeof handler === 'string' ? handler : 'anonymous';
    try {
      if (typeof handler === 'function' && typeof handler.name === 'string' && handler.name !== '') name = handler.name;
    } catch {
      // A function whose name throws keeps 'anonymous'.
    }
    const error = placementError(name, fn, alias, this.executors.get(alias));
    if (error) throw error;
  }

  private storeOf(alias: string): JobStore {
    const store = this.stores.get(alias);
    if (!store) throw new StoreLookupError(alias, [...this.stores.keys()]);
    return store;
  }

  private storeError(store: string, err: unknown, jobId?: string): void {
    const error = toError(err);
    // Logged by the event logger (logging), with the store's own jobstore_error events.
    if (jobId === undefined) this.storeHealth.failed(store, error);
    this.bus.emit(this.bus.event<JobStoreErrorEvent>('jobstore_error', jobId === undefined ? { store, error } : { store, error, jobId }));
  }

  private storeContext(alias: string): StoreContext {
    return {
      alias,
      instanceId: this.instanceId,
      wakeUp: () => this.loop.wake(),
      emit: (event) => {
        if (
          event.type === 'jobstore_error' &&
          event.jobId !== undefined &&
          (event as JobStoreErrorEvent).error instanceof UnplannableJobError
        ) {
          this.triggers.markReported(alias, event.jobId);
        }
        if (event.type === 'jobstore_error' && event.jobId === undefined) {
          this.storeHealth.failed(alias, toError((event as JobStoreErrorEvent).error));
        }
        this.bus.emit(event);
      },
      submit: (job, runs) => this.dispatcher.rerun(alias, job, runs),
      warn: (message) => this.logger.warn(message),
      abortRuns: (reason) => this.dispatcher.revokeStore(alias, reason),
      reachable: () => {
        this.loop.storeReachable(alias);
        this.outcomes.storeReachable(alias);
      },
    };
  }
}

/** A store's page of jobs; a store without queryJobs is filtered in memory (correct, but it loads every job). */
async function storeJobPage(store: JobStore, query: Parameters<NonNullable<JobStore['queryJobs']>>[0]): Promise<StoreJobPage> {
  if (store.queryJobs) return store.queryJobs(query);
  const jobs = (await store.getAllJobs()).filter((job) => jobMatches(job, query));
  return pageOf(jobs, query.limit, query.offset);
}

/** How many records a store holds for a query, up to `atMost`; a store without countExecutions is read that far. */
async function countExecutions(store: JobStore, query: ExecutionQuery, atMost: number): Promise<number> {
  if (store.countExecutions) return Math.min(await store.countExecutions(query, atMost), atMost);
  return (await store.getExecutions({ ...query, limit: atMost, offset: 0 })).length;
}
