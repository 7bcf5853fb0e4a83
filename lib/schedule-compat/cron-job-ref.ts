import { DateTime } from 'luxon';
import { JobLookupError, SchedulerError } from '../core/errors.js';
import type { Job } from '../core/jobs/job.js';
import type { Scheduler } from '../core/scheduler.js';
import { createTrigger } from '../triggers/create-trigger.js';
import type { Trigger, TriggerSpec } from '../triggers/trigger.js';
import { cronTimeToTrigger, type CronTimeInput } from './cron-time.js';

/** A `cron` CronTime as setTime() reads it: its source and zone. @publicApi */
export interface CronTimeLike {
  source: CronTimeInput;
  timeZone?: string | null;
  utcOffset?: number | null;
}

/**
 * What SchedulerRegistry.getCronJob() returns: the members of the `cron` package's CronJob that
 * @nestjs/schedule's documentation shows (start, stop, setTime, lastDate, nextDate, nextDates,
 * isActive), acting on the job in the scheduler's store. start/stop/setTime change the stored job,
 * so they hold for every replica sharing the store and across restarts (a decorated job's trigger
 * and options return to the code's at the next bootstrap; a stop is kept until start()).
 * @publicApi
 */
export interface CronJobLike {
  readonly name?: string;
  /** Whether the job is scheduled (not stopped), as this process last saw it. */
  readonly isActive: boolean;
  readonly waitForCompletion: boolean;
  /** When this process last ran the job: its scheduled time. null until then. */
  readonly lastExecution: Date | null;
  start(): void;
  /** Resolves when the stop is stored. */
  stop(): Promise<void> | undefined;
  setTime(time: CronTimeLike): void;
  lastDate(): Date | null;
  /** The next fire time of the schedule after now, as `cron` gives it (also while stopped). */
  nextDate(): DateTime;
  /** The next `count` fire times (default 0: none, as in `cron`). */
  nextDates(count?: number): DateTime[];
  /** One run now, outside the schedule (runJobNow: respects waitForCompletion). */
  fireOnTick(): Promise<void>;
}

/** What a CronJobRef needs from the registry that made it. */
export interface CronJobRefHost {
  readonly scheduler: Scheduler;
  /** Runs `op` after every change asked for before it; a failure is logged, never thrown. */
  enqueue(what: string, op: () => Promise<unknown>): Promise<void>;
}

export interface CronJobRefInit {
  id: string;
  /** Undefined: wherever the scheduler finds the id. */
  store?: string;
  name?: string;
  trigger: TriggerSpec;
  active: boolean;
  waitForCompletion: boolean;
  runOnce: boolean;
}

/**
 * The CronJob-like handle of one stored job. `isActive` and `lastDate()` are answered at once, as
 * `cron` does: from what this process did and saw (its own changes, the job's events here, and
 * the store when the scheduler starts). Changes are stored in the order they are asked for.
 */
export class CronJobRef implements CronJobLike {
  readonly id: string;
  readonly store: string | undefined;
  readonly name?: string;
  readonly waitForCompletion: boolean;
  readonly runOnce: boolean;
  lastExecution: Date | null = null;
  private active: boolean;
  private spec: TriggerSpec;
  private compiled: Trigger | undefined;

  constructor(
    private readonly host: CronJobRefHost,
    init: CronJobRefInit,
  ) {
    this.id = init.id;
    this.store = init.store;
    this.name = init.name ?? init.id;
    this.spec = init.trigger;
    this.active = init.active;
    this.waitForCompletion = init.waitForCompletion;
    this.runOnce = init.runOnce;
    Object.defineProperty(this, 'host', { enumerable: false });
  }

  get isActive(): boolean {
    return this.active;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    void this.host.enqueue(`start() of cron job '${this.name}'`, () => this.host.scheduler.resumeJob(this.id, this.store));
  }

  stop(): Promise<void> {
    this.active = false;
    return this.host.enqueue(`stop() of cron job '${this.name}'`, () => this.host.scheduler.pauseJob(this.id, this.store));
  }

  /** Reschedules the stored job on the CronTime's source and zone; a stopped job stays stopped. */
  setTime(time: CronTimeLike): void {
    if (typeof time !== 'object' || time === null || !('source' in time)) {
      throw new SchedulerError('setTime() takes a CronTime of the cron package (new CronTime(expression, timeZone))');
    }
    const spec = cronTimeToTrigger(time.source, { timeZone: time.timeZone, utcOffset: time.utcOffset });
    const compiled = this.compile(spec);
    this.spec = spec;
    this.compiled = compiled;
    void this.host.enqueue(`setTime() of cron job '${this.name}'`, async () => {
      await this.host.scheduler.rescheduleJob(this.id, spec, this.store);
      if (!this.active) await this.host.scheduler.pauseJob(this.id, this.store);
    });
  }

  lastDate(): Date | null {
    return this.lastExecution;
  }

  nextDate(): DateTime {
    return this.nextDates(1)[0];
  }

  /** The next `count` fire times; as in `cron`, none when count is left out. */
  nextDates(count = 0): DateTime[] {
    if (count <= 0) return [];
    const trigger = this.trigger();
    const zone = 'timezone' in trigger && typeof trigger.timezone === 'string' ? trigger.timezone : this.host.scheduler.timezone;
    const now = new Date();
    const dates: DateTime[] = [];
    let previous: Date | null = null;
    while (dates.length < count) {
      const next = trigger.getNextFireTime(previous, now);
      if (next === null || next.getTime() < now.getTime()) {
        if (dates.length === 0) throw new SchedulerError(`Cron job '${this.name}' has no fire time after now`);
        break;
      }
      dates.push(DateTime.fromJSDate(next, { zone }));
      previous = next;
    }
    return dates;
  }

  fireOnTick(): Promise<void> {
    return this.host.enqueue(`fireOnTick() of cron job '${this.name}'`, () => this.host.scheduler.runJobNow(this.id, this.store));
  }

  /** The stored job as read from the store (null: not there), for isActive. */
  sync(job: Job | null): void {
    this.active = job !== null && job.nextRunTime !== null;
  }

  /** A run of the job started in this process. */
  ran(scheduledRunTime: Date): void {
    this.lastExecution = scheduledRunTime;
    if (this.runOnce) this.active = false;
  }

  /** Reads the stored job, and forgets it when it is gone. */
  async refresh(): Promise<void> {
    try {
      this.sync(await this.host.scheduler.getJob(this.id, this.store));
    } catch (error) {
      if (!(error instanceof JobLookupError)) throw error;
      this.sync(null);
    }
  }

  private trigger(): Trigger {
    this.compiled ??= this.compile(this.spec);
    return this.compiled;
  }

  private compile(spec: TriggerSpec): Trigger {
    return createTrigger(spec, { timezone: this.host.scheduler.timezone });
  }
}
