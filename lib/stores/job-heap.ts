interface Entry {
  readonly id: string;
  time: number;
  /** Where the entry sits in the heap array, so moving it needs no lookup per swap. */
  at: number;
}

/**
 * A binary min-heap of job ids by due time that also knows where each id sits, so a job can be
 * rescheduled or removed in O(log n) instead of a scan.
 */
export class JobHeap {
  private readonly heap: Entry[] = [];
  private readonly entries = new Map<string, Entry>();

  get size(): number {
    return this.heap.length;
  }

  peekTime(): number | undefined {
    return this.heap[0]?.time;
  }

  peekId(): string | undefined {
    return this.heap[0]?.id;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** Inserts or moves `id` to `time`. */
  set(id: string, time: number): void {
    const entry = this.entries.get(id);
    if (entry === undefined) {
      const added: Entry = { id, time, at: this.heap.length };
      this.heap.push(added);
      this.entries.set(id, added);
      this.up(added.at);
    } else {
      const old = entry.time;
      entry.time = time;
      if (time < old) this.up(entry.at);
      else this.down(entry.at);
    }
  }

  delete(id: string): boolean {
    const entry = this.entries.get(id);
    if (entry === undefined) return false;
    this.entries.delete(id);
    const last = this.heap.pop()!;
    if (last !== entry) {
      this.heap[entry.at] = last;
      last.at = entry.at;
      this.up(last.at);
      this.down(last.at);
    }
    return true;
  }

  clear(): void {
    this.heap.length = 0;
    this.entries.clear();
  }

  private up(i: number): void {
    const heap = this.heap;
    const entry = heap[i];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].time <= entry.time) break;
      heap[i] = heap[parent];
      heap[i].at = i;
      i = parent;
    }
    heap[i] = entry;
    entry.at = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const entry = heap[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && heap[r].time < heap[l].time ? r : l;
      if (heap[child].time >= entry.time) break;
      heap[i] = heap[child];
      heap[i].at = i;
      i = child;
    }
    heap[i] = entry;
    entry.at = i;
  }
}
