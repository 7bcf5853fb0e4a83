/**
 * How long after the instant a claim left part of to its peers this process looks again: long
 * enough for the peers' claims of that instant to have committed, short against misfireGraceTime.
 */
export const FOLLOW_UP_MS = 20;

/**
 * The part of an instant's due runs one replica claims while others claim the same tables (README,
 * "Several replicas"): what is due divided by the live instances, rounded up. One replica taking
 * a whole instant would queue runs its executors cannot start in time while the others sit idle.
 *
 * A claim that left runs to its peers looks again just after that instant: what a peer did not
 * take (it was slow, it died, or it stopped and handed its claimed runs back) is then taken here,
 * a share of the rest each time, without waiting for pollInterval (MySQL/MariaDB has no NOTIFY).
 */
export class FairShare {
  private followUp: NodeJS.Timeout | undefined;
  private followUpAt = Infinity;

  constructor(
    /** How many other live instances claim from these tables (0: none known, or not shared). */
    private readonly peers: () => number,
    /** Wakes this process's loop for a pass. */
    private readonly wake: () => void,
  ) {}

  /** Whether a claim should count what is due first: only with peers to share with. */
  get shared(): boolean {
    return this.peers() > 0;
  }

  /**
   * The most jobs a claim up to `horizon` (epoch ms) takes when `due` jobs are due by then and it
   * could take `limit`; arranges the follow-up look when that leaves some to the peers.
   */
  limit(due: number, limit: number, horizon: number): number {
    const share = Math.ceil(due / (this.peers() + 1));
    if (share < due) this.lookAgainAfter(horizon);
    return Math.min(limit, share);
  }

  stop(): void {
    clearTimeout(this.followUp);
    this.followUp = undefined;
    this.followUpAt = Infinity;
  }

  private lookAgainAfter(horizon: number): void {
    const at = Math.max(horizon, Date.now()) + FOLLOW_UP_MS;
    if (this.followUp !== undefined && this.followUpAt <= at) return;
    clearTimeout(this.followUp);
    this.followUpAt = at;
    this.followUp = setTimeout(() => {
      this.followUp = undefined;
      this.followUpAt = Infinity;
      this.wake();
    }, at - Date.now());
    this.followUp.unref();
  }
}
