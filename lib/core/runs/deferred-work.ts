import type { ClaimedRun } from '../loop/claim.js';

/** What a run leaves to record once the burst it ran in is over. */
export interface RecordsRun {
  record(run: ClaimedRun, startedAt: number, value: unknown, failure: Error | null): void;
}

const SLOTS = 4;

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
  /**
   * Each entry's start time, apart: an array of numbers only keeps them unboxed, where a slot of
   * `items` would box every one, the only allocation a run made in a burst. An allocation there
   * can set off a GC step (young collection, or a marking step of a major one) mid-burst.
   */
  private readonly startTimes: number[] = [];
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
    items[i + 2] = value;
    items[i + 3] = failure;
    this.startTimes[i / SLOTS] = startedAt;
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
        const value = items[i + 2];
        const failure = items[i + 3] as Error | null;
        const startedAt = this.startTimes[i / SLOTS];
        // Cleared as it goes, so the array, kept for the next burst, holds on to nothing.
        items[i] = items[i + 1] = items[i + 2] = items[i + 3] = undefined;
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
