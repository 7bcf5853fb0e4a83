import { Injectable, Logger, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { Subscription } from 'rxjs';
import { JobLookupError, SchedulerError } from '../core/errors.js';
import { ofType } from '../core/events/of-type.js';
import type { SchedulerEvent, SchedulerEventMap } from '../core/events/scheduler-events.js';
import type { JobContext } from '../core/jobs/job-options.js';
import { JOB_LIMITS } from '../core/jobs/job-validation.js';
import type { ScheduledJobOptions } from '../decorators/scheduled-job.decorator.js';
import { SCHEDULED_JOB_METADATA } from '../scheduler.constants.js';
import { SchedulerService } from '../scheduler.service.js';
import { MemoryJobStore } from '../stores/memory.job-store.js';
import { createTrigger } from '../triggers/create-trigger.js';
import { MAX_INT32, checkName } from '../utils/option-checks.js';
import { toError } from '../utils/thrown-value.js';
import { KIND_LABELS, SCHEDULE_COMPAT_METADATA, type CompatJobMetadata, type CompatKind } from './compat-metadata.js';
import { CronJobRef, type CronJobLike, type CronJobRefHost, type CronTimeLike } from './cron-job-ref.js';
import { cronTimeToTrigger, type CronTimeInput } from './cron-time.js';
import { JobTimerHandle } from './job-timer-handle.js';
import {
  DUPLICATE_SCHEDULER,
  MISSED_RUN,
  NO_SCHEDULER_FOUND,
  REGISTRY_CHANGE_FAILED,
  SHARED_JOB_ID,
  UNKNOWN_CRON_JOB,
} from './schedule-compat.messages.js';

/**
 * The store of the CronJobs given to addCronJob: process memory, whatever the application's stores.
 * Their onTick is a closure of this process, so, as with @nestjs/schedule, they run in the process
 * that added them and end with it. (A job every replica must find is SchedulerService.addJob with a
 * @JobHandler name.)
 */
export const REGISTRY_STORE = 'schedulerRegistry';

/** The members of the `cron` package's CronJob that addCronJob reads; a CronJob of cron 3 or 4 has them. @publicApi */
export interface CronJobInput {
  cronTime: CronTimeLike;
  readonly isActive: boolean;
  waitForCompletion: boolean;
  threshold: number;
  lastExecution: Date | null;
  fireOnTick(): Promise<void> | void;
  start(): void;
  stop(): Promise<void> | undefined | void;
}

/** A CronJob given to addCronJob, now run by the scheduler. */
interface AdoptedCronJob {
  job: CronJobInput;
  ref: CronJobRef;
  /** The CronJob's own stop(): it ends a waitForCompletion wait and calls onComplete, as `cron` does. */
  ownStop: () => unknown;
}

const DECORATORS: Record<CompatKind, string> = { cron: '@Cron', interval: '@Interval', timeout: '@Timeout' };

type WatchedEvent = SchedulerEventMap[
  'scheduler_started' | 'job_added' | 'job_modified' | 'job_removed' | 'job_submitted' | 'job_error' | 'job_missed'];

/**
 * @nestjs/schedule's SchedulerRegistry, with the same methods, names and messages. Decorated
 * @Cron / @Interval / @Timeout methods are jobs in the scheduler's store: getCronJob(name) gives a
 * CronJob-like handle acting on the stored job, getInterval / getTimeout a handle that
 * deleteInterval / deleteTimeout (or clearInterval / clearTimeout) removes. What addInterval and
 * addTimeout take stays the caller's own Node timer, kept by name as @nestjs/schedule keeps it, and
 * addCronJob's CronJob is run by the scheduler in this process's memory.
 *
 * The methods answer at once and change the store in the background, in the order called; a
 * change that fails is logged. `settled()` waits for the changes asked for so far.
 * @publicApi
 */
@Injectable()
export class SchedulerRegistry implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Scheduler');
  private readonly cronJobs = new Map<string, CronJobLike | CronJobInput>();
  private readonly intervals = new Map<string, unknown>();
  private readonly timeouts = new Map<string, unknown>();
  /** Decorated jobs by id: their kind and registry name. */
  private readonly declared = new Map<string, { kind: CompatKind; name: string; ref?: CronJobRef }>();
  /** addCronJob's jobs, by name (their id in REGISTRY_STORE). */
  private readonly adopted = new Map<string, AdoptedCronJob>();
  private readonly host: CronJobRefHost;
  private work: Promise<void> = Promise.resolve();
  private registryStore: Promise<void> | null = null;
  private subscription: Subscription | undefined;

  constructor(
    private readonly scheduler: SchedulerService,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {
    this.host = { scheduler, enqueue: (what, op) => this.enqueue(what, op) };
  }

  onModuleInit(): void {
    this.discover();
    const watched = ofType('scheduler_started', 'job_added', 'job_modified', 'job_removed', 'job_submitted', 'job_error', 'job_missed');
    this.subscription = this.scheduler.events$.pipe(watched).subscribe((event) => this.onEvent(event));
  }

  /**
   * As @nestjs/schedule at shutdown: the timers given to addInterval / addTimeout are cleared, the
   * CronJobs given to addCronJob stopped, and the registry emptied. Decorated jobs stay in the
   * store: with a persistent store they are still there at the next start.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.work;
    this.subscription?.unsubscribe();
    for (const timer of this.intervals.values()) if (!(timer instanceof JobTimerHandle)) clearInterval(timer as NodeJS.Timeout);
    for (const timer of this.timeouts.values()) if (!(timer instanceof JobTimerHandle)) clearTimeout(timer as NodeJS.Timeout);
    for (const { ownStop } of this.adopted.values()) ownStop();
    this.intervals.clear();
    this.timeouts.clear();
    this.cronJobs.clear();
    this.adopted.clear();
    this.declared.clear();
  }

  /** Resolves when the changes asked for so far (start, stop, add, delete…) are in the store. */
  settled(): Promise<void> {
    return this.work;
  }

  doesExist(type: 'cron' | 'timeout' | 'interval', name: string): boolean {
    switch (type) {
      case 'cron':
        return this.cronJobs.has(name);
      case 'interval':
        return this.intervals.has(name);
      case 'timeout':
        return this.timeouts.has(name);
      default:
        return false;
    }
  }

  getCronJob(name: string): CronJobLike {
    const job = this.cronJobs.get(name);
    if (!job) throw new Error(NO_SCHEDULER_FOUND('Cron Job', name));
    return job as CronJobLike;
  }

  // The timers are typed as @nestjs/schedule types them: what was added (a Node timer by default).
  getInterval<T = NodeJS.Timeout>(name: string): T {
    const ref = this.intervals.get(name);
    if (ref === undefined) throw new Error(NO_SCHEDULER_FOUND('Interval', name));
    return ref as T;
  }

  getTimeout<T = NodeJS.Timeout>(name: string): T {
    const ref = this.timeouts.get(name);
    if (ref === undefined) throw new Error(NO_SCHEDULER_FOUND('Timeout', name));
    return ref as T;
  }

  /**
   * Runs a CronJob of the `cron` package in the scheduler, in this process: its cronTime, zone,
   * waitForCompletion and threshold become the job's trigger, maxInstances and misfireGraceTime,
   * and each fire calls its fireOnTick() (so onTick, its context, errorHandler and onComplete work as
   * in `cron`). The CronJob's start(), stop(), setTime() and isActive then act on the job, and
   * getCronJob(name) returns the same object. Started before (start: true), it goes on.
   */
  addCronJob(name: string, job: CronJobInput): void {
    if (this.cronJobs.has(name)) throw new Error(DUPLICATE_SCHEDULER('Cron Job', name));
    checkName(
      (field, value, allowed) => new SchedulerError(`addCronJob: ${field} ${String(value)}; ${allowed}`),
      'name',
      name,
      JOB_LIMITS.id,
    );
    const source = (job as { cronTime?: { source?: unknown } } | null)?.cronTime?.source;
    if (source === undefined || typeof job.fireOnTick !== 'function' || typeof job.stop !== 'function') {
      throw new SchedulerError(UNKNOWN_CRON_JOB(name));
    }
    const { timeZone, utcOffset } = job.cronTime;
    const trigger = cronTimeToTrigger(source as CronTimeInput, { timeZone, utcOffset });
    createTrigger(trigger, { timezone: this.scheduler.timezone });
    const wasActive = job.isActive === true;
    if (wasActive) stopOwnTimer(job);
    const ref = new CronJobRef(this.host, {
      id: name,
      store: REGISTRY_STORE,
      name,
      trigger,
      active: wasActive,
      waitForCompletion: job.waitForCompletion === true,
      runOnce: typeof source !== 'string',
    });
    const ownStop = job.stop.bind(job);
    adopt(job, ref, ownStop);
    this.cronJobs.set(name, job);
    this.adopted.set(name, { job, ref, ownStop });
    const threshold = typeof job.threshold === 'number' && Number.isFinite(job.threshold) ? Math.round(Math.abs(job.threshold)) : undefined;
    void this.enqueue(`addCronJob('${name}')`, async () => {
      await this.ensureRegistryStore();
      await this.scheduler.addJob({
        id: name,
        name,
        store: REGISTRY_STORE,
        handler: (ctx: JobContext) => {
          job.lastExecution = ctx.scheduledRunTime;
          return job.fireOnTick();
        },
        trigger,
        maxInstances: job.waitForCompletion === true ? 1 : MAX_INT32,
        ...(threshold !== undefined ? { misfireGraceTime: threshold } : {}),
        replaceExisting: true,
        ...(wasActive ? {} : { nextRunTime: null }),
      });
    });
  }

  addInterval<T = NodeJS.Timeout>(name: string, intervalId: T): void {
    if (this.intervals.get(name)) throw new Error(DUPLICATE_SCHEDULER('Interval', name));
    this.intervals.set(name, intervalId);
  }

  addTimeout<T = NodeJS.Timeout>(name: string, timeoutId: T): void {
    if (this.timeouts.get(name)) throw new Error(DUPLICATE_SCHEDULER('Timeout', name));
    this.timeouts.set(name, timeoutId);
  }

  getCronJobs(): Map<string, CronJobLike> {
    return new Map(this.cronJobs as Map<string, CronJobLike>);
  }

  /** Stops the job and forgets it: a decorated job is removed from the store (the next bootstrap adds it again). */
  deleteCronJob(name: string): void {
    this.getCronJob(name);
    this.cronJobs.delete(name);
    const adopted = this.adopted.get(name);
    if (adopted) {
      this.adopted.delete(name);
      adopted.ownStop();
      void this.removeStored(`deleteCronJob('${name}')`, name, REGISTRY_STORE);
      return;
    }
    for (const [id, entry] of this.declared) {
      if (entry.kind !== 'cron' || entry.name !== name) continue;
      this.declared.delete(id);
      entry.ref?.sync(null);
      void this.removeStored(`deleteCronJob('${name}')`, id);
    }
  }

  getIntervals(): string[] {
    return [...this.intervals.keys()];
  }

  deleteInterval(name: string): void {
    const interval = this.getInterval<unknown>(name);
    if (interval instanceof JobTimerHandle) void interval.clear();
    else clearInterval(interval as NodeJS.Timeout);
    this.intervals.delete(name);
  }

  getTimeouts(): string[] {
    return [...this.timeouts.keys()];
  }

  deleteTimeout(name: string): void {
    const timeout = this.getTimeout<unknown>(name);
    if (timeout instanceof JobTimerHandle) void timeout.clear();
    else clearTimeout(timeout as NodeJS.Timeout);
    this.timeouts.delete(name);
  }

  /** Finds the decorated jobs, as the scheduler's explorer does, and stands a handle in for each. */
  private discover(): void {
    const ids = new Map<string, { source: string; what: string }>();
    const wrappers: InstanceWrapper[] = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    for (const wrapper of wrappers) {
      const { instance } = wrapper;
      if (!instance || typeof instance !== 'object') continue;
      const proto = Object.getPrototypeOf(instance) as object | null;
      if (!proto) continue;
      const className = String((instance as { constructor?: { name?: string } }).constructor?.name ?? wrapper.name);
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const fn = (instance as Record<string, unknown>)[method];
        if (typeof fn !== 'function') continue;
        const job = this.reflector.get<ScheduledJobOptions | undefined>(SCHEDULED_JOB_METADATA, fn);
        if (!job) continue;
        const meta = this.reflector.get<CompatJobMetadata | undefined>(SCHEDULE_COMPAT_METADATA, fn);
        const source = `${className}.${method}`;
        const id = job.id ?? source;
        const what = `${meta ? DECORATORS[meta.kind] : '@ScheduledJob'} on ${source}`;
        const seen = ids.get(id);
        if (seen) {
          // The same provider listed twice is the same job; two methods under one name are not.
          if (seen.source === source) continue;
          const sameKind = meta && this.declared.get(id)?.kind === meta.kind;
          throw new Error(sameKind ? DUPLICATE_SCHEDULER(KIND_LABELS[meta.kind], id) : SHARED_JOB_ID(id, seen.what, what));
        }
        ids.set(id, { source, what });
        if (meta) this.declare(meta, id);
      }
    }
  }

  private declare(meta: CompatJobMetadata, id: string): void {
    const name = meta.name ?? id;
    if (meta.kind === 'cron') {
      const ref = new CronJobRef(this.host, {
        id,
        name,
        trigger: meta.trigger,
        active: !meta.disabled,
        waitForCompletion: meta.waitForCompletion,
        runOnce: meta.runOnce,
      });
      this.cronJobs.set(name, ref);
      this.declared.set(id, { kind: 'cron', name, ref });
      return;
    }
    const handle = new JobTimerHandle(meta.kind, name, id, () => this.removeStored(`clearing ${meta.kind} '${name}'`, id));
    (meta.kind === 'interval' ? this.intervals : this.timeouts).set(name, handle);
    this.declared.set(id, { kind: meta.kind, name });
  }

  private onEvent(event: WatchedEvent): void {
    if (event.type === 'scheduler_started') {
      for (const ref of this.refs()) void this.enqueue(`reading cron job '${ref.name}'`, () => ref.refresh());
      return;
    }
    const { jobId } = event as SchedulerEvent;
    if (jobId === undefined) return;
    const adopted = event.store === REGISTRY_STORE ? this.adopted.get(jobId) : undefined;
    const declared = event.store === REGISTRY_STORE ? undefined : this.declared.get(jobId);
    const ref = adopted?.ref ?? declared?.ref;
    if (!adopted && !declared) return;
    switch (event.type) {
      case 'job_added':
      case 'job_modified':
      case 'job_removed':
        if (ref) void this.enqueue(`reading cron job '${ref.name}'`, () => ref.refresh());
        return;
      case 'job_submitted': {
        const times = (event as SchedulerEventMap['job_submitted']).scheduledRunTimes;
        if (ref && times.length > 0) ref.ran(times[times.length - 1]);
        return;
      }
      case 'job_error':
        // As @nestjs/schedule's wrapper logs what a decorated method throws.
        if (declared) this.logger.error((event as SchedulerEventMap['job_error']).error);
        return;
      case 'job_missed': {
        const name = declared?.name ?? jobId;
        const kind = KIND_LABELS[declared?.kind ?? 'cron'].toLowerCase();
        this.logger.warn(MISSED_RUN(kind, name, (event as SchedulerEventMap['job_missed']).scheduledRunTime));
        return;
      }
    }
  }

  private *refs(): Iterable<CronJobRef> {
    for (const entry of this.declared.values()) if (entry.ref) yield entry.ref;
    for (const entry of this.adopted.values()) yield entry.ref;
  }

  private removeStored(what: string, id: string, store?: string): Promise<void> {
    return this.enqueue(what, async () => {
      try {
        await this.scheduler.removeJob(id, store);
      } catch (error) {
        if (!(error instanceof JobLookupError)) throw error;
      }
    });
  }

  private ensureRegistryStore(): Promise<void> {
    this.registryStore ??= this.scheduler.addJobStore(new MemoryJobStore(), REGISTRY_STORE);
    return this.registryStore;
  }

  private enqueue(what: string, op: () => Promise<unknown>): Promise<void> {
    const run = this.work.then(op).then(
      () => undefined,
      (error: unknown) => this.logger.error(REGISTRY_CHANGE_FAILED(what, toError(error).message)),
    );
    this.work = run;
    return run;
  }
}

/**
 * Ends the timer a started CronJob runs itself, without its stop() (which would call onComplete):
 * the scheduler runs it from now on. cron 3 and 4 keep the timer in _timeout.
 */
function stopOwnTimer(job: CronJobInput): void {
  const own = job as unknown as { _timeout?: NodeJS.Timeout; _isActive?: boolean };
  if ('_timeout' in own) {
    clearTimeout(own._timeout);
    own._isActive = false;
  } else {
    void job.stop();
  }
}

/** Makes a CronJob's own start/stop/setTime/isActive act on its job in the scheduler. */
function adopt(job: CronJobInput, ref: CronJobRef, ownStop: () => unknown): void {
  Object.defineProperties(job, {
    isActive: { get: () => ref.isActive, configurable: true },
    start: { value: () => ref.start(), configurable: true, writable: true },
    stop: {
      value: () => Promise.all([ref.stop(), ownStop()]).then(() => undefined),
      configurable: true,
      writable: true,
    },
    setTime: {
      value: (time: CronTimeLike) => {
        ref.setTime(time);
        job.cronTime = time;
      },
      configurable: true,
      writable: true,
    },
  });
}
