/** The most a pass starts early beyond claimAhead: bounds how long before its time a run is fixed. */
export const MAX_CLAIM_LEAD = 1000;
/** Each pass keeps this share of the lead it inherited, so one slow pass is forgotten gradually. */
const DECAY = 0.9;

/**
 * How much earlier than `claimAhead` the loop starts a pass, learnt from how long recent claiming
 * passes took. Claiming ten thousand jobs due at one instant takes tens of milliseconds (more with a
 * database); a pass that began only `claimAhead` before the instant would still be claiming when it
 * came, and every handler would start that much late. Starting earlier by the time the last passes
 * took leaves the whole of `claimAhead` as margin.
 */
export class ClaimLead {
  private lead = 0;

  /** ms to start a pass before `claimAhead`. */
  get ms(): number {
    return this.lead;
  }

  /** A pass that claimed runs ahead of their time took `elapsed` ms. */
  observe(elapsed: number): void {
    this.lead = Math.min(MAX_CLAIM_LEAD, Math.max(elapsed, Math.floor(this.lead * DECAY)));
  }
}
