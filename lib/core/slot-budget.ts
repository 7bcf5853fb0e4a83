import type { Executor } from '../executors/executor.js';

/**
 * How many more runs a pass may claim for each executor: its free slots, less what is staged for
 * it and what this pass claimed already. A job is claimed only when its run can start at once;
 * otherwise it stays in its store, where it waits for a slot here or another replica takes it,
 * instead of queueing in this executor until its misfireGraceTime runs out. Executors without a
 * limit (the default AsyncExecutor) always have room and cost nothing here.
 */
export class SlotBudget {
  private readonly claimed = new Map<string, number>();
  /** A job was left unclaimed for want of a slot since the last reset. */
  exhausted = false;

  constructor(
    private readonly executorOf: (alias: string) => Executor | undefined,
    private readonly stagedFor: (alias: string) => number,
  ) {}

  /** A new pass: nothing claimed yet. */
  reset(): void {
    this.claimed.clear();
    this.exhausted = false;
  }

  /** Takes a slot of `alias` for one submission; false when it has none free. */
  take(alias: string): boolean {
    const executor = this.executorOf(alias);
    const max = executor?.maxConcurrency;
    if (executor === undefined || max === undefined || max === Infinity) return true;
    const claimed = this.claimed.get(alias) ?? 0;
    if (executor.running + executor.queued + this.stagedFor(alias) + claimed >= max) {
      this.exhausted = true;
      return false;
    }
    this.claimed.set(alias, claimed + 1);
    return true;
  }
}
