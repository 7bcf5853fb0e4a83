import type { Observable, Subscription } from 'rxjs';
import type { SchedulerLogger } from '../scheduler-logger.js';
import { ofType } from './of-type.js';
import type {
  JobErrorEvent,
  JobExecutedEvent,
  JobLostEvent,
  JobMissedEvent,
  JobStoreErrorEvent,
  JobSubmittedEvent,
  SchedulerEvent,
} from './scheduler-events.js';

/** A level of Nest's Logger. @publicApi */
export type SchedulerLogLevel = 'error' | 'warn' | 'log' | 'debug' | 'verbose';

/** The events the scheduler can log by itself. @publicApi */
export type LoggedEventType = 'job_error' | 'job_missed' | 'job_lost' | 'job_max_instances' | 'jobstore_error' | 'job_executed';

/**
 * What the scheduler logs of its own events (SchedulerOptions.logging). Without it, job errors are
 * logged at 'error', misses, lost runs, skipped runs (maxInstances) and store failures at 'warn',
 * and successes not at all, each kind at most `rateLimit.lines` times per `rateLimit.intervalMs`.
 * @publicApi
 */
export interface SchedulerLoggingOptions {
  /** A level per event type, or false to not log that type. Types left out keep their default. */
  events?: Partial<Record<LoggedEventType, SchedulerLogLevel | false>>;
  /**
   * At most `lines` lines per event type per `intervalMs`; past that, one line at the end of the
   * interval says how many were left out. false logs every event. Default: 20 lines per 10000 ms.
   */
  rateLimit?: false | { lines?: number; intervalMs?: number };
}

export const DEFAULT_LOG_LEVELS: Readonly<Record<LoggedEventType, SchedulerLogLevel | false>> = {
  job_error: 'error',
  job_missed: 'warn',
  job_lost: 'warn',
  job_max_instances: 'warn',
  jobstore_error: 'warn',
  job_executed: false,
};

export const LOGGED_EVENT_TYPES = Object.keys(DEFAULT_LOG_LEVELS) as LoggedEventType[];
export const LOG_LEVELS: readonly SchedulerLogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];
export const DEFAULT_RATE_LIMIT = { lines: 20, intervalMs: 10_000 };

/** Lines of one event type in the current interval. */
interface Window {
  start: number;
  logged: number;
  suppressed: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Logs what went wrong in the scheduler's own events: job errors, misses, lost runs, skipped runs
 * and store failures, through the scheduler's logger (Nest's Logger in SchedulerModule). It
 * listens to those types alone (ofType), so the scheduler still builds no event for a success
 * unless job_executed is given a level. A flood (ten thousand runs missed after downtime, a store
 * failing on every retry) is cut to `rateLimit.lines` lines per type and interval, plus a count.
 */
export class SchedulerEventLogger {
  private readonly levels: Record<LoggedEventType, SchedulerLogLevel | false>;
  private readonly lines: number;
  private readonly intervalMs: number;
  private readonly windows = new Map<LoggedEventType, Window>();
  private subscription: Subscription | undefined;

  constructor(
    private readonly logger: SchedulerLogger,
    options: SchedulerLoggingOptions = {},
  ) {
    this.levels = { ...DEFAULT_LOG_LEVELS, ...options.events };
    const limit = options.rateLimit === false ? null : { ...DEFAULT_RATE_LIMIT, ...options.rateLimit };
    this.lines = limit === null ? Infinity : limit.lines;
    this.intervalMs = limit === null ? Infinity : limit.intervalMs;
  }

  /** Subscribes to the types that have a level; returns itself. */
  attach(events$: Observable<SchedulerEvent>): this {
    const types = LOGGED_EVENT_TYPES.filter((type) => this.levels[type] !== false);
    if (types.length === 0) return this;
    this.subscription = events$.pipe(ofType(...types)).subscribe((event) => this.onEvent(event));
    return this;
  }

  /** Stops logging; what a rate limit left out is counted in one last line. */
  detach(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    for (const [type, window] of this.windows) this.summarise(type, window);
    this.windows.clear();
  }

  private onEvent(event: SchedulerEvent): void {
    const type = event.type as LoggedEventType;
    const level = this.levels[type];
    if (level === false) return;
    if (!this.admit(type)) return;
    const { message, trace } = describe(event);
    this.write(level, message, trace);
  }

  /** Counts a line against its type's interval: false when it is over the limit. */
  private admit(type: LoggedEventType): boolean {
    if (this.lines === Infinity) return true;
    const now = Date.now();
    let window = this.windows.get(type);
    if (window === undefined || now - window.start >= this.intervalMs) {
      if (window !== undefined) this.summarise(type, window);
      window = { start: now, logged: 0, suppressed: 0, timer: undefined };
      this.windows.set(type, window);
    }
    if (window.logged < this.lines) {
      window.logged++;
      return true;
    }
    window.suppressed++;
    if (window.timer === undefined) {
      const current = window;
      current.timer = setTimeout(
        () => {
          if (this.windows.get(type) === current) this.windows.delete(type);
          this.summarise(type, current);
        },
        Math.max(0, current.start + this.intervalMs - now),
      );
      current.timer.unref?.();
    }
    return false;
  }

  private summarise(type: LoggedEventType, window: Window): void {
    if (window.timer !== undefined) clearTimeout(window.timer);
    window.timer = undefined;
    if (window.suppressed === 0) return;
    const level = this.levels[type];
    const count = window.suppressed;
    window.suppressed = 0;
    if (level === false) return;
    this.write(
      level,
      `${count} more ${type} event(s) in the last ${this.intervalMs % 1000 === 0 ? `${this.intervalMs / 1000} s` : `${this.intervalMs} ms`} were not logged ` +
        `(logging.rateLimit: ${this.lines} lines per ${this.intervalMs} ms); scheduler.events$ has every one`,
    );
  }

  private write(level: SchedulerLogLevel, message: string, trace?: string): void {
    const { logger } = this;
    switch (level) {
      case 'error':
        return logger.error(message, trace);
      case 'warn':
        return logger.warn(message);
      case 'log':
        return logger.log(message);
      case 'debug':
        return logger.debug ? logger.debug(message) : logger.log(message);
      case 'verbose':
        return logger.verbose ? logger.verbose(message) : logger.log(message);
    }
  }
}

/** One line for an event, and the trace of an error. */
function describe(event: SchedulerEvent): { message: string; trace?: string } {
  const where = event.store === undefined ? '' : `, store '${event.store}'`;
  switch (event.type) {
    case 'job_error': {
      const e = event as JobErrorEvent;
      return {
        message: `Job '${e.jobId}' failed (run of ${iso(e.scheduledRunTime)}${where}): ${e.error.name}: ${e.error.message}`,
        trace: e.traceback,
      };
    }
    case 'job_missed': {
      const e = event as JobMissedEvent;
      return { message: `Job '${e.jobId}' missed its run of ${iso(e.scheduledRunTime)}${where}` };
    }
    case 'job_lost': {
      const e = event as JobLostEvent;
      return {
        message: `Job '${e.jobId}': its run of ${iso(e.scheduledRunTime)} was lost${where} (instance ${e.lostInstanceId} stopped heartbeating)`,
      };
    }
    case 'job_max_instances': {
      const e = event as JobSubmittedEvent;
      const times = e.scheduledRunTimes.map(iso).join(', ');
      return { message: `Job '${e.jobId}' skipped its run of ${times}${where}: maxInstances runs of it are still going` };
    }
    case 'jobstore_error': {
      const e = event as JobStoreErrorEvent;
      const job = e.jobId === undefined ? '' : ` (job '${e.jobId}')`;
      return { message: `Job store '${e.store}' failed${job}: ${e.error.message}`, trace: e.error.stack };
    }
    case 'job_executed': {
      const e = event as JobExecutedEvent;
      return { message: `Job '${e.jobId}' executed (run of ${iso(e.scheduledRunTime)}${where}) in ${e.durationMs} ms` };
    }
    default:
      return { message: `Scheduler event ${event.type}` };
  }
}

function iso(date: Date): string {
  return date instanceof Date && Number.isFinite(date.getTime()) ? date.toISOString() : String(date);
}
