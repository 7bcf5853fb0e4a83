import type { ClaimedRun } from './job.js';

/** What a run leaves to record once the burst it ran in is over. */
export interface RecordsRun {
  record(run: ClaimedRun, startedAt: number, value: unknown, failure: Error | null): void;
}

const SLOTS = 5;

/**
 * Work put off until the current synchronous stretch ends, done in the order it was given: the
 * history record and events of runs that completed during a burst, so ten thousand handlers due at
 * one instant are called back to back. Kept in one flat, reused array: a burst allocates nothing
 * here once the array has grown.
 */
export class DeferredWork {
  // Never replaced, only refilled: were it reassigned, V8 would stop treating the field as constant
  // at that moment and throw away the compiled burst code that writes to it (record() is inlined
  // into every run), so the second burst would run unoptimised.
  private readonly items: unknown[] = [];
  private length = 0;
  /** A flush is queued or under way; work given meanwhile joins it. */
  private scheduled = false;

  constructor(private readonly onError: (error: unknown) => void) {}

  /** A run that ended: `owner.record(...)` is called later. */
  record(owner: RecordsRun, run: ClaimedRun, startedAt: number, value: unknown, failure: Error | null): void {
    const i = this.length;
    this.length += SLOTS;
    const items = this.items;
    items[i] = owner;
    items[i + 1] = run;
    items[i + 2] = startedAt;
    items[i + 3] = value;
    items[i + 4] = failure;
    if (!this.scheduled) this.schedule();
  }

  call(task: () => void): void {
    this.record(CALL, null as unknown as ClaimedRun, 0, task, null);
  }

  /** Resolves once everything given so far (and what that gave) is done. */
  async settle(): Promise<void> {
    while (this.scheduled) await new Promise<void>((resolve) => queueMicrotask(resolve));
  }

  private schedule(): void {
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** Does the work in order, including work given while it runs (the loop reads `length` afresh). */
  private flush(): void {
    const items = this.items;
    try {
      for (let i = 0; i < this.length; i += SLOTS) {
        const owner = items[i] as RecordsRun;
        const run = items[i + 1] as ClaimedRun;
        const startedAt = items[i + 2] as number;
        const value = items[i + 3];
        const failure = items[i + 4] as Error | null;
        // Cleared as it goes, so the array, kept for the next burst, holds on to nothing.
        items[i] = items[i + 1] = items[i + 3] = items[i + 4] = undefined;
        try {
          owner.record(run, startedAt, value, failure);
        } catch (error) {
          this.onError(error);
        }
      }
    } finally {
      this.length = 0;
      this.scheduled = false;
    }
  }
}

/** Runs a plain task given through call(). */
const CALL: RecordsRun = {
  record: (_run, _startedAt, task) => (task as () => void)(),
};
