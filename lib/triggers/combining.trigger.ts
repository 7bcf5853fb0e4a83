import { InvalidTriggerError } from '../core/errors.js';
import { type CombiningTriggerSpec, isTrigger, type Trigger } from './trigger.js';
import { applyJitter, parseJitter } from './validate.js';

/**
 * How many times AndTrigger moves its cursor before giving up. Triggers that never coincide
 * (e.g. cron on Mondays AND cron on Tuesdays) would otherwise loop forever; past this bound
 * the trigger reports no further fire time (null), which finishes the job. assertTriggerFires
 * refuses such a trigger when the job is added.
 */
export const AND_TRIGGER_MAX_STEPS = 10_000;

abstract class CombiningTrigger implements Trigger {
  readonly triggers: readonly Trigger[];
  /** ms */
  readonly jitter: number;

  constructor(
    private readonly kind: 'and' | 'or',
    triggers: readonly Trigger[],
    options: { jitter?: number } = {},
  ) {
    if (!Array.isArray(triggers) || triggers.length === 0 || !triggers.every(isTrigger)) {
      throw new InvalidTriggerError('triggers', triggers, 'allowed: a non-empty array of trigger specs');
    }
    this.triggers = [...triggers];
    this.jitter = parseJitter(options.jitter);
  }

  abstract getNextFireTime(previousFireTime: Date | null, now: Date): Date | null;

  protected jittered(time: number | null): Date | null {
    return time === null ? null : new Date(applyJitter(time, this.jitter, null));
  }

  toJSON(): CombiningTriggerSpec {
    const spec: CombiningTriggerSpec = { type: this.kind, triggers: this.triggers.map((t) => t.toJSON()) };
    if (this.jitter) spec.jitter = this.jitter;
    return spec;
  }

  toString(): string {
    return `${this.kind}[${this.triggers.map(String).join(', ')}]`;
  }
}

/**
 * Fires when every trigger fires at the same instant (APScheduler's AndTrigger). Jitter of the
 * inner triggers makes exact coincidences unlikely; put jitter on the AndTrigger instead.
 * @publicApi
 */
export class AndTrigger extends CombiningTrigger {
  constructor(triggers: readonly Trigger[], options: { jitter?: number } = {}) {
    super('and', triggers, options);
  }

  getNextFireTime(previousFireTime: Date | null, now: Date): Date | null {
    let cursor = previousFireTime === null ? now.getTime() : previousFireTime.getTime() + 1;
    const budget = { retries: AND_TRIGGER_MAX_STEPS };
    for (let step = 0; step < AND_TRIGGER_MAX_STEPS; step++) {
      let min = Infinity;
      let max = -Infinity;
      for (const trigger of this.triggers) {
        const next = firstAtOrAfter(trigger, cursor, budget);
        if (next === null) return null;
        min = Math.min(min, next);
        max = Math.max(max, next);
      }
      if (min === max) return this.jittered(min);
      cursor = max;
    }
    return null;
  }
}

/** Fires whenever any of the triggers fires (APScheduler's OrTrigger). @publicApi */
export class OrTrigger extends CombiningTrigger {
  constructor(triggers: readonly Trigger[], options: { jitter?: number } = {}) {
    super('or', triggers, options);
  }

  getNextFireTime(previousFireTime: Date | null, now: Date): Date | null {
    let earliest: number | null = null;
    for (const trigger of this.triggers) {
      const next = trigger.getNextFireTime(previousFireTime, now);
      if (next !== null && (earliest === null || next.getTime() < earliest)) earliest = next.getTime();
    }
    return this.jittered(earliest);
  }
}

/**
 * A trigger's first fire time at or after `cursor`. Asking with previous = null gives that for
 * interval and cron; a date trigger answers its run date even when it is earlier, so such an
 * answer is fed back as "previous" to get the trigger's real next time (null for a date). Those
 * extra questions share one budget per search, so a custom trigger that keeps answering earlier
 * times cannot make the search unbounded: when it runs out, the trigger counts as finished.
 */
export function firstAtOrAfter(trigger: Trigger, cursor: number, budget = { retries: AND_TRIGGER_MAX_STEPS }): number | null {
  const at = new Date(cursor);
  let next = trigger.getNextFireTime(null, at);
  while (next !== null && next.getTime() < cursor) {
    if (--budget.retries < 0) return null;
    next = trigger.getNextFireTime(next, at);
  }
  return next === null ? null : next.getTime();
}
