/** How long to wait before retrying a store that failed: doubling from half a second to 30 s. */
export function nextRetryDelay(previous?: number): number {
  return previous === undefined ? 500 : Math.min(previous * 2, 30_000);
}
