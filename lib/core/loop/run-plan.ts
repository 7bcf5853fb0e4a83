import { HandlerNotFoundError } from '../errors.js';
import { checkedFireTime } from '../../triggers/fire-time.js';
import type { JobSpec } from '../jobs/job.js';
import type { Plan } from './claim.js';
import type { Trigger } from '../../triggers/trigger.js';

/** At most this many fire times are walked for one claim; a longer backlog skips ahead to `now`. */
export const MAX_BACKLOG = 1000;

/** Shared by plans that have nothing of a kind: most plans are one run and nothing else. */
const NONE: Date[] = Object.freeze([]) as unknown as Date[];
const NO_FAILURES: Plan['failed'] = Object.freeze([]) as unknown as Plan['failed'];

export interface PlanInput {
  job: JobSpec;
  trigger: Trigger;
  /** Submissions of this job running now (in a shared store: across all processes). */
  running: number;
  now: Date;
  handlerExists: boolean;
}

/**
 * Decides what a due job does now, without side effects (DESIGN.md, "The loop"): every fire time
 * from nextRunTime up to now; with coalesce only the last; older than misfireGraceTime is missed;
 * the rest run unless maxInstances submissions are already running.
 */
export function planRuns({ job, trigger, running, now, handlerExists }: PlanInput): Plan {
  const nowMs = now.getTime();
  let due: Date[] = [];
  let next: Date | null = job.nextRunTime;
  while (next !== null && next.getTime() <= nowMs) {
    if (due.length === MAX_BACKLOG) {
      // A long outage of a frequent job: don't walk millions of fire times, restart the walk at now.
      const resumed = checkedFireTime(trigger, trigger.getNextFireTime(null, now));
      if (resumed !== null && resumed.getTime() <= nowMs) {
        due.push(resumed);
        next = nextAfter(trigger, resumed, now);
      } else {
        next = resumed;
      }
      break;
    }
    due.push(next);
    next = nextAfter(trigger, next, now);
  }
  if (job.coalesce && due.length > 1) due = due.slice(-1);

  const grace = job.misfireGraceTime;
  let missed: Date[] = NONE;
  let runnable = due;
  if (grace !== null && due.some((t) => nowMs - t.getTime() > grace)) {
    missed = due.filter((t) => nowMs - t.getTime() > grace);
    runnable = due.filter((t) => nowMs - t.getTime() <= grace);
  }

  const plan: Plan = { runTimes: NONE, missed, maxInstances: NONE, failed: NO_FAILURES, nextRunTime: next, remove: false };
  if (runnable.length > 0 && !handlerExists) {
    const error = new HandlerNotFoundError(String(job.handler));
    plan.failed = runnable.map((runTime) => ({ runTime, error }));
    runnable = [];
  }
  if (runnable.length > 0 && running >= job.maxInstances) {
    plan.maxInstances = runnable;
    runnable = [];
  }
  plan.runTimes = runnable;
  // A job whose handler is gone is kept (paused) for the user to see rather than silently deleted.
  plan.remove = next === null && handlerExists;
  return plan;
}

/** The fire time after `previous`; a trigger that fails to move forward is treated as finished. */
function nextAfter(trigger: Trigger, previous: Date, now: Date): Date | null {
  const next = checkedFireTime(trigger, trigger.getNextFireTime(previous, now));
  return next !== null && next.getTime() > previous.getTime() ? next : null;
}

/** The plan of a claimed retry: its one run (or its miss); the job's schedule stays as it is. */
export function retryPlan(job: JobSpec, runTime: Date, missed: boolean): Plan {
  return {
    runTimes: missed ? [] : [runTime],
    missed: missed ? [runTime] : [],
    maxInstances: [],
    failed: [],
    nextRunTime: job.nextRunTime,
    remove: false,
  };
}
