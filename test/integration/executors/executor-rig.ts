import { firstValueFrom, filter, take, timeout as rxTimeout } from 'rxjs';
import {
  AsyncExecutor,
  MemoryJobStore,
  ProcessExecutor,
  Scheduler,
  WorkerThreadExecutor,
  type JobErrorEvent,
  type JobExecutedEvent,
  type JobStore,
  type ProcessExecutorOptions,
  type WorkerHandlerRef,
  type WorkerThreadExecutorOptions,
} from '../../../lib/index.js';

/** The fixtures' module file (plain .mjs: worker threads and child processes load it themselves). */
export const JOBS = new URL('./fixtures/jobs.mjs', import.meta.url);

export const FIXTURE_HANDLERS: Record<string, WorkerHandlerRef> = Object.fromEntries(
  ['spin', 'echo', 'noop', 'waitForAbort', 'exitOne', 'throwNow', 'throwLater', 'eatMemory', 'hang', 'priority'].map((name) => [
    `jobs.${name}`,
    { module: JOBS, export: name },
  ]),
);
FIXTURE_HANDLERS['jobs.default'] = { module: JOBS };

export type Kind = 'threads' | 'processes';
export const KINDS: Kind[] = ['threads', 'processes'];

export interface RigOptions {
  store?: JobStore;
  threads?: WorkerThreadExecutorOptions;
  processes?: ProcessExecutorOptions;
  shutdownTimeout?: number;
}

/** A scheduler with an in-process executor ('default') and both worker executors ('threads', 'processes'). */
export function newScheduler(options: RigOptions = {}): Scheduler {
  return new Scheduler({
    stores: { default: options.store ?? new MemoryJobStore() },
    executors: {
      default: new AsyncExecutor(),
      threads: new WorkerThreadExecutor({ maxWorkers: 2, terminateGrace: 200, handlers: FIXTURE_HANDLERS, ...options.threads }),
      processes: new ProcessExecutor({ maxWorkers: 2, terminateGrace: 200, handlers: FIXTURE_HANDLERS, ...options.processes }),
    },
    logging: false,
    shutdownTimeout: options.shutdownTimeout ?? 5000,
  });
}

/** The next job_executed or job_error of a job. */
export function outcomeOf(scheduler: Scheduler, jobId: string, within = 15_000): Promise<JobExecutedEvent | JobErrorEvent> {
  return firstValueFrom(
    scheduler.events$.pipe(
      filter((e): e is JobExecutedEvent | JobErrorEvent => (e.type === 'job_executed' || e.type === 'job_error') && e.jobId === jobId),
      take(1),
      rxTimeout(within),
    ),
  );
}

/** Adds a run-once job and waits for how it ended. */
export async function runOnce(
  scheduler: Scheduler,
  executor: string,
  handler: string,
  args: unknown[] = [],
  extra: { timeout?: number; id?: string } = {},
): Promise<JobExecutedEvent | JobErrorEvent> {
  const id = extra.id ?? `${handler}-${executor}-${Math.random().toString(36).slice(2, 8)}`;
  const outcome = outcomeOf(scheduler, id);
  await scheduler.addJob({ id, handler, args, executor, misfireGraceTime: null, ...(extra.timeout ? { timeout: extra.timeout } : {}) });
  return outcome;
}

export function errorOf(event: JobExecutedEvent | JobErrorEvent): Error {
  if (event.type !== 'job_error') throw new Error(`expected job_error, got ${event.type} (${JSON.stringify(event.returnValue)})`);
  return event.error;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
