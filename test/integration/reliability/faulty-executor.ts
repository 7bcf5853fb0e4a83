import { AsyncExecutor, type Executor, type ExecutorTask } from '../../../lib/index.js';

/**
 * An AsyncExecutor behind a switch: submit() throws, without running or cancelling the task, for
 * the next submissions of the jobs given to refuse(). No submitMany, so the scheduler hands over
 * every run, staged bursts included, through submit().
 */
export class FaultyExecutor implements Executor {
  protected readonly inner = new AsyncExecutor({ maxConcurrency: 50 });
  private readonly refusals = new Map<string, number>();
  /** Submissions refused so far. */
  refused = 0;

  get running(): number {
    return this.inner.running;
  }

  get queued(): number {
    return this.inner.queued;
  }

  /** The next `times` submissions of `jobId` throw. */
  refuse(jobId: string, times = 1): void {
    this.refusals.set(jobId, times);
  }

  start(): void {
    this.inner.start();
  }

  submit(task: ExecutorTask): void {
    const left = this.refusals.get(task.jobId) ?? 0;
    if (left > 0) {
      this.refusals.set(task.jobId, left - 1);
      this.refused++;
      throw new Error(`executor refused '${task.jobId}': worker pool exhausted`);
    }
    this.inner.submit(task);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/** A FaultyExecutor with submitMany, which throws for a whole burst while `failBursts` lasts. */
export class FaultyBatchExecutor extends FaultyExecutor {
  private burstFaults = 0;
  /** Bursts refused so far, and how many tasks they carried. */
  refusedBursts = 0;
  refusedBurstTasks = 0;

  /** The next burst holding a run of `jobId`: the tasks before it are started, then submitMany throws. */
  private breakAt: string | null = null;

  failBursts(times = 1): void {
    this.burstFaults = times;
  }

  failBurstAt(jobId: string): void {
    this.breakAt = jobId;
  }

  submitMany(tasks: readonly ExecutorTask[]): void {
    const at = this.breakAt === null ? -1 : tasks.findIndex((t) => t.jobId === this.breakAt);
    if (at >= 0) {
      this.breakAt = null;
      this.refusedBursts++;
      this.refusedBurstTasks += tasks.length - at;
      for (const task of tasks.slice(0, at)) this.inner.submit(task);
      throw new Error(`executor broke down at '${tasks[at]!.jobId}' (task ${at + 1} of ${tasks.length}): worker pool exhausted`);
    }
    if (this.burstFaults > 0) {
      this.burstFaults--;
      this.refusedBursts++;
      this.refusedBurstTasks += tasks.length;
      throw new Error(`executor refused a burst of ${tasks.length}: worker pool exhausted`);
    }
    this.inner.submitMany(tasks);
  }
}
