/** A point in time: a Date, an ISO-8601 string, 'YYYY-MM-DD HH:mm:ss' (in the trigger's zone), or epoch ms. @publicApi */
export type DateInput = Date | string | number;

/** One APScheduler cron field: * *\/a a-b a-b/c x,y,z 'xth y' 'last x' 'last', names. @publicApi */
export type CronField = number | string;

/** @publicApi */
export interface DateTriggerSpec {
  type: 'date';
  /** Omitted: now. */
  runDate?: DateInput;
  timezone?: string;
}

/** @publicApi */
export interface IntervalTriggerSpec {
  type: 'interval';
  weeks?: number;
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  milliseconds?: number;
  startDate?: DateInput;
  endDate?: DateInput;
  timezone?: string;
  /** ms */
  jitter?: number;
}

/** @publicApi */
export interface CronTriggerSpec {
  type: 'cron';
  /** A crontab string, or the fields below (not both). */
  expression?: string;
  year?: CronField;
  month?: CronField;
  day?: CronField;
  week?: CronField;
  dayOfWeek?: CronField;
  hour?: CronField;
  minute?: CronField;
  second?: CronField;
  startDate?: DateInput;
  endDate?: DateInput;
  timezone?: string;
  /** ms */
  jitter?: number;
}

/** @publicApi */
export interface CombiningTriggerSpec {
  type: 'and' | 'or';
  triggers: TriggerSpec[];
  /** ms */
  jitter?: number;
}

/** Everything `createTrigger` accepts. A plain string is a crontab expression. @publicApi */
export type TriggerSpec = string | DateTriggerSpec | IntervalTriggerSpec | CronTriggerSpec | CombiningTriggerSpec | Trigger;

/** Decides when a job runs. Custom triggers implement this. @publicApi */
export interface Trigger {
  /**
   * With `previousFireTime` null: the first fire time at or after `now`.
   * Otherwise: the first fire time after `previousFireTime`, even if before `now`.
   * Null when the trigger will never fire again.
   */
  getNextFireTime(previousFireTime: Date | null, now: Date): Date | null;
  /** A spec that `createTrigger` turns back into an equal trigger. */
  toJSON(): TriggerSpec;
  toString(): string;
}

/** Defaults `createTrigger` applies. @publicApi */
export interface TriggerDefaults {
  /** IANA zone for triggers without their own. Default: the process's zone. */
  timezone?: string;
  /** "When the job was added": fixes the start of an interval without startDate. */
  now?: Date;
}

export function isTrigger(value: unknown): value is Trigger {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Trigger).getNextFireTime === 'function' &&
    typeof (value as Trigger).toJSON === 'function'
  );
}
