import { nextRetryDelay } from '../../utils/backoff.js';
import type { Outcome, RetryRecord } from './execution.js';
import { settlesWithin } from '../../utils/settles-within.js';
import { OutcomeRefusedError } from '../errors.js';
import type { JobStore } from '../../stores/job-store.js';

interface Item {
  executionId: string;
  outcome: Outcome;
  /** The job whose submission this outcome ends (its last run), or null. */
  closes: string | null;
  /** Landed in the store (while the rest of its batch may still be retried). */
  written?: boolean;
}

const NO_COUNTS: ReadonlyMap<string, number> = new Map();

/** Items that fail one after another, even in minimal form, before the store is taken for down. */
const DOWN_AFTER = 3;
/** The most characters of a refused outcome's error kept in its minimal form. */
const MAX_REFUSAL_CHARS = 500;

/**
 * Writes how runs ended, per store, in batches: runs that end together share one write (one
 * statement on PostgreSQL) instead of a transaction each, which is most of a database store's cost
 * per fire. A write that fails is retried with back-off until it lands: a record left 'running'
 * would count against maxInstances for as long as this process lives. One outcome the store
 * refuses (a value it cannot hold) must not hold up the others: a failed batch is split to find
 * it, and it is written in a minimal form instead (see isolate()).
 */
export class OutcomeWriter {
  private readonly buffers = new Map<string, Item[]>();
  private readonly flushing = new Map<string, Promise<void>>();
  /** What each flush in progress is writing, so shutdown can count it when it gives up. */
  private readonly inFlight = new Map<string, Item[]>();
  private readonly scheduled = new Set<string>();
  /** Writes waiting out their back-off: each wakes on its timer, at shutdown, or when its store is reachable again. */
  private readonly sleepers = new Set<{ store: string; wake: () => void }>();
  /** Stores that answered again while a write of theirs slept: its back-off starts over. */
  private readonly reachedAgain = new Set<string>();
  /** Outcomes that end a submission and are not written yet, in all stores. */
  private unwrittenCloses = 0;
  /**
   * Per store with a claim in progress, per job: submissions whose record was written since the
   * claim began. The store may have counted them 'running' before the write committed (a count
   * read on one connection, the write landing on another), so the claim still subtracts them.
   */
  private readonly writtenDuringClaim = new Map<string, Map<string, number>>();
  private abandoned = false;
  private readonly idle: (() => void)[] = [];

  constructor(
    private readonly storeOf: (alias: string) => JobStore | undefined,
    private readonly onError: (alias: string, error: unknown) => void,
    /** A write to the store landed (health); once per batch, not per outcome. */
    private readonly onWritten?: (alias: string) => void,
    /** An outcome that schedules a retry landed: the store has the retry now. */
    private readonly onRetryRecorded?: (alias: string, retry: RetryRecord) => void,
  ) {}

  /**
   * `closes`: the job id when this outcome ends the job's submission. Until it is written the
   * store still counts that submission as running; see unwrittenSubmissions().
   */
  add(store: string, executionId: string, outcome: Outcome, closes: string | null = null): void {
    let buffer = this.buffers.get(store);
    if (!buffer) this.buffers.set(store, (buffer = []));
    buffer.push({ executionId, outcome, closes });
    if (closes !== null) this.unwrittenCloses++;
    if (this.flushing.has(store) || this.scheduled.has(store)) return;
    this.scheduled.add(store);
    // Runs that end in the same synchronous stretch share a write; while one is in flight, the
    // next batch gathers behind it.
    queueMicrotask(() => {
      this.scheduled.delete(store);
      this.flush(store);
    });
  }

  /**
   * Per job of `store`, the submissions that have ended here but that the store still counts as
   * running, because their last record is not written yet. A claim subtracts them from the
   * store's count: otherwise a job whose run just ended would be refused as 'max_instances'. Built
   * by a scan, once per claim batch (the caller keeps it), so a fire pays nothing for it.
   */
  unwrittenSubmissions(store: string): ReadonlyMap<string, number> {
    const duringClaim = this.writtenDuringClaim.get(store);
    if (this.unwrittenCloses === 0 && (duringClaim === undefined || duringClaim.size === 0)) return NO_COUNTS;
    const counts = new Map<string, number>(duringClaim);
    for (const items of [this.buffers.get(store), this.inFlight.get(store)]) {
      if (items === undefined) continue;
      for (const item of items) if (item.closes !== null && !item.written) counts.set(item.closes, (counts.get(item.closes) ?? 0) + 1);
    }
    return counts;
  }

  /**
   * A claim of `store` begins: until claimEnded, a submission whose record is written still
   * counts in unwrittenSubmissions, since the claim's count may predate the write. A write that
   * landed before the claim began is in the count's snapshot and is not subtracted.
   */
  claimStarted(store: string): void {
    this.writtenDuringClaim.set(store, new Map());
  }

  claimEnded(store: string): void {
    this.writtenDuringClaim.delete(store);
  }

  /** The execution ids of one store waiting to be written or being written. */
  pendingIds(store: string): string[] {
    const items = [...(this.buffers.get(store) ?? []), ...(this.inFlight.get(store) ?? [])];
    return items.map((item) => item.executionId);
  }

  /** True when everything was written within `ms`. */
  async settle(ms: number): Promise<boolean> {
    if (this.isIdle()) return true;
    return settlesWithin(new Promise<void>((resolve) => this.idle.push(resolve)), ms);
  }

  /**
   * Stops retrying (shutdown gave up): what is unwritten stays 'running' for the lost-run rules.
   * Returns how many records that is, those of writes still in flight included.
   */
  abandon(): number {
    this.abandoned = true;
    for (const sleeper of [...this.sleepers]) sleeper.wake();
    let unwritten = 0;
    for (const items of this.buffers.values()) unwritten += items.length;
    for (const items of this.inFlight.values()) unwritten += items.length;
    this.buffers.clear();
    this.unwrittenCloses = 0;
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
    this.inFlight.set(store, items);
    const write = this.write(store, items).finally(() => {
      this.flushing.delete(store);
      this.inFlight.delete(store);
      if ((this.buffers.get(store)?.length ?? 0) > 0 && !this.abandoned) this.flush(store);
      else this.checkIdle();
    });
    this.flushing.set(store, write);
  }

  private async write(store: string, items: Item[]): Promise<void> {
    for (let delay: number | undefined = nextRetryDelay(); ; delay = nextRetryDelay(delay)) {
      const target = this.storeOf(store);
      if (!target) return this.written(store, items);
      try {
        await target.finishExecutions(items);
        this.reachedAgain.delete(store);
        return this.written(store, items);
      } catch (error) {
        this.onError(store, error);
      }
      // The store answers but refuses something in the batch: write around it now.
      items = await this.isolate(store, target, items);
      if (items.length === 0 || this.abandoned) return;
      if (!this.reachedAgain.has(store)) await this.sleep(store, delay);
      if (this.abandoned) return;
      // The store said it answers again (while this write failed, or slept): the back-off starts over.
      if (this.reachedAgain.delete(store)) delay = undefined;
      items = items.concat(this.take(store));
      this.inFlight.set(store, items);
    }
  }

  /**
   * After a batch failed: is the store down, or does it refuse (or hold up) some outcomes? Writes
   * the items one by one. One the store refuses twice in full is written in its minimal form (status and times,
   * its error text reduced to plain ASCII) and reported. One for which not even that lands is
   * kept to retry later, and the others go on without it; when several in a row fail so, the
   * store is down, and the rest is kept too.
   */
  private async isolate(store: string, target: JobStore, items: Item[]): Promise<Item[]> {
    const left: Item[] = [];
    let failedInARow = 0;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (this.abandoned || failedInARow >= DOWN_AFTER) return left.concat(items.slice(i));
      // Tried twice in full before it counts as refused: the write right after a dropped
      // connection fails on the dead connection, and the pool hands the next one a fresh one.
      if ((await this.tryWrite(store, target, item)) || (await this.tryWrite(store, target, item))) {
        failedInARow = 0;
      } else if (await this.tryWrite(store, target, minimal(item))) {
        // The copy was counted as written; the item itself is done too.
        item.written = true;
        failedInARow = 0;
        this.onError(store, new OutcomeRefusedError(item.executionId));
      } else {
        failedInARow++;
        left.push(item);
      }
    }
    return left;
  }

  private async tryWrite(store: string, target: JobStore, item: Item): Promise<boolean> {
    try {
      await target.finishExecutions([item]);
    } catch {
      return false;
    }
    this.written(store, [item]);
    return true;
  }

  private written(store: string, items: readonly Item[]): void {
    for (const item of items) {
      if (item.written) continue;
      item.written = true;
      if (item.closes !== null) {
        this.unwrittenCloses--;
        const duringClaim = this.writtenDuringClaim.get(store);
        duringClaim?.set(item.closes, (duringClaim.get(item.closes) ?? 0) + 1);
      }
      const retry = item.outcome.retry;
      if (retry != null && this.onRetryRecorded !== undefined) this.onRetryRecorded(store, retry);
    }
    this.onWritten?.(store);
  }

  private take(store: string): Item[] {
    const items = this.buffers.get(store) ?? [];
    this.buffers.delete(store);
    return items;
  }

  /**
   * The store reached its database again after failing (JobStore's StoreContext.reachable): its
   * writes waiting out a back-off are made now, instead of up to 30 s after the database is back.
   */
  storeReachable(store: string): void {
    if (!this.flushing.has(store)) return;
    this.reachedAgain.add(store);
    for (const sleeper of [...this.sleepers]) if (sleeper.store === store) sleeper.wake();
  }

  private sleep(store: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        store,
        wake: () => {
          clearTimeout(timer);
          this.sleepers.delete(sleeper);
          resolve();
        },
      };
      const timer = setTimeout(sleeper.wake, ms);
      this.sleepers.add(sleeper);
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

/** The outcome with nothing a store could refuse: status, times, and its error as plain ASCII. */
function minimal(item: Item): Item {
  const { outcome } = item;
  const durationMs = outcome.durationMs === null || !Number.isFinite(outcome.durationMs) ? null : Math.round(outcome.durationMs);
  return {
    executionId: item.executionId,
    closes: item.closes,
    outcome: {
      status: outcome.status,
      startedAt: outcome.startedAt,
      finishedAt: outcome.finishedAt,
      durationMs,
      error:
        outcome.error === null
          ? null
          : `${outcome.error.slice(0, MAX_REFUSAL_CHARS).replace(/[^\x20-\x7e]/g, '?')} [the store refused the full text]`,
      traceback: null,
      retry: outcome.retry ?? null,
    },
  };
}
