import { InvalidSchedulerOptionError } from '../../core/errors.js';
import type { SchedulerHealth } from '../../core/scheduler.js';
import { MAX_TIMER_MS, checkBoolean, checkWhole, readOptions, type OptionErrorFactory } from '../../utils/option-checks.js';

/** Limits of SchedulerHealthIndicator.isHealthy. @publicApi */
export interface SchedulerHealthOptions {
  /**
   * ms a pass of the loop may run, or be overdue, before the loop counts as stuck.
   * Default: the larger of 30000 and 3 × pollInterval.
   */
  stuckAfter?: number;
  /**
   * ms since this instance's last heartbeat (shared TypeORM store) after which it counts as stale.
   * Default: the larger of 2 × heartbeatInterval and instanceTimeout / 2, so health turns down
   * before the other instances take this one for dead (after instanceTimeout).
   */
  heartbeatStaleAfter?: number;
  /** A paused scheduler counts as down. Default false: pausing is an operator's choice, not a fault. */
  pausedIsDown?: boolean;
}

/** The verdict on a SchedulerHealth, and what the indicator reports with it. @publicApi */
export interface SchedulerHealthVerdict {
  healthy: boolean;
  /** Why it is down, one sentence each; empty when healthy. */
  problems: string[];
  /** The facts the verdict was made on, as JSON-friendly values. */
  details: Record<string, unknown>;
}

export const DEFAULT_STUCK_AFTER = 30_000;

const HEALTH_KEYS: ReadonlySet<string> = new Set(['stuckAfter', 'heartbeatStaleAfter', 'pausedIsDown']);
const fail: OptionErrorFactory = (field, value, allowed) => new InvalidSchedulerOptionError(`isHealthy.${field}`, value, allowed);

/** The limits checked: a typo or a bad value is refused rather than silently using the default. */
export function readSchedulerHealthOptions(input: unknown): SchedulerHealthOptions {
  const options = readOptions(input, HEALTH_KEYS, 'health check', fail) as SchedulerHealthOptions;
  if (options.stuckAfter !== undefined) checkWhole(fail, 'stuckAfter', options.stuckAfter, 1, MAX_TIMER_MS, 'ms');
  if (options.heartbeatStaleAfter !== undefined)
    checkWhole(fail, 'heartbeatStaleAfter', options.heartbeatStaleAfter, 1, MAX_TIMER_MS, 'ms');
  if (options.pausedIsDown !== undefined) checkBoolean(fail, 'pausedIsDown', options.pausedIsDown);
  return options;
}

/**
 * The health rules (docs/observability.md). Down when:
 * - the scheduler is stopped, or still starting (or paused, with pausedIsDown);
 * - running, its loop is stuck: a pass started more than `stuckAfter` ago and has not ended, or
 *   the next pass was planned for more than `stuckAfter` ago and has not started. (A loop with
 *   nothing due sleeps as long as it has to: only a pass that is late counts, not a quiet one.)
 * - a store has failed since its last success: a jobstore_error of the store itself (not of one
 *   job's row) and no pass, outcome write or heartbeat of that store went through after it;
 * - this instance's heartbeat in a shared store is older than `heartbeatStaleAfter`.
 */
export function assessSchedulerHealth(health: SchedulerHealth, now: number, input: SchedulerHealthOptions = {}): SchedulerHealthVerdict {
  const options = readSchedulerHealthOptions(input);
  const problems: string[] = [];
  const stuckAfter = options.stuckAfter ?? Math.max(DEFAULT_STUCK_AFTER, 3 * health.pollInterval);
  const { state, loop } = health;
  if (state === 'stopped') problems.push('the scheduler is not running (stopped)');
  else if (health.starting) problems.push('the scheduler is starting');
  else if (state === 'paused' && options.pausedIsDown === true) problems.push('the scheduler is paused');
  if (state === 'running' && !health.starting) {
    if (loop.passStartedAt !== null && now - loop.passStartedAt.getTime() > stuckAfter) {
      problems.push(
        `the scheduler loop is stuck: a pass started ${now - loop.passStartedAt.getTime()} ms ago and has not ended (limit ${stuckAfter} ms)`,
      );
    } else if (loop.passStartedAt === null && loop.nextPassAt !== null && now - loop.nextPassAt.getTime() > stuckAfter) {
      problems.push(
        `the scheduler loop is stuck: its next pass was due ${now - loop.nextPassAt.getTime()} ms ago and has not started (limit ${stuckAfter} ms)`,
      );
    }
  }
  const stores = health.stores.map((store) => {
    if (state !== 'stopped' && store.failing) {
      const error = store.lastError;
      problems.push(
        `store '${store.alias}' has failed since its last success${error ? ` (${error.at.toISOString()}: ${error.message})` : ''}`,
      );
    }
    let heartbeatAgeMs: number | null = null;
    if (store.heartbeat !== null) {
      const { lastBeatAt, interval, instanceTimeout } = store.heartbeat;
      const staleAfter = options.heartbeatStaleAfter ?? Math.max(2 * interval, instanceTimeout / 2);
      heartbeatAgeMs = lastBeatAt === null ? null : now - lastBeatAt.getTime();
      if (state !== 'stopped' && !health.starting && (heartbeatAgeMs === null || heartbeatAgeMs > staleAfter)) {
        problems.push(
          heartbeatAgeMs === null
            ? `this instance has no heartbeat in store '${store.alias}' yet`
            : `this instance's heartbeat in store '${store.alias}' is stale: ${heartbeatAgeMs} ms old (limit ${staleAfter} ms; ` +
                `other instances take it for dead after ${instanceTimeout} ms)`,
        );
      }
    }
    return {
      alias: store.alias,
      failing: store.failing,
      lastError: store.lastError && { at: store.lastError.at.toISOString(), message: store.lastError.message },
      lastSuccessAt: iso(store.lastSuccessAt),
      ...(store.heartbeat === null ? {} : { heartbeatAgeMs }),
    };
  });
  return {
    healthy: problems.length === 0,
    problems,
    details: {
      state,
      instanceId: health.instanceId,
      lastPassAt: iso(loop.lastPassAt),
      passStartedAt: iso(loop.passStartedAt),
      nextPassAt: iso(loop.nextPassAt),
      stores,
    },
  };
}

function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}
