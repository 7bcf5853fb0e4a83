import { InvalidTriggerError } from '../core/errors.js';
import { AndTrigger, OrTrigger } from './combining.trigger.js';
import { CronTrigger } from './cron/cron.trigger.js';
import { DateTrigger } from './date.trigger.js';
import { IntervalTrigger } from './interval.trigger.js';
import { isTrigger, type Trigger, type TriggerDefaults, type TriggerSpec } from './trigger.js';
import { assertKnownKeys } from './validate.js';

const TYPES = "allowed: 'date', 'interval', 'cron', 'and', 'or'";

/**
 * Builds (and so validates) a trigger from its spec: a crontab string, a spec object such as a
 * store keeps (a built-in trigger's toJSON()), or a Trigger object, returned as is. Invalid
 * input throws InvalidTriggerError naming the field, when the job is added, never later.
 * @publicApi
 */
export function createTrigger(spec: TriggerSpec, defaults?: TriggerDefaults): Trigger {
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
      const children = triggers.map((child: TriggerSpec) => createTrigger(child, defaults));
      return type === 'and' ? new AndTrigger(children, { jitter }) : new OrTrigger(children, { jitter });
    }
    default:
      throw new InvalidTriggerError('type', (spec as { type?: unknown }).type, TYPES);
  }
}
