import { InvalidTriggerError, describeValue } from '../../core/errors.js';
import { parseOptionalDate } from '../parse-date.js';
import { resolveTimezone } from '../timezone.js';
import type { CronTriggerSpec, Trigger, TriggerDefaults } from '../trigger.js';
import { applyJitter, assertKnownKeys, parseJitter } from '../validate.js';
import { CronMatcher } from './cron-matcher.js';
import type { CronSchedule } from './cron-schedule.js';
import { compileCrontab } from './crontab.compiler.js';
import { CRON_FIELDS, type CronFields, compileFields } from './field.compiler.js';

const KEYS = ['type', 'expression', ...CRON_FIELDS, 'startDate', 'endDate', 'timezone', 'jitter'] as const;

/**
 * Fires when the wall clock in `timezone` matches: either APScheduler's fields (every given
 * field must match) or a crontab string (cron's rules, day-of-month OR day-of-week).
 * See CronMatcher for the DST rules. @publicApi
 */
export class CronTrigger implements Trigger {
  readonly expression: string | null;
  readonly fields: Readonly<CronFields>;
  readonly timezone: string;
  readonly startDate: Date | null;
  readonly endDate: Date | null;
  /** ms */
  readonly jitter: number;
  readonly schedule: CronSchedule;
  private readonly matcher: CronMatcher;

  constructor(spec: Omit<CronTriggerSpec, 'type'> & { type?: 'cron' }, defaults?: TriggerDefaults) {
    assertKnownKeys(spec, KEYS);
    const fields: CronFields = {};
    for (const name of CRON_FIELDS) if (spec[name] !== undefined) fields[name] = spec[name];
    if (spec.expression !== undefined) {
      const mixed = Object.keys(fields)[0];
      if (mixed !== undefined) {
        throw new InvalidTriggerError(
          mixed,
          spec[mixed as keyof typeof fields],
          "allowed: either 'expression' or the cron fields, not both",
        );
      }
      if (typeof spec.expression !== 'string') {
        throw new InvalidTriggerError('expression', spec.expression, 'allowed: a crontab string such as "30 6 * * 1-5"');
      }
      this.schedule = compileCrontab(spec.expression);
      this.expression = spec.expression.trim();
    } else {
      this.expression = null;
      this.schedule = compileFields(fields);
    }
    this.fields = Object.freeze(fields);
    this.timezone = resolveTimezone(spec.timezone, defaults);
    this.startDate = parseOptionalDate('startDate', spec.startDate, this.timezone);
    this.endDate = parseOptionalDate('endDate', spec.endDate, this.timezone);
    if (this.startDate && this.endDate && this.endDate < this.startDate) {
      throw new InvalidTriggerError('endDate', spec.endDate, `allowed: a date at or after startDate (${this.startDate.toISOString()})`);
    }
    this.jitter = parseJitter(spec.jitter);
    this.matcher = new CronMatcher(this.schedule, this.timezone);
  }

  /** A crontab string in `timezone`, e.g. CronTrigger.fromCrontab('30 6 * * 1-5', 'Europe/Paris'). */
  static fromCrontab(expression: string, timezone?: string, defaults?: TriggerDefaults): CronTrigger {
    return new CronTrigger({ expression, timezone }, defaults);
  }

  getNextFireTime(previousFireTime: Date | null, now: Date): Date | null {
    // Fire times are whole seconds: "at or after now" rounds now up, "after previous" starts
    // at the next whole second (previous may carry jitter).
    let from =
      previousFireTime === null ? Math.ceil(now.getTime() / 1000) * 1000 : Math.floor(previousFireTime.getTime() / 1000) * 1000 + 1000;
    if (this.startDate) from = Math.max(from, Math.ceil(this.startDate.getTime() / 1000) * 1000);
    const end = this.endDate ? this.endDate.getTime() : null;
    if (end !== null && from > end) return null;
    const next = this.matcher.next(from);
    if (next === null || (end !== null && next > end)) return null;
    return new Date(applyJitter(next, this.jitter, end));
  }

  toJSON(): CronTriggerSpec {
    const spec: CronTriggerSpec = { type: 'cron' };
    if (this.expression !== null) spec.expression = this.expression;
    else Object.assign(spec, this.fields);
    if (this.startDate) spec.startDate = this.startDate.toISOString();
    if (this.endDate) spec.endDate = this.endDate.toISOString();
    spec.timezone = this.timezone;
    if (this.jitter) spec.jitter = this.jitter;
    return spec;
  }

  toString(): string {
    const parts =
      this.expression !== null
        ? [describeValue(this.expression).replace(/^"|"$/g, "'")]
        : CRON_FIELDS.filter((name) => this.fields[name] !== undefined).map((name) => `${name}='${this.fields[name]}'`);
    parts.push(`timezone='${this.timezone}'`);
    return `cron[${parts.join(', ')}]`;
  }
}
