/**
 * How long to wait before retrying a store that failed: doubling from 100 ms to 30 s. The first
 * retry is quick: most failures are one dropped connection or one deadlock, and the fire times a
 * failed claim was taking must be claimed again within their misfireGraceTime (default 1 s).
 */
export function nextRetryDelay(previous?: number): number {
  return previous === undefined ? 100 : Math.min(previous * 2, 30_000);
}
