import type { Submission } from './submission.js';

/** The runs waiting for one fire time, and the executor they all use (null when they differ). */
interface Bucket {
  runs: Submission[];
  /** How many of `runs` are still staged (the others were taken back). */
  live: number;
  executor: string | null;
}

/** What is due at once: the runs, earliest fire time first, and their one executor if they share it. */
export interface DueRuns {
  readonly runs: readonly Submission[];
  readonly executor: string | null;
}

const NOTHING: DueRuns = Object.freeze({ runs: Object.freeze([]), executor: null });

/**
 * Runs claimed ahead of their fire time (the scheduler's `claimAhead`), waiting for it. The claim,
 * its history record and the handler's context were made before; at the instant only the handlers
 * are left to call, so ten thousand jobs due at once all start within a few milliseconds. Which
 * executor they use is kept as they are added, so the instant need not look at each run for it.
 *
 * Every operation costs O(log n) or less whatever is staged: fire times sit in a heap, and runs
 * are indexed by store and job, so pausing or removing one job of ten thousand staged does not
 * scan the others. A run taken back is only marked; its bucket skips it when it fires.
 */
export class StagedRuns {
  private readonly byTime = new Map<number, Bucket>();
  private readonly times = new TimeHeap();
  /** store -> job id -> its staged submission (rarely several). May hold runs that fired: see forget(). */
  private readonly byJob = new Map<string, Map<string, Submission | Submission[]>>();
  /** executor alias -> runs staged for it, which will take its slots at their instant. */
  private readonly perExecutor = new Map<string, number>();

  /** How many staged runs will use the executor `alias`. */
  countFor(alias: string): number {
    return this.perExecutor.get(alias) ?? 0;
  }

  /** The earliest fire time waiting (epoch ms), Infinity when none. */
  get earliest(): number {
    for (;;) {
      const time = this.times.peek();
      if (time === undefined) return Infinity;
      const bucket = this.byTime.get(time);
      if (bucket !== undefined && bucket.live > 0) return time;
      this.times.pop();
      if (bucket !== undefined) this.byTime.delete(time);
    }
  }

  add(at: number, submission: Submission): void {
    submission.stagedAt = at;
    this.index(submission);
    this.count(submission.executor, 1);
    const bucket = this.byTime.get(at);
    if (bucket === undefined) {
      this.byTime.set(at, { runs: [submission], live: 1, executor: submission.executor });
      this.times.push(at);
      return;
    }
    bucket.runs.push(submission);
    bucket.live++;
    if (bucket.executor !== submission.executor) bucket.executor = null;
  }

  /** Removes and returns what is due at `now`. Call forget() with them once they are handed over. */
  takeDue(now: number): DueRuns {
    if (this.earliest > now) return NOTHING;
    const buckets: Bucket[] = [];
    for (let time = this.times.peek(); time !== undefined && time <= now; time = this.times.peek()) {
      this.times.pop();
      const bucket = this.byTime.get(time);
      if (bucket === undefined) continue;
      this.byTime.delete(time);
      if (bucket.live === 0) continue;
      if (bucket.live < bucket.runs.length) {
        // Some were taken back (and maybe staged again at this same time: then they are listed
        // twice, and the first mark below drops the second).
        const kept: Submission[] = [];
        for (const submission of bucket.runs) {
          if (submission.stagedAt !== time) continue;
          submission.stagedAt = Number.NaN;
          kept.push(submission);
        }
        bucket.runs = kept;
      } else {
        for (const submission of bucket.runs) submission.stagedAt = Number.NaN;
      }
      if (bucket.executor !== null) this.count(bucket.executor, -bucket.runs.length);
      else for (const submission of bucket.runs) this.count(submission.executor, -1);
      buckets.push(bucket);
    }
    if (buckets.length === 0) return NOTHING;
    if (buckets.length === 1) return buckets[0]!;
    const executor = buckets.every((b) => b.executor !== null && b.executor === buckets[0]!.executor) ? buckets[0]!.executor : null;
    return { runs: buckets.flatMap((b) => b.runs), executor };
  }

  /** Drops fired runs from the index by job. Done after a burst, not in it, so the instant stays cheap. */
  forget(fired: readonly Submission[]): void {
    for (const submission of fired) this.unindex(submission);
  }

  /** Removes and returns the waiting runs of one job. */
  takeJob(store: string, jobId: string): Submission[] {
    const entry = this.byJob.get(store)?.get(jobId);
    if (entry === undefined) return [];
    const taken = (Array.isArray(entry) ? entry : [entry]).filter((s) => !Number.isNaN(s.stagedAt));
    for (const submission of taken) this.untime(submission);
    this.byJob.get(store)!.delete(jobId);
    if (this.byJob.get(store)!.size === 0) this.byJob.delete(store);
    return taken;
  }

  /** Removes and returns the waiting runs of a whole store. */
  takeStore(store: string): Submission[] {
    const jobs = this.byJob.get(store);
    if (jobs === undefined) return [];
    const taken: Submission[] = [];
    for (const jobId of [...jobs.keys()]) taken.push(...this.takeJob(store, jobId));
    return taken;
  }

  private untime(submission: Submission): void {
    const bucket = this.byTime.get(submission.stagedAt);
    submission.stagedAt = Number.NaN;
    this.count(submission.executor, -1);
    if (bucket !== undefined) bucket.live--;
  }

  private count(alias: string, by: number): void {
    const left = (this.perExecutor.get(alias) ?? 0) + by;
    if (left > 0) this.perExecutor.set(alias, left);
    else this.perExecutor.delete(alias);
  }

  private index(submission: Submission): void {
    let jobs = this.byJob.get(submission.store);
    if (jobs === undefined) this.byJob.set(submission.store, (jobs = new Map()));
    const entry = jobs.get(submission.jobId);
    // An entry whose run has fired is stale: replaced rather than kept beside the new one.
    if (entry === undefined || (!Array.isArray(entry) && Number.isNaN(entry.stagedAt))) jobs.set(submission.jobId, submission);
    else if (Array.isArray(entry)) entry.push(submission);
    else jobs.set(submission.jobId, [entry, submission]);
  }

  private unindex(submission: Submission): void {
    const jobs = this.byJob.get(submission.store);
    const entry = jobs?.get(submission.jobId);
    if (jobs === undefined || entry === undefined) return;
    if (entry === submission) jobs.delete(submission.jobId);
    else if (Array.isArray(entry)) {
      const left = entry.filter((s) => s !== submission);
      if (left.length === 0) jobs.delete(submission.jobId);
      else jobs.set(submission.jobId, left.length === 1 ? left[0]! : left);
    }
    if (jobs.size === 0) this.byJob.delete(submission.store);
  }
}

/** A binary min-heap of epoch ms. */
class TimeHeap {
  private readonly heap: number[] = [];

  peek(): number | undefined {
    return this.heap[0];
  }

  push(time: number): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(time);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= time) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = time;
  }

  pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && heap[r]! < heap[l]! ? r : l;
      if (heap[child]! >= last) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}
