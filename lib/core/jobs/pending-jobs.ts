import type { PreparedJob } from './job-preparation.js';

/** A job added before start(): it reaches its store, and gets its first run time, at start. */
export interface PendingJob extends PreparedJob {
  store: string;
}

/** Jobs added while the scheduler is stopped, in the order they were added, found by store and id. */
export class PendingJobs {
  private list: PendingJob[] = [];
  private readonly byKey = new Map<string, PendingJob>();

  get size(): number {
    return this.list.length;
  }

  [Symbol.iterator](): Iterator<PendingJob> {
    return this.list[Symbol.iterator]();
  }

  /** With no store: the first store (in `stores` order) that has the id. */
  find(id: string, store: string | undefined, stores: Iterable<string>): PendingJob | undefined {
    if (this.list.length === 0) return undefined;
    if (store !== undefined) return this.byKey.get(key(id, store));
    for (const alias of stores) {
      const found = this.byKey.get(key(id, alias));
      if (found) return found;
    }
    return undefined;
  }

  add(entry: PendingJob): void {
    this.list.push(entry);
    this.byKey.set(key(entry.job.id, entry.store), entry);
  }

  delete(entry: PendingJob): void {
    this.list.splice(this.list.indexOf(entry), 1);
    this.byKey.delete(key(entry.job.id, entry.store));
  }

  /** Removes the jobs of one store, or all. */
  clear(store?: string): void {
    for (const entry of [...this.list]) if (store === undefined || entry.store === store) this.delete(entry);
  }

  /** Empties the list and returns what it held, in order. */
  takeAll(): PendingJob[] {
    const all = this.list;
    this.list = [];
    this.byKey.clear();
    return all;
  }
}

function key(id: string, store: string): string {
  return `${store}\u0000${id}`;
}
