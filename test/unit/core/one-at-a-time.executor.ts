import type { Executor, ExecutorTask } from '../../../lib/executors/executor.js';

/**
 * An executor that runs one submission at a time and says nothing of a limit, so the scheduler
 * hands it everything due: what it has not started yet waits in its queue, as runs do in any
 * executor that queues.
 */
export class OneAtATimeExecutor implements Executor {
  running = 0;
  private readonly waiting: ExecutorTask[] = [];
  private current: Promise<void> | null = null;

  get queued(): number {
    return this.waiting.length;
  }

  start(): void {}

  submit(task: ExecutorTask): void {
    this.waiting.push(task);
    this.next();
  }

  async shutdown(): Promise<void> {
    for (const task of this.waiting.splice(0)) task.cancel('the executor is shut down');
    await this.current;
  }

  private next(): void {
    if (this.current !== null) return;
    const task = this.waiting.shift();
    if (!task) return;
    this.running++;
    this.current = Promise.resolve(task.run()).finally(() => {
      this.running--;
      this.current = null;
      this.next();
    });
  }
}
