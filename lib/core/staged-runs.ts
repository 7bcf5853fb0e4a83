import type { Submission } from './job-run.js';

/** The runs waiting for one fire time, and the executor they all use (null when they differ). */
interface Bucket {
  runs: Submission[];
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
 */
export class StagedRuns {
  private readonly byTime = new Map<number, Bucket>();
  private min = Infinity;

  /** The earliest fire time waiting (epoch ms), Infinity when none. */
  get earliest(): number {
    return this.min;
  }

  add(at: number, submission: Submission): void {
    const bucket = this.byTime.get(at);
    if (bucket === undefined) {
      this.byTime.set(at, { runs: [submission], executor: submission.executor });
      if (at < this.min) this.min = at;
      return;
    }
    bucket.runs.push(submission);
    if (bucket.executor !== submission.executor) bucket.executor = null;
  }

  /** Removes and returns what is due at `now`. */
  takeDue(now: number): DueRuns {
    if (this.min > now) return NOTHING;
    const times = [...this.byTime.keys()].filter((t) => t <= now).sort((a, b) => a - b);
    const buckets = times.map((t) => this.byTime.get(t)!);
    for (const t of times) this.byTime.delete(t);
    this.recomputeMin();
    if (buckets.length === 1) return buckets[0];
    const executor = buckets.every((b) => b.executor !== null && b.executor === buckets[0].executor) ? buckets[0].executor : null;
    return { runs: buckets.flatMap((b) => b.runs), executor };
  }

  /** Removes and returns the waiting runs `matches` accepts. */
  takeWhere(matches: (submission: Submission) => boolean): Submission[] {
    const taken: Submission[] = [];
    for (const [time, bucket] of this.byTime) {
      const kept = bucket.runs.filter((s) => !matches(s));
      if (kept.length === bucket.runs.length) continue;
      for (const s of bucket.runs) if (matches(s)) taken.push(s);
      if (kept.length === 0) this.byTime.delete(time);
      else bucket.runs = kept;
    }
    if (taken.length > 0) this.recomputeMin();
    return taken;
  }

  private recomputeMin(): void {
    this.min = Infinity;
    for (const t of this.byTime.keys()) if (t < this.min) this.min = t;
  }
}
