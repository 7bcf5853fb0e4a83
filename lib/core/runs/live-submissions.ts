import type { Submission } from './submission.js';

/**
 * The submissions whose 'running' records this scheduler will finish: after a failed claim, a
 * 'running' record of this instance that none of them holds came from a claim whose answer was
 * lost (see Scheduler.recoverClaims). A submission that is over is not removed when it ends,
 * which would cost every run of a burst a Set deletion at the instant; the set is swept now and
 * then instead, as it grows, so it stays within twice the submissions in progress.
 */
export class LiveSubmissions {
  private readonly submissions = new Set<Submission>();
  private sweepAt = 1024;

  track(submission: Submission): void {
    this.submissions.add(submission);
    if (this.submissions.size >= this.sweepAt) {
      this.sweep();
      this.sweepAt = Math.max(1024, 2 * this.submissions.size);
    }
  }

  /** Those not over. */
  current(): Submission[] {
    this.sweep();
    return [...this.submissions];
  }

  private sweep(): void {
    for (const submission of this.submissions) if (submission.over) this.submissions.delete(submission);
  }
}
