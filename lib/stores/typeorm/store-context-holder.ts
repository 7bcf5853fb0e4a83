import type { JobStoreErrorEvent } from '../../core/events/scheduler-events.js';
import type { StoreContext } from '../job-store.js';

/**
 * The scheduler's StoreContext as the store's parts see it: start() sets it. A store used before
 * that (directly, by a tool or a test) still works: its rows are owned by 'unknown' and problems
 * go unreported.
 */
export class StoreContextHolder {
  ctx: StoreContext | undefined;

  /** The alias the store was added under, for JobLookupError. */
  get alias(): string | undefined {
    return this.ctx?.alias;
  }

  /** The owner written into execution records. */
  get instanceId(): string {
    return this.ctx?.instanceId ?? UNKNOWN_INSTANCE;
  }

  /** Emits a jobstore_error. */
  report(error: Error, jobId?: string): void {
    if (!this.ctx) return;
    const event: JobStoreErrorEvent = {
      type: 'jobstore_error',
      timestamp: new Date(),
      instanceId: this.ctx.instanceId,
      store: this.ctx.alias,
      error,
      ...(jobId === undefined ? {} : { jobId }),
    };
    this.ctx.emit(event);
  }
}

/** Owner of rows written before start() gave the store an instance id. */
const UNKNOWN_INSTANCE = 'unknown';
