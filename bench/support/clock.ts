/**
 * A wall clock with sub-millisecond resolution: performance.now() anchored to Date.now() at a
 * millisecond edge, so it can be subtracted from scheduled times (epoch ms) without the 1 ms
 * quantisation of Date.now(). Drift over a child process' lifetime (< 1 min) is negligible.
 */
let base = 0;

export function calibrateClock(): void {
  // The first samples are slow (lazy initialisation, cold code) and would anchor the clock up to
  // ~1.5 ms behind Date.now(); the closest of several edges is the true offset.
  let best = -Infinity;
  for (let i = 0; i < 20; i++) {
    const first = Date.now();
    let edge: number;
    while ((edge = Date.now()) === first) {
      // spin to the next millisecond edge
    }
    best = Math.max(best, edge - performance.now());
  }
  base = best;
}

calibrateClock();

/** Epoch ms with sub-ms resolution. */
export function wallNow(): number {
  return base + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Resolves once Date.now() >= at (epoch ms). */
export async function sleepUntil(at: number): Promise<void> {
  for (;;) {
    const left = at - Date.now();
    if (left <= 0) return;
    await sleep(left);
  }
}

/** Forces a full collection when node runs with --expose-gc (the children do). */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

export function heapUsed(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/** User + system CPU time of this process, in ms. */
export function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
