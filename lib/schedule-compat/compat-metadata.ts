import type { TriggerSpec } from '../triggers/trigger.js';

/** Set by @Cron, @Interval and @Timeout beside @ScheduledJob's metadata; read by SchedulerRegistry. */
export const SCHEDULE_COMPAT_METADATA = 'nestjs-apscheduler:schedule-compat';

/** The three kinds of @nestjs/schedule, each with its own group of names in SchedulerRegistry. */
export type CompatKind = 'cron' | 'interval' | 'timeout';

/** What SchedulerRegistry needs to know of a decorated job to stand in for @nestjs/schedule's. */
export interface CompatJobMetadata {
  kind: CompatKind;
  /** The name given to the decorator, which is the job id; undefined: the id is `ClassName.methodName`. */
  name?: string;
  /** The schedule without initialDelay's start: what nextDate() answers from. */
  trigger: TriggerSpec;
  /** @Cron's disabled: stored paused at every start. */
  disabled: boolean;
  waitForCompletion: boolean;
  /** @Cron's threshold, if given. */
  threshold?: number;
  /** A cron time that is a date: the job fires once. */
  runOnce: boolean;
}

/** The names @nestjs/schedule uses for each kind in its messages. */
export const KIND_LABELS: Record<CompatKind, string> = { cron: 'Cron Job', interval: 'Interval', timeout: 'Timeout' };
