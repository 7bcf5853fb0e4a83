import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { ResourceLimits } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { InvalidSchedulerOptionError } from '../core/errors.js';
import { readOptions } from '../utils/option-checks.js';
import {
  IsolatedExecutor,
  WorkerCrashError,
  isolatedOptionKeys,
  optionErrors,
  readCommonSettings,
  type IsolatedExecutorOptions,
  type WorkerMessage,
  type WorkerPool,
  rebuilt,
} from './isolated-executor.js';
import { runtimeFile } from './runtime-files.js';

/** @publicApi */
export interface WorkerThreadExecutorOptions extends IsolatedExecutorOptions {
  /**
   * Each worker thread's V8 limits (node:worker_threads ResourceLimits): maxOldGenerationSizeMb,
   * maxYoungGenerationSizeMb, codeRangeSizeMb, stackSizeMb. A thread that reaches its heap limit
   * ends its run with WorkerCrashError 'ERR_WORKER_OUT_OF_MEMORY'; the application goes on.
   */
  resourceLimits?: ResourceLimits;
  /** Node options of each worker thread (node:worker_threads execArgv). Default: the process's. */
  execArgv?: string[];
}

const WHAT = 'WorkerThreadExecutor';
const KEYS = isolatedOptionKeys(['resourceLimits', 'execArgv']);
const LIMIT_KEYS: ReadonlySet<string> = new Set(['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb']);
const fail = optionErrors(WHAT);

/**
 * Runs handlers in a pool of worker threads (piscina): CPU-bound work no longer blocks the event
 * loop, so the other jobs fire on time, and a timeout stops it for real (the thread is terminated
 * after terminateGrace). Handlers are module files registered by name (`handlers`, or
 * workerHandler()); a @ScheduledJob / @JobHandler method cannot run here and is refused.
 * @publicApi
 */
export class WorkerThreadExecutor extends IsolatedExecutor {
  private readonly resourceLimits: ResourceLimits | undefined;
  private readonly execArgv: string[] | undefined;

  constructor(input: WorkerThreadExecutorOptions = {}) {
    assertPiscinaInstalled();
    const options = readOptions(input, KEYS, WHAT, fail) as WorkerThreadExecutorOptions;
    super(readCommonSettings(options, WHAT));
    this.resourceLimits = options.resourceLimits === undefined ? undefined : readLimits(options.resourceLimits);
    if (options.execArgv !== undefined && !(Array.isArray(options.execArgv) && options.execArgv.every((a) => typeof a === 'string'))) {
      throw fail('execArgv', options.execArgv, 'allowed: an array of strings');
    }
    this.execArgv = options.execArgv;
  }

  protected createPool(): WorkerPool {
    return new ThreadPool({
      minThreads: this.settings.minWorkers,
      maxThreads: this.settings.maxWorkers,
      idleTimeout: this.settings.idleTimeout,
      nice: this.settings.nice,
      ...(this.resourceLimits ? { resourceLimits: this.resourceLimits } : {}),
      ...(this.execArgv ? { execArgv: this.execArgv } : {}),
    });
  }
}

function readLimits(input: unknown): ResourceLimits {
  const limits = readOptions(
    input,
    LIMIT_KEYS,
    `${WHAT} resourceLimits`,
    (f, v, a) => new InvalidSchedulerOptionError(`${WHAT}.resourceLimits.${f}`, v, a),
    'resourceLimits',
  );
  for (const [key, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw fail(`resourceLimits.${key}`, value, 'allowed: a number of MB above 0');
    }
  }
  return limits as ResourceLimits;
}

/** What the runtime answers for a call. */
type Reply = { ok: boolean; value?: unknown; error?: { name: string; message: string; stack?: string; code?: string } };

type PoolSettings = {
  minThreads: number;
  maxThreads: number;
  idleTimeout: number;
  nice: number;
  resourceLimits?: ResourceLimits;
  execArgv?: string[];
};

/**
 * The signal piscina takes to stop the thread of a task: an object with what piscina reads of an
 * AbortSignal, made per run at a fraction of an AbortController's cost (a noop run's round trip is
 * the budget here). Fired only by terminate().
 */
class TerminateHook {
  aborted = false;
  reason: unknown = undefined;
  private listener: (() => void) | undefined;

  addEventListener(_type: 'abort', listener: () => void): void {
    this.listener = listener;
  }

  removeEventListener(): void {
    this.listener = undefined;
  }

  fire(): void {
    this.aborted = true;
    this.reason = 'terminated';
    const listener = this.listener;
    this.listener = undefined;
    listener?.();
  }
}

/**
 * A run as thread-entry.mjs receives it: a flat array, which the structured clone of every
 * postMessage copies faster than nested objects and a Date. Its order is that file's.
 */
function threadTask(m: WorkerMessage): unknown[] {
  const { ctx } = m;
  return [m.id, m.module, m.export, m.args, ctx.jobId, ctx.jobName, ctx.scheduledRunTime.getTime(), ctx.instanceId, ctx.attempt];
}

/** A piscina pool, made at its first run (piscina is loaded only by applications that use it). */
class ThreadPool implements WorkerPool {
  private readonly abortChannelName = `nestjs-apscheduler:${randomUUID()}`;
  private readonly channel = new BroadcastChannel(this.abortChannelName);
  private readonly hooks = new Map<number, TerminateHook>();
  private piscina: Piscina | null = null;
  private loading: Promise<Piscina> | null = null;
  private closed = false;

  constructor(private readonly settings: PoolSettings) {
    this.channel.unref();
  }

  run(message: WorkerMessage): Promise<unknown> {
    if (this.piscina === null) return this.load().then(() => this.run(message));
    const hook = new TerminateHook();
    const { id } = message;
    this.hooks.set(id, hook);
    return this.piscina.run(threadTask(message), { signal: hook }).then(
      (reply: Reply) => {
        this.hooks.delete(id);
        if (reply.ok) return reply.value;
        throw rebuilt(reply.error!);
      },
      (error: unknown) => {
        this.hooks.delete(id);
        throw threadFailure(error);
      },
    );
  }

  abort(id: number, reason: { name: string; message: string }): void {
    this.channel.postMessage({ id, reason });
  }

  terminate(id: number): void {
    // piscina terminates the thread of an aborted task that is running, and starts another when needed.
    this.hooks.get(id)?.fire();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.channel.close();
    const piscina = this.piscina ?? (this.loading ? await this.loading.catch(() => null) : null);
    if (piscina) await piscina.destroy();
  }

  private load(): Promise<Piscina> {
    this.loading ??= import('piscina').then(({ Piscina }) => {
      const piscina = new Piscina({
        filename: runtimeFile('thread-entry.mjs'),
        name: 'runJob',
        minThreads: this.settings.minThreads,
        maxThreads: this.settings.maxThreads,
        idleTimeout: this.settings.idleTimeout,
        concurrentTasksPerWorker: 1,
        workerData: { abortChannel: this.abortChannelName, nice: this.settings.nice },
        ...(this.settings.resourceLimits ? { resourceLimits: this.settings.resourceLimits } : {}),
        ...(this.settings.execArgv ? { execArgv: this.settings.execArgv } : {}),
      });
      // A worker that fails with no task of ours (it cannot happen with one task per worker, but
      // an unhandled 'error' event would end the application).
      piscina.on('error', () => undefined);
      if (this.closed) void piscina.destroy();
      this.piscina = piscina;
      return piscina;
    });
    return this.loading;
  }
}

/** What piscina rejected with when the thread itself failed, as the run's error. */
function threadFailure(error: unknown): Error {
  const err = error as { code?: unknown; message?: unknown } | null;
  if (err?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new WorkerCrashError(
      `the worker thread ran out of memory (ERR_WORKER_OUT_OF_MEMORY): ${String(err.message)}`,
      'ERR_WORKER_OUT_OF_MEMORY',
    );
  }
  const exited = typeof err?.message === 'string' ? /^worker exited with code: ?(-?\d+)/.exec(err.message) : null;
  if (exited) return new WorkerCrashError(`the worker thread exited with code ${exited[1]} while running the job`, 'ERR_WORKER_EXITED');
  // An uncaught throw in the thread (outside the handler's promise) is the error itself.
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * piscina is an optional peer dependency, needed only by this executor: without it, say so when
 * the executor is made rather than fail every run later.
 */
function assertPiscinaInstalled(): void {
  try {
    createRequire(import.meta.url).resolve('piscina');
  } catch (error) {
    throw new Error(
      `${WHAT} needs the 'piscina' package, an optional peer dependency of nestjs-apscheduler that is not installed: ` +
        'install it (npm install piscina@^5). ProcessExecutor and AsyncExecutor need nothing more.',
      { cause: error },
    );
  }
}
