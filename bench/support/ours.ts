import { AsyncExecutor } from '../../lib/executors/async.executor.js';
import { Scheduler } from '../../lib/core/scheduler.js';
import { MemoryJobStore } from '../../lib/stores/memory.job-store.js';

/** Our scheduler as the scenarios use it: memory store, async executor, UTC, a quiet logger. */
export function createOurScheduler(options: { maxConcurrency?: number } = {}): Scheduler {
  return new Scheduler({
    timezone: 'UTC',
    stores: { default: new MemoryJobStore() },
    executors: { default: new AsyncExecutor(options.maxConcurrency ? { maxConcurrency: options.maxConcurrency } : {}) },
    logger: {
      log: () => {},
      warn: (message: string) => console.error(`[ours] ${message}`),
      error: (message: string) => console.error(`[ours] ${message}`),
    },
  });
}

/** Listens to our scheduler's job_missed events (a count for the run's info). */
export function countMissed(scheduler: Scheduler): { readonly count: number } {
  const counter = { count: 0 };
  scheduler.missed$.subscribe(() => counter.count++);
  return counter;
}
