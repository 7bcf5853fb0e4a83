import { InvalidSchedulerOptionError } from '../core/errors.js';
import { MAX_INT32, checkWhole, readOptions, type OptionErrorFactory } from '../utils/option-checks.js';
import type { Executor, ExecutorTask } from './executor.js';

const EXECUTOR_KEYS: ReadonlySet<string> = new Set(['maxConcurrency']);
const optionError: OptionErrorFactory = (field, value, allowed) =>
  new InvalidSchedulerOptionError(`AsyncExecutor.${field}`, value, `${allowed}, or Infinity for no limit`);
/**
 * No limit by default. An await costs the event loop nothing, so a limit on async handlers does
 * not protect the CPU (APScheduler's 10 threads do); it queues I/O-bound runs behind each other
 * until they miss their fire times. Set one to protect what the handlers share (a pool of database
 * connections, an API's rate limit). maxInstances already keeps one job from overlapping itself.
 */
export const DEFAULT_MAX_CONCURRENCY = Infinity;

/** @publicApi */
export interface AsyncExecutorOptions {
  /** Submissions that may run at once; more wait in a FIFO queue. Default: Infinity (no limit). */
  maxConcurrency?: number;
}

/**
 * Runs submissions on the event loop, at most `maxConcurrency` at a time. Suits I/O-bound
 * handlers; CPU-bound work blocks the loop whatever the executor. A submission that completes
 * synchronously frees its slot at once, so a burst of quick jobs runs in one pass of the queue.
 * @publicApi
 */
export class AsyncExecutor implements Executor {
  readonly maxConcurrency: number;
  private active = 0;
  private readonly waiting: ExecutorTask[] = [];
  private head = 0;
  private stopped = false;
  private draining = false;
  private idle: (() => void) | null = null;

  constructor(input: AsyncExecutorOptions = {}) {
    const options = readOptions(input, EXECUTOR_KEYS, 'AsyncExecutor', optionError) as AsyncExecutorOptions;
    const max = options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
    if (max !== Infinity) checkWhole(optionError, 'maxConcurrency', max, 1, MAX_INT32);
    this.maxConcurrency = max;
  }

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length - this.head;
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

  submitMany(tasks: readonly ExecutorTask[]): void {
    if (this.stopped) {
      for (const task of tasks) task.cancel('the executor is shut down');
      return;
    }
    if (this.draining || this.head < this.waiting.length) {
      for (let i = 0; i < tasks.length; i++) this.waiting.push(tasks[i]);
      this.drain();
      return;
    }
    // Nothing waits before them: they start straight from the given list, so the first handler of
    // a burst does not wait for ten thousand tasks to be copied into the queue.
    const queued = this.waiting.length;
    let next = 0;
    this.draining = true;
    try {
      while (next < tasks.length && !this.stopped && this.active < this.maxConcurrency) this.runInSlot(tasks[next++]);
    } finally {
      this.draining = false;
    }
    if (next < tasks.length) {
      if (this.stopped) {
        for (; next < tasks.length; next++) tasks[next].cancel('the scheduler shut down before the run started');
      } else {
        // What the handlers submitted meanwhile was queued already; the rest of these came first.
        const meanwhile = this.waiting.splice(queued);
        for (; next < tasks.length; next++) this.waiting.push(tasks[next]);
        for (let i = 0; i < meanwhile.length; i++) this.waiting.push(meanwhile[i]);
      }
    }
    this.drain();
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    const left = this.waiting.slice(this.head);
    this.waiting.length = 0;
    this.head = 0;
    for (const task of left) task.cancel('the scheduler shut down before the run started');
    if (this.active > 0) await new Promise<void>((resolve) => (this.idle = resolve));
  }

  /** Starts queued tasks while there are free slots; a loop, not recursion, so a long burst cannot overflow the stack. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.stopped && this.active < this.maxConcurrency && this.head < this.waiting.length) {
        const task = this.waiting[this.head];
        this.waiting[this.head++] = undefined as unknown as ExecutorTask;
        this.runInSlot(task);
      }
      if (this.head === this.waiting.length) {
        // Emptied in place: a new array would start over as a different kind of array, and the
        // compiled loop that filled the old one would be thrown away at the next burst.
        this.waiting.length = 0;
        this.head = 0;
      }
    } finally {
      this.draining = false;
    }
    this.notifyIdle();
  }

  /** Runs a task in a slot; one that completes synchronously gives the slot back at once. */
  private runInSlot(task: ExecutorTask): void {
    this.active++;
    let pending: Promise<void> | void;
    try {
      pending = task.run();
    } catch {
      pending = undefined;
    }
    if (pending)
      pending.then(
        () => this.release(),
        () => this.release(),
      );
    else this.active--;
  }

  private release(): void {
    this.active--;
    this.drain();
  }

  private notifyIdle(): void {
    if (this.active === 0 && this.idle) {
      this.idle();
      this.idle = null;
    }
  }
}
