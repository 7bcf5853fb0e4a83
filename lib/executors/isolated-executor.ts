import { availableParallelism } from 'node:os';
import { InvalidSchedulerOptionError, SchedulerError } from '../core/errors.js';
import type { JobHandlerFunction } from '../core/jobs/job-options.js';
import { MAX_INT32, MAX_TIMER_MS, checkWhole, type OptionErrorFactory } from '../utils/option-checks.js';
import type { Executor, ExecutorCall, ExecutorTask } from './executor.js';
import { readWorkerHandlers, type WorkerHandlerRef } from './worker-handler.js';

/** Options both worker executors have. @publicApi */
export interface IsolatedExecutorOptions {
  /** Workers (threads or processes) at most, so runs at once. Default: the machine's CPU count. */
  maxWorkers?: number;
  /** Workers kept even when idle. Default: 0. */
  minWorkers?: number;
  /** ms an idle worker beyond minWorkers is kept before it is stopped. Default: 60000. */
  idleTimeout?: number;
  /**
   * ms a handler has, once its ctx.signal is aborted (timeout, shutdown), to return before its
   * worker is terminated (a thread) or killed (a process). Default: 1000; during shutdown at most 500.
   */
  terminateGrace?: number;
  /** Worker handlers by name: module files and their exports, as jobs name them in `handler`. */
  handlers?: Record<string, WorkerHandlerRef>;
  /**
   * Lowers the workers' CPU priority by this much (0-19, as `nice`), so that CPU-bound jobs yield
   * the CPU to the application's event loop when the machine is busy. Worker threads: Linux only
   * (elsewhere ignored). Default: 0 (the application's priority).
   */
  nice?: number;
}

/** One run on a worker, as the runtime files receive it. */
export interface WorkerMessage {
  id: number;
  module: string;
  export: string;
  args: readonly unknown[];
  ctx: { jobId: string; jobName: string; scheduledRunTime: Date; instanceId: string; attempt: number };
}

/** A pool of workers of one kind (threads, processes), one run per worker at a time. */
export interface WorkerPool {
  /** Runs a handler; resolves with its value, rejects with its error or the worker's crash. */
  run(message: WorkerMessage): Promise<unknown>;
  /** Aborts the ctx.signal of run `id` inside its worker. */
  abort(id: number, reason: { name: string; message: string }): void;
  /** Stops the worker of run `id` now; its run() rejects. */
  terminate(id: number): void;
  /** Stops every worker. */
  close(): Promise<void>;
}

/** A worker died while running a job: it exited, was killed, or ran out of memory. @publicApi */
export class WorkerCrashError extends SchedulerError {
  constructor(
    message: string,
    /** 'ERR_WORKER_OUT_OF_MEMORY', 'ERR_CHILD_OUT_OF_MEMORY', 'ERR_WORKER_EXITED', 'ERR_CHILD_EXITED', … */
    readonly code: string,
  ) {
    super(message);
  }
}

/** An error rebuilt from the plain data the runtime sent (name, message, stack, code). */
export function rebuilt(data: { name: string; message: string; stack?: string; code?: string }): Error {
  const error = new Error(data.message);
  error.name = data.name;
  if (data.stack !== undefined) error.stack = data.stack;
  if (data.code !== undefined) (error as Error & { code?: string }).code = data.code;
  return error;
}

export const DEFAULT_IDLE_TIMEOUT = 60_000;
export const DEFAULT_TERMINATE_GRACE = 1000;
/** The longest grace during shutdown: the scheduler gives aborted runs 1 s to settle and record. */
const SHUTDOWN_GRACE = 500;

const COMMON_KEYS = ['maxWorkers', 'minWorkers', 'idleTimeout', 'terminateGrace', 'handlers', 'nice'];

/** What both worker executors read of their options. */
export interface CommonSettings {
  maxWorkers: number;
  minWorkers: number;
  idleTimeout: number;
  terminateGrace: number;
  handlers: Readonly<Record<string, JobHandlerFunction>>;
  nice: number;
}

export function isolatedOptionKeys(own: readonly string[]): ReadonlySet<string> {
  return new Set([...COMMON_KEYS, ...own]);
}

export function optionErrors(what: string): OptionErrorFactory {
  return (field, value, allowed) => new InvalidSchedulerOptionError(`${what}.${field}`, value, allowed);
}

export function readCommonSettings(options: IsolatedExecutorOptions, what: string): CommonSettings {
  const fail = optionErrors(what);
  const maxWorkers = checkWhole(fail, 'maxWorkers', options.maxWorkers ?? Math.max(1, availableParallelism()), 1, 1024);
  const minWorkers = checkWhole(fail, 'minWorkers', options.minWorkers ?? 0, 0, maxWorkers);
  const idleTimeout = checkWhole(fail, 'idleTimeout', options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT, 0, MAX_TIMER_MS, 'ms');
  const terminateGrace = checkWhole(fail, 'terminateGrace', options.terminateGrace ?? DEFAULT_TERMINATE_GRACE, 0, MAX_INT32, 'ms');
  const nice = checkWhole(fail, 'nice', options.nice ?? 0, 0, 19);
  return { maxWorkers, minWorkers, idleTimeout, terminateGrace, nice, handlers: readWorkerHandlers(options.handlers, what) };
}

/**
 * The part both worker executors share: at most maxWorkers submissions at once (the scheduler
 * claims only what a free worker can start), each handler call sent to a worker through invoke(),
 * and an aborted call (timeout, shutdown) given terminateGrace to return before its worker is
 * stopped. Until then the call keeps its slot, so a stuck worker is never counted as free.
 */
export abstract class IsolatedExecutor implements Executor {
  readonly maxConcurrency: number;
  readonly handlers: Readonly<Record<string, JobHandlerFunction>>;
  protected readonly settings: CommonSettings;
  private active = 0;
  /** Calls whose signal was aborted and whose worker has not yet stopped or returned. */
  private lingering = 0;
  private readonly waiting: ExecutorTask[] = [];
  private stopped = false;
  private idle: (() => void) | null = null;
  private nextId = 1;
  private pool: WorkerPool | null = null;

  protected constructor(settings: CommonSettings) {
    this.settings = settings;
    this.maxConcurrency = settings.maxWorkers;
    this.handlers = settings.handlers;
  }

  /** A new pool of this executor's kind (made at the first run after each start). */
  protected abstract createPool(): WorkerPool;

  get running(): number {
    return this.active + this.lingering;
  }

  get queued(): number {
    return this.waiting.length;
  }

  start(): void {
    this.stopped = false;
  }

  submit(task: ExecutorTask): void {
    if (this.stopped) {
      task.cancel('the executor is shut down');
      return;
    }
    this.waiting.push(task);
    this.drain();
  }

  invoke(call: ExecutorCall): Promise<unknown> {
    const signal = call.ctx.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    const id = this.nextId++;
    const pool = (this.pool ??= this.createPool());
    const { ctx } = call;
    const pending = pool.run({
      id,
      module: call.target.module,
      export: call.target.export,
      args: call.args,
      ctx: {
        jobId: ctx.jobId,
        jobName: ctx.jobName,
        scheduledRunTime: ctx.scheduledRunTime,
        instanceId: ctx.instanceId,
        attempt: ctx.attempt,
      },
    });
    let grace: ReturnType<typeof setTimeout> | undefined;
    let aborted = false;
    let terminated = false;
    const onAbort = () => {
      aborted = true;
      this.lingering++;
      const reason = signal.reason as { name?: unknown; message?: unknown } | undefined;
      pool.abort(id, { name: String(reason?.name ?? 'AbortError'), message: String(reason?.message ?? 'aborted') });
      const wait = this.stopped ? Math.min(this.settings.terminateGrace, SHUTDOWN_GRACE) : this.settings.terminateGrace;
      grace = setTimeout(() => {
        terminated = true;
        pool.terminate(id);
      }, wait);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const settled = () => {
      signal.removeEventListener('abort', onAbort);
      if (!aborted) return;
      clearTimeout(grace);
      this.lingering--;
      this.drain();
    };
    return pending.then(
      (value) => {
        settled();
        return value;
      },
      (error: unknown) => {
        settled();
        // Stopped by us after the grace: the run ends with why it was aborted (JobTimeoutError).
        throw terminated ? signal.reason : error;
      },
    );
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    const left = this.waiting.splice(0);
    for (const task of left) task.cancel('the scheduler shut down before the run started');
    if (this.running > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    const pool = this.pool;
    this.pool = null;
    if (pool) await pool.close();
  }

  private drain(): void {
    while (!this.stopped && this.running < this.maxConcurrency && this.waiting.length > 0) {
      const task = this.waiting.shift()!;
      this.active++;
      let pending: Promise<void> | void;
      try {
        pending = task.run();
      } catch {
        pending = undefined;
      }
      if (pending) pending.then(this.release, this.release);
      else this.active--;
    }
    if (this.running === 0 && this.idle) {
      const idle = this.idle;
      this.idle = null;
      idle();
    }
  }

  private readonly release = (): void => {
    this.active--;
    this.drain();
  };
}
