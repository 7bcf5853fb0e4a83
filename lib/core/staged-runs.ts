import type { Submission } from './job-run.js';

const NOTHING: readonly Submission[] = Object.freeze([]);

/**
 * Runs claimed ahead of their fire time (the scheduler's `claimAhead`), waiting for it. The claim,
 * its history record and the handler's context were made before; at the instant only the handlers
 * are left to call, so ten thousand jobs due at once all start within a few milliseconds.
 */
export class StagedRuns {
  private readonly byTime = new Map<number, Submission[]>();
  private min = Infinity;

  /** The earliest fire time waiting (epoch ms), Infinity when none. */
  get earliest(): number {
    return this.min;
  }

  add(at: number, submission: Submission): void {
    let list = this.byTime.get(at);
    if (list === undefined) {
      this.byTime.set(at, (list = []));
      if (at < this.min) this.min = at;
    }
    list.push(submission);
  }

  /** Removes and returns what is due at `now`, earliest fire time first. */
  takeDue(now: number): readonly Submission[] {
    if (this.min > now) return NOTHING;
    const times = [...this.byTime.keys()].filter((t) => t <= now).sort((a, b) => a - b);
    const due = times.length === 1 ? this.byTime.get(times[0])! : times.flatMap((t) => this.byTime.get(t)!);
    for (const t of times) this.byTime.delete(t);
    this.recomputeMin();
    return due;
  }

  /** Removes and returns the waiting runs `matches` accepts. */
  takeWhere(matches: (submission: Submission) => boolean): Submission[] {
    const taken: Submission[] = [];
    for (const [time, list] of this.byTime) {
      const kept = list.filter((s) => !matches(s));
      if (kept.length === list.length) continue;
      for (const s of list) if (matches(s)) taken.push(s);
      if (kept.length === 0) this.byTime.delete(time);
      else this.byTime.set(time, kept);
    }
    if (taken.length > 0) this.recomputeMin();
    return taken;
  }

  /** The waiting runs of one job, left in place. */
  find(store: string, jobId: string): Submission[] {
    const found: Submission[] = [];
    for (const list of this.byTime.values()) for (const s of list) if (s.jobId === jobId && s.store === store) found.push(s);
    return found;
  }

  private recomputeMin(): void {
    this.min = Infinity;
    for (const t of this.byTime.keys()) if (t < this.min) this.min = t;
  }
}
