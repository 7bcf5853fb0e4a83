import { nextRetryDelay } from './backoff.js';
import type { Outcome } from './job.js';
import { settlesWithin } from './settles-within.js';
import type { JobStore } from '../stores/job-store.js';


interface Item {
  executionId: string;
  outcome: Outcome;
}

/**
 * Writes how runs ended, per store, in batches: runs that end together share one write (one statement on PostgreSQL) instead of a transaction each, which is most of a
 * database store's cost per fire. A failed write is retried with back-off until it lands: a record
 * left 'running' would count against maxInstances for as long as this process lives.
 */
export class OutcomeWriter {
  private readonly buffers = new Map<string, Item[]>();
  private readonly flushing = new Map<string, Promise<void>>();
  private readonly scheduled = new Set<string>();
  private readonly sleepers = new Set<() => void>();
  private abandoned = false;
  private readonly idle: (() => void)[] = [];

  constructor(
    private readonly storeOf: (alias: string) => JobStore | undefined,
    private readonly onError: (alias: string, error: unknown) => void,
  ) {}

  add(store: string, executionId: string, outcome: Outcome): void {
    let buffer = this.buffers.get(store);
    if (!buffer) this.buffers.set(store, (buffer = []));
    buffer.push({ executionId, outcome });
    if (this.flushing.has(store) || this.scheduled.has(store)) return;
    this.scheduled.add(store);
    // Runs that end in the same synchronous stretch share a write; while one is in flight, the
    // next batch gathers behind it.
    queueMicrotask(() => {
      this.scheduled.delete(store);
      this.flush(store);
    });
  }

  /** True when everything was written within `ms`. */
  async settle(ms: number): Promise<boolean> {
    if (this.isIdle()) return true;
    return settlesWithin(new Promise<void>((resolve) => this.idle.push(resolve)), ms);
  }

  /** Stops retrying (shutdown gave up): what is unwritten stays 'running' for the lost-run rules. */
  abandon(): number {
    this.abandoned = true;
    for (const wake of [...this.sleepers]) wake();
    const unwritten = [...this.buffers.values()].reduce((n, items) => n + items.length, 0);
    this.buffers.clear();
    return unwritten;
  }

  /** Accepts work again after a shutdown, for a scheduler that is started again. */
  reset(): void {
    this.abandoned = false;
  }

  private flush(store: string): void {
    if (this.flushing.has(store)) return;
    const items = this.take(store);
    if (items.length === 0) return this.checkIdle();
    const write = this.write(store, items).finally(() => {
      this.flushing.delete(store);
      if ((this.buffers.get(store)?.length ?? 0) > 0 && !this.abandoned) this.flush(store);
      else this.checkIdle();
    });
    this.flushing.set(store, write);
  }

  private async write(store: string, items: Item[]): Promise<void> {
    for (let delay = nextRetryDelay(); ; delay = nextRetryDelay(delay)) {
      const target = this.storeOf(store);
      if (!target) return;
      try {
        await target.finishExecutions(items);
        return;
      } catch (error) {
        this.onError(store, error);
      }
      if (this.abandoned) return;
      await this.sleep(delay);
      if (this.abandoned) return;
      items = items.concat(this.take(store));
    }
  }

  private take(store: string): Item[] {
    const items = this.buffers.get(store) ?? [];
    this.buffers.delete(store);
    return items;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private isIdle(): boolean {
    return this.flushing.size === 0 && this.scheduled.size === 0 && [...this.buffers.values()].every((b) => b.length === 0);
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}
