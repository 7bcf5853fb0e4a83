import type { Executor } from '../../executors/executor.js';

/**
 * How many more runs a pass may claim for each executor: its free slots, less what is staged for
 * it and what this pass claimed already. A job is claimed only when its run can start at once;
 * otherwise it stays in its store, where it waits for a slot here or another replica takes it,
 * instead of queueing in this executor until its misfireGraceTime runs out. Executors without a
 * limit (the default AsyncExecutor) always have room and cost nothing here.
 */
export class SlotBudget {
  /** Claimed by the current batch and not yet handed to the executor. */
  private readonly claimed = new Map<string, number>();
  /** Executors a job was left unclaimed for since the pass began. */
  private readonly full = new Set<string>();

  /** A job was left unclaimed for want of a slot since the pass began. */
  get exhausted(): boolean {
    return this.full.size > 0;
  }

  constructor(
    private readonly executorOf: (alias: string) => Executor | undefined,
    private readonly stagedFor: (alias: string) => number,
    private readonly executors: () => Iterable<[string, Executor]> = () => [],
  ) {}

  /** A new pass: nothing claimed yet. */
  reset(): void {
    if (this.claimed.size > 0) this.claimed.clear();
    if (this.full.size > 0) this.full.clear();
  }

  /** The batch's claims were handed over: the executors' own counts include them now. */
  handedOver(): void {
    if (this.claimed.size > 0) this.claimed.clear();
  }

  /** Whether an executor that was full has a free slot again (its runs ended within the pass). */
  freed(): boolean {
    for (const alias of this.full) if (this.free(alias) > 0) return true;
    return false;
  }

  /**
   * The most runs the pass could still start on any executor: how many due retries are worth
   * offering (a retry left for want of a slot is put back, at a cost per retry). Infinity when an
   * executor has no limit.
   */
  room(): number {
    let total = 0;
    for (const [alias, executor] of this.executors()) {
      const max = executor.maxConcurrency;
      if (max === undefined || max === Infinity) return Infinity;
      total += Math.max(0, this.free(alias));
    }
    return total;
  }

  /** Takes a slot of `alias` for one submission; false when it has none free. */
  take(alias: string): boolean {
    const executor = this.executorOf(alias);
    const max = executor?.maxConcurrency;
    if (executor === undefined || max === undefined || max === Infinity) return true;
    if (this.free(alias) <= 0) {
      this.full.add(alias);
      return false;
    }
    this.claimed.set(alias, (this.claimed.get(alias) ?? 0) + 1);
    return true;
  }

  private free(alias: string): number {
    const executor = this.executorOf(alias);
    const max = executor?.maxConcurrency;
    if (executor === undefined || max === undefined) return Infinity;
    return max - executor.running - executor.queued - this.stagedFor(alias) - (this.claimed.get(alias) ?? 0);
  }
}
