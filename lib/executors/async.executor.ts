import type { Executor, ExecutorTask } from './executor.js';

/** @publicApi */
export interface AsyncExecutorOptions {
  /** Submissions that may run at once; more wait in a FIFO queue. Default: 10. */
  maxConcurrency?: number;
}

/**
 * Runs submissions on the event loop, at most `maxConcurrency` at a time. Suits I/O-bound
 * handlers; CPU-bound work blocks the loop whatever the executor.
 * @publicApi
 */
export class AsyncExecutor implements Executor {
  readonly maxConcurrency: number;
  private active = 0;
  private readonly waiting: ExecutorTask[] = [];
  private head = 0;
  private stopped = false;
  private idle: (() => void) | null = null;

  constructor(options: AsyncExecutorOptions = {}) {
    const max = options.maxConcurrency ?? 10;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`AsyncExecutor: maxConcurrency must be a whole number >= 1, got ${String(max)}`);
    }
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
    } else if (this.active < this.maxConcurrency) {
      this.launch(task);
    } else {
      this.waiting.push(task);
    }
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    for (const task of this.waiting.splice(this.head)) task.cancel('the scheduler shut down before the run started');
    this.waiting.length = 0;
    this.head = 0;
    if (this.active > 0) await new Promise<void>((resolve) => (this.idle = resolve));
  }

  private launch(task: ExecutorTask): void {
    this.active++;
    task.run().then(
      () => this.settle(),
      () => this.settle(),
    );
  }

  private settle(): void {
    this.active--;
    if (!this.stopped && this.head < this.waiting.length) {
      const next = this.waiting[this.head];
      this.waiting[this.head++] = undefined as unknown as ExecutorTask;
      // Compact now and then so a long-lived queue does not keep every task ever submitted.
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      this.launch(next);
    } else if (this.active === 0 && this.idle) {
      this.idle();
      this.idle = null;
    }
  }
}
