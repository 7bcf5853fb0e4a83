import type { Executor } from '../../executors/executor.js';
import type { JobStore } from '../../stores/job-store.js';
import { firstFireTime } from '../../triggers/fire-time.js';
import type { Trigger } from '../../triggers/trigger.js';
import { toError } from '../../utils/thrown-value.js';
import {
  ConflictingIdError,
  ExecutorLookupError,
  HandlerNotFoundError,
  InvalidJobOptionError,
  JobLookupError,
  UnplannableJobError,
} from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import type { HandlerRegistry } from './handler-registry.js';
import { Job, copyJob, type JobOperations, type JobSpec } from './job.js';
import type { AddJobSpec, JobDefaults } from './job-options.js';
import { prepareJob, type PrepareContext, type PreparedJob } from './job-preparation.js';
import { PendingJobs, type PendingJob } from './pending-jobs.js';
import { triggerJson, type TriggerCache } from './trigger-cache.js';

/** What the catalog needs from the scheduler around it. */
export interface JobCatalogDeps {
  readonly stores: ReadonlyMap<string, JobStore>;
  readonly executors: ReadonlyMap<string, Executor>;
  readonly registry: HandlerRegistry;
  readonly triggers: TriggerCache;
  readonly bus: EventBus;
  readonly jobDefaults: JobDefaults;
  readonly timezone: string;
  /** What a Job snapshot's handles call: the scheduler. */
  readonly operations: JobOperations;
  isStopped(): boolean;
  storeOf(alias: string): JobStore;
  /** Takes back the staged runs of a job (or a whole store) about to change (RunDispatcher.takeBack). */
  takeBack(store: string, jobId: string | null): Promise<void>;
  /** A job changed without a new schedule: its staged runs run the new version. */
  replaceStaged(store: string, job: JobSpec): void;
  /** A job now due at `time`: the loop may have to pass sooner. */
  wakeFor(time: Date | null): void;
  storeError(alias: string, err: unknown, jobId?: string): void;
}

/**
 * Where the scheduler's job operations find and write jobs: the pending jobs of a stopped
 * scheduler (written to their stores by start()) and the jobs of every store by alias. A job is
 * checked and prepared (job-preparation.ts) before anything is written, and a run claimed ahead
 * under a job's old schedule is taken back before the new one is stored.
 */
export class JobCatalog {
  /** Jobs added while the scheduler is stopped. */
  readonly pending = new PendingJobs();

  constructor(private readonly deps: JobCatalogDeps) {}

  async add(spec: AddJobSpec, upsert: boolean): Promise<Job> {
    const alias = storeAliasOf(spec);
    const prepared = prepareJob(spec, this.prepareContext(alias), upsert);
    if (typeof prepared.job.handler === 'string' && !this.deps.registry.has(prepared.job.handler)) {
      throw new HandlerNotFoundError(prepared.job.handler);
    }
    if (this.deps.isStopped()) {
      const existing = this.findPending(prepared.job.id, alias);
      if (existing && !prepared.replaceExisting && !upsert) throw new ConflictingIdError(prepared.job.id);
      if (existing) this.pending.delete(existing);
      this.pending.add({ ...prepared, store: alias });
      return this.snapshot(prepared.job, alias, true);
    }
    const job = await this.addToStore({ ...prepared, store: alias }, new Date());
    return this.snapshot(job, alias, false);
  }

  async addToStore(prepared: PendingJob, now: Date): Promise<JobSpec> {
    const store = this.deps.storeOf(prepared.store);
    const job = copyJob(prepared.job);
    if (prepared.computeNext) job.nextRunTime = firstFireTime(prepared.trigger!, now);
    if (prepared.upsert) {
      const existing = await store.lookupJob(job.id);
      if (existing) {
        const kept = keepSchedule(prepared, existing);
        if (kept) Object.assign(job, kept);
        else await this.deps.takeBack(prepared.store, job.id);
        await store.updateJob(job);
        if (kept) this.deps.replaceStaged(prepared.store, job);
        this.deps.bus.emit(this.deps.bus.event('job_modified', { jobId: job.id, store: prepared.store }));
        this.deps.wakeFor(job.nextRunTime);
        return job;
      }
    }
    try {
      await store.addJob(job);
    } catch (err) {
      if (!(err instanceof ConflictingIdError && prepared.replaceExisting)) throw err;
      await this.deps.takeBack(prepared.store, job.id);
      await store.updateJob(job);
    }
    this.deps.bus.emit(this.deps.bus.event('job_added', { jobId: job.id, store: prepared.store }));
    this.deps.wakeFor(job.nextRunTime);
    return job;
  }

  async change(
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
    if (result.computeNext !== 'keep') await this.deps.takeBack(found.store, id);
    if (result.computeNext === true) {
      const trigger = result.trigger ?? this.deps.triggers.get(found.store, id, job.trigger);
      job.nextRunTime = firstFireTime(trigger, new Date());
    }
    await this.deps.storeOf(found.store).updateJob(job);
    this.deps.triggers.clearReported(found.store, id);
    if (result.computeNext === 'keep') this.deps.replaceStaged(found.store, job);
    this.deps.bus.emit(this.deps.bus.event('job_modified', { jobId: id, store: found.store }));
    this.deps.wakeFor(job.nextRunTime);
    return this.snapshot(job, found.store, false);
  }

  prepareContext(alias: string): PrepareContext {
    const store = this.deps.storeOf(alias);
    return {
      persistent: store.persistent,
      jsonArgs: store.persistent || store.allowsNonJsonArgs !== true,
      defaults: this.deps.jobDefaults,
      timezone: this.deps.timezone,
      hasExecutor: (name: string) => {
        if (!this.deps.executors.has(name)) throw new ExecutorLookupError(name, [...this.deps.executors.keys()]);
      },
      hasHandler: (name: string) => {
        if (!this.deps.registry.has(name)) throw new HandlerNotFoundError(name);
      },
      canRetry: (policy) => {
        if (policy === null || store.supportsRetries === true) return;
        throw new InvalidJobOptionError(
          'retry',
          policy,
          `allowed: null, since the store '${alias}' cannot keep retries (its JobStore does not declare supportsRetries); set retry: null on the job or use a store that does`,
        );
      },
    };
  }

  findPending(id: string, store?: string): PendingJob | undefined {
    return this.pending.find(id, store, this.deps.stores.keys());
  }

  async lookup(id: string, store?: string): Promise<{ job: JobSpec; store: string } | null> {
    if (this.deps.isStopped()) {
      if (store !== undefined) this.deps.storeOf(store);
      return null;
    }
    const aliases = store === undefined ? [...this.deps.stores.keys()] : [(this.deps.storeOf(store), store)];
    for (const alias of aliases) {
      const job = await this.deps.stores.get(alias)!.lookupJob(id);
      if (job) return { job, store: alias };
    }
    return null;
  }

  snapshot(job: JobSpec, store: string, pending: boolean): Job {
    if (!pending) this.checkStoredTrigger(store, job);
    return new Job(job, store, pending, this.deps.operations);
  }

  /**
   * A stored job read back (getJob, getJobs) whose trigger cannot be compiled (a row edited by
   * hand): reported once with jobstore_error. A due one is reported by its claim; a paused one
   * would otherwise never be.
   */
  private checkStoredTrigger(store: string, job: JobSpec): void {
    try {
      this.deps.triggers.get(store, job.id, job.trigger);
    } catch (error) {
      if (!this.deps.triggers.markReported(store, job.id)) return;
      this.deps.storeError(store, new UnplannableJobError(job.id, toError(error).message, { cause: error }), job.id);
    }
  }

  describe(job: JobSpec, store: string, pending: boolean): string {
    let trigger: string;
    try {
      trigger = this.deps.triggers.get(store, job.id, job.trigger).toString();
    } catch {
      trigger = triggerJson(job.trigger);
    }
    const when = pending ? 'pending' : job.nextRunTime ? `next run at: ${job.nextRunTime.toISOString()}` : 'paused';
    return `${job.name} (trigger: ${trigger}, ${when})`;
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
