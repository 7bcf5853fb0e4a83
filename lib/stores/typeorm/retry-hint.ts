/**
 * What this process knows of when the store's pending retries come due, so that a claim issues
 * the select of due retries only when one may be due: most stores never hold a retry, and their
 * claims must cost what they cost before retries existed. Every pass learns the truth from
 * getNextRunTime (which reads the earliest retry_at with the next run time), so retries written
 * by other processes are found by the next pass.
 */
export class RetryHint {
  /** Epoch ms of the earliest pending retry known; -Infinity until known (a restart must look). */
  private earliest = -Infinity;

  /** The store's answer: the earliest pending retry's due time, or null for none. */
  seen(retryAt: number | null): void {
    this.earliest = retryAt ?? Infinity;
  }

  /** This process wrote a retry due at `retryAt`. */
  added(retryAt: number): void {
    if (retryAt < this.earliest) this.earliest = retryAt;
  }

  mayBeDue(now: number): boolean {
    return this.earliest <= now;
  }

  /**
   * A claim took every retry due at `now` (found fewer than it could take, and left none): any
   * other is due later, when exactly the next getNextRunTime says.
   */
  drained(now: number): void {
    if (this.earliest <= now) this.earliest = now + 1;
  }
}
