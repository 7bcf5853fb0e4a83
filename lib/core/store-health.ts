import type { JobStore, StoreHeartbeat } from '../stores/job-store.js';

/** What the scheduler knows of one store's health (Scheduler.health()). @publicApi */
export interface StoreHealth {
  alias: string;
  shared: boolean;
  /** The store failed (jobstore_error of the store itself) and has not succeeded since. */
  failing: boolean;
  /** The store's last failure, if any since the scheduler was made. */
  lastError: { at: Date; message: string } | null;
  /** The last store operation of the loop, an outcome write or a heartbeat that succeeded. */
  lastSuccessAt: Date | null;
  /** This instance's heartbeat in a shared store; null for a store without one. */
  heartbeat: StoreHeartbeat | null;
}

interface Entry {
  errorAt: number;
  error: string;
  successAt: number;
  failing: boolean;
}

/**
 * Per store, whether it has failed since its last success. Fed by the loop (a store's pass went
 * through), the outcome writer (a batch landed) and jobstore_error without a job id (the store
 * itself failed: errors about one job's row or trigger are that job's, invariant 3). A success
 * costs a map lookup and a Date.now(), once per store and pass.
 */
export class StoreHealthRecorder {
  private readonly entries = new Map<string, Entry>();

  succeeded(alias: string): void {
    const entry = this.entry(alias);
    entry.successAt = Date.now();
    entry.failing = false;
  }

  failed(alias: string, error: Error): void {
    const entry = this.entry(alias);
    entry.errorAt = Date.now();
    entry.error = error.message;
    entry.failing = true;
  }

  forget(alias: string): void {
    this.entries.delete(alias);
  }

  snapshot(alias: string, store: JobStore): StoreHealth {
    const entry = this.entries.get(alias);
    let heartbeat: StoreHeartbeat | null;
    try {
      heartbeat = store.heartbeat?.() ?? null;
    } catch {
      // A store whose heartbeat() throws (a custom one) is taken as one without a heartbeat.
      heartbeat = null;
    }
    const beatAt = heartbeat?.lastBeatAt?.getTime() ?? Number.NaN;
    const ownAt = entry?.successAt ?? Number.NaN;
    const successAt = Number.isNaN(ownAt) ? beatAt : Number.isNaN(beatAt) ? ownAt : Math.max(ownAt, beatAt);
    // A heartbeat that went through after the failure is a success of the store too.
    const failing = entry !== undefined && entry.failing && !(beatAt > entry.errorAt);
    return {
      alias,
      shared: store.shared,
      failing,
      lastError: entry === undefined || Number.isNaN(entry.errorAt) ? null : { at: new Date(entry.errorAt), message: entry.error },
      lastSuccessAt: Number.isNaN(successAt) ? null : new Date(successAt),
      heartbeat,
    };
  }

  private entry(alias: string): Entry {
    let entry = this.entries.get(alias);
    if (entry === undefined) {
      entry = { errorAt: Number.NaN, error: '', successAt: Number.NaN, failing: false };
      this.entries.set(alias, entry);
    }
    return entry;
  }
}
