/**
 * A binary min-heap of job ids by due time that also knows where each id sits, so a job can be
 * rescheduled or removed in O(log n) instead of a scan.
 */
export class JobHeap {
  private readonly ids: string[] = [];
  private readonly times: number[] = [];
  private readonly position = new Map<string, number>();

  get size(): number {
    return this.ids.length;
  }

  peekTime(): number | undefined {
    return this.times[0];
  }

  peekId(): string | undefined {
    return this.ids[0];
  }

  has(id: string): boolean {
    return this.position.has(id);
  }

  /** Inserts or moves `id` to `time`. */
  set(id: string, time: number): void {
    const at = this.position.get(id);
    if (at === undefined) {
      this.ids.push(id);
      this.times.push(time);
      this.position.set(id, this.ids.length - 1);
      this.up(this.ids.length - 1);
    } else {
      const old = this.times[at];
      this.times[at] = time;
      if (time < old) this.up(at);
      else this.down(at);
    }
  }

  delete(id: string): boolean {
    const at = this.position.get(id);
    if (at === undefined) return false;
    const last = this.ids.length - 1;
    this.swap(at, last);
    this.ids.pop();
    this.times.pop();
    this.position.delete(id);
    if (at < this.ids.length) {
      this.up(at);
      this.down(at);
    }
    return true;
  }

  clear(): void {
    this.ids.length = 0;
    this.times.length = 0;
    this.position.clear();
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.times[parent] <= this.times[i]) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.ids.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let least = i;
      if (l < n && this.times[l] < this.times[least]) least = l;
      if (r < n && this.times[r] < this.times[least]) least = r;
      if (least === i) return;
      this.swap(i, least);
      i = least;
    }
  }

  private swap(a: number, b: number): void {
    if (a === b) return;
    [this.ids[a], this.ids[b]] = [this.ids[b], this.ids[a]];
    [this.times[a], this.times[b]] = [this.times[b], this.times[a]];
    this.position.set(this.ids[a], a);
    this.position.set(this.ids[b], b);
  }
}
