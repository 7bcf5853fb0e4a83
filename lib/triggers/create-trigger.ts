import { InvalidTriggerError, SchedulerError } from '../core/errors.js';
import { describeThrown } from '../utils/thrown-value.js';
import { isValidDate } from '../utils/option-checks.js';
import { AndTrigger, OrTrigger } from './combining.trigger.js';
import { CronTrigger } from './cron/cron.trigger.js';
import { DateTrigger } from './date.trigger.js';
import { IntervalTrigger } from './interval.trigger.js';
import { isTrigger, type Trigger, type TriggerDefaults, type TriggerSpec } from './trigger.js';
import { assertKnownKeys } from './validate.js';

const TYPES = "allowed: 'date', 'interval', 'cron', 'and', 'or'";

/** How deep and/or triggers may nest: deeper is a mistake, and would overflow the stack. */
const MAX_NESTING = 16;

/**
 * Builds (and so validates) a trigger from its spec: a crontab string, a spec object such as a
 * store keeps (a built-in trigger's toJSON()), or a Trigger object, returned as is. Invalid
 * input throws InvalidTriggerError naming the field, when the job is added, never later; so does
 * a spec that throws when read (a revoked Proxy, a throwing getter).
 * @publicApi
 */
export function createTrigger(spec: TriggerSpec, defaults?: TriggerDefaults): Trigger {
  const checked = checkDefaults(defaults);
  try {
    return build(spec, checked, 0);
  } catch (error) {
    if (error instanceof SchedulerError) throw error;
    throw new InvalidTriggerError(
      'trigger',
      '(a value that throws when read)',
      `allowed: a plain trigger spec (reading it threw: ${describeThrown(error)})`,
    );
  }
}

function checkDefaults(defaults: TriggerDefaults | undefined): TriggerDefaults | undefined {
  if (defaults === undefined) return undefined;
  if (typeof defaults !== 'object' || defaults === null) {
    throw new InvalidTriggerError('defaults', defaults, 'allowed: { timezone?, now? }');
  }
  const { now, timezone } = defaults;
  if (now !== undefined && !isValidDate(now)) {
    throw new InvalidTriggerError('defaults.now', now, 'allowed: a valid Date');
  }
  if (timezone !== undefined && typeof timezone !== 'string') {
    throw new InvalidTriggerError('defaults.timezone', timezone, 'allowed: an IANA zone name');
  }
  return defaults;
}

function build(spec: TriggerSpec, defaults: TriggerDefaults | undefined, depth: number): Trigger {
  if (typeof spec === 'string') return new CronTrigger({ expression: spec }, defaults);
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new InvalidTriggerError('trigger', spec, `allowed: a crontab string, a trigger spec object or a Trigger`);
  }
  if (isTrigger(spec)) return spec;
  switch ((spec as { type?: unknown }).type) {
    case 'date':
      return new DateTrigger(spec as ConstructorParameters<typeof DateTrigger>[0], defaults);
    case 'interval':
      return new IntervalTrigger(spec as ConstructorParameters<typeof IntervalTrigger>[0], defaults);
    case 'cron':
      return new CronTrigger(spec as ConstructorParameters<typeof CronTrigger>[0], defaults);
    case 'and':
    case 'or': {
      const { type, triggers, jitter } = spec as { type: 'and' | 'or'; triggers?: unknown; jitter?: number };
      assertKnownKeys(spec, ['type', 'triggers', 'jitter']);
      if (!Array.isArray(triggers) || triggers.length === 0) {
        throw new InvalidTriggerError('triggers', triggers, 'allowed: a non-empty array of trigger specs');
      }
      if (depth >= MAX_NESTING) {
        throw new InvalidTriggerError(
          'triggers',
          `(and/or nested more than ${MAX_NESTING} deep)`,
          `allowed: at most ${MAX_NESTING} levels of and/or`,
        );
      }
      const children: Trigger[] = [];
      // A plain loop, not map(): map skips the holes of a sparse array.
      for (let i = 0; i < triggers.length; i++) children.push(build(triggers[i] as TriggerSpec, defaults, depth + 1));
      return type === 'and' ? new AndTrigger(children, { jitter }) : new OrTrigger(children, { jitter });
    }
    default:
      throw new InvalidTriggerError('type', (spec as { type?: unknown }).type, TYPES);
  }
}
