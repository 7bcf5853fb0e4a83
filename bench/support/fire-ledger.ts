import type { ChildResult } from './scenario.js';
import { cpuMs, sleep, sleepUntil, wallNow } from './clock.js';
import { Samples, summarize } from './stats.js';

const round = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Counts fires per (job, second of the window): a count of 0 is a missed fire time, above 1 a
 * duplicate. Lateness is recorded for the first fire of each pair only.
 */
export class FireLedger {
  readonly counts: Uint8Array;
  readonly lateness: Samples;
  outside = 0;

  /**
   * `windowStart` may be given later (openWindow): a ledger made before the jobs are added lets
   * the handler record from its very first call, so its compiled code never meets a new path.
   */
  constructor(
    readonly jobs: number,
    readonly windowSeconds: number,
    public windowStart = Infinity,
  ) {
    this.counts = new Uint8Array(jobs * windowSeconds);
    this.lateness = new Samples(jobs * windowSeconds);
  }

  record(job: number, scheduled: number, started: number): void {
    const slot = (scheduled - this.windowStart) / 1000;
    if (slot < 0 || slot >= this.windowSeconds || !Number.isInteger(slot)) {
      this.outside++;
      return;
    }
    const at = job * this.windowSeconds + slot;
    if (this.counts[at] < 255) this.counts[at]++;
    if (this.counts[at] === 1) this.lateness.push(started - scheduled);
  }

  /**
   * Runs record() through every path (inside and outside the window, first and repeated fires) on
   * a scratch ledger, so the instrument is compiled before the window instead of being
   * deoptimised in its first second, which would add its own warm-up to both variants' lateness.
   */
  openWindow(start: number): void {
    this.windowStart = start;
  }

  /**
   * Opens the window at the first whole second at least `leadMs` from now, waits through it, then
   * `drainMs` more for late fires to arrive. Returns the process CPU time per second of the window.
   */
  async watchWindow(leadMs: number, drainMs: number): Promise<number> {
    this.openWindow(Math.ceil((Date.now() + leadMs) / 1000) * 1000);
    await sleepUntil(this.windowStart);
    const cpu0 = cpuMs();
    await sleepUntil(this.windowStart + this.windowSeconds * 1000);
    const cpu = cpuMs() - cpu0;
    await sleep(drainMs);
    return Math.round(cpu / this.windowSeconds);
  }

  static warmUp(): void {
    const scratch = new FireLedger(100, 10, 0);
    for (let round = 0; round < 50; round++) {
      for (let job = 0; job < 100; job++) {
        for (const scheduled of [-1000, 0, 3000, 9000, 10_000]) scratch.record(job, scheduled, wallNow());
      }
    }
  }

  result(info: ChildResult['info']): ChildResult {
    let missed = 0;
    let duplicates = 0;
    for (const count of this.counts) {
      if (count === 0) missed++;
      else duplicates += count - 1;
    }
    const s = summarize(this.lateness.values());
    return {
      metrics: { p50: s.p50, p99: s.p99, max: s.max, missed, duplicates, fires: s.n },
      info: {
        expectedFires: this.jobs * this.windowSeconds, firesOutsideWindow: this.outside,
        minMs: round(s.min), meanMs: round(s.mean), p90Ms: round(s.p90), ...info,
      },
    };
  }
}
