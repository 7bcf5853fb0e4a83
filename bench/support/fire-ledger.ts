import type { ChildResult } from './scenario.js';
import { cpuMs, sleep, sleepUntil, wallNow } from './clock.js';
import { Samples, summarize } from './stats.js';

const round = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Counts fires per (job, second of the window): a count of 0 is a missed fire time, above 1 a
 * duplicate. Lateness is kept for the first fire of each pair only. record() runs inside every
 * measured handler, so it only stores; what is derived from the records is computed in result().
 */
export class FireLedger {
  /** One row of `jobs` counts per second of the window, and a last row for fires outside it. */
  readonly counts: Uint8Array;
  /** Lateness of the first fire of each (job, second), ms; read where counts > 0. */
  readonly late: Float64Array;

  /**
   * `windowStart` may be given later (openWindow): a ledger made before the jobs are added lets
   * the handler record from its very first call, so its compiled code never meets a new path.
   */
  constructor(
    readonly jobs: number,
    readonly windowSeconds: number,
    public windowStart = Infinity,
  ) {
    this.counts = new Uint8Array(jobs * (windowSeconds + 1));
    this.late = new Float64Array(jobs * (windowSeconds + 1));
  }

  record(job: number, scheduled: number, started: number): void {
    const slot = (scheduled - this.windowStart) / 1000;
    // A fire outside the window goes to the last row through the same code as one inside: the
    // window's first fires then run code compiled on the fires before it. (A branch taken for the
    // first time at the window's start runs cold: V8 may have flushed its feedback while the jobs
    // were being added, and the handler inlining it is deoptimised mid-burst.)
    const row = slot >= 0 && slot < this.windowSeconds && Number.isInteger(slot) ? slot : this.windowSeconds;
    // Second-major: the jobs of one second fire in order, so a burst writes memory in sequence.
    const at = row * this.jobs + job;
    const count = this.counts[at];
    if (count === 0) this.late[at] = started - scheduled;
    if (count < 255) this.counts[at] = count + 1;
  }

  /** Fires outside the window (a job's count saturates at 255). */
  get outside(): number {
    let n = 0;
    for (let at = this.jobs * this.windowSeconds; at < this.counts.length; at++) n += this.counts[at];
    return n;
  }

  /** Sets the window's first second (epoch ms); fires before it count as outside. */
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

  /**
   * Runs record() through every path (inside and outside the window, first and repeated fires) on
   * a scratch ledger, so the instrument is compiled before the window instead of being
   * deoptimised in its first second, which would add its own warm-up to both variants' lateness.
   */
  static warmUp(): void {
    // Times like the real ones (epoch ms, beyond the small-integer range): a scratch ledger
    // starting at 0 would give windowStart another field representation than the real one has,
    // and the compiled record() would be thrown away ("wrong map") at the first real fire.
    const start = Math.floor(Date.now() / 1000) * 1000;
    const scratch = new FireLedger(100, 10);
    scratch.openWindow(start);
    for (let round = 0; round < 50; round++) {
      for (let job = 0; job < 100; job++) {
        for (const offset of [-1000, 0, 3000, 9000, 10_000]) scratch.record(job, start + offset, wallNow());
      }
    }
  }

  result(info: ChildResult['info']): ChildResult {
    let missed = 0;
    let duplicates = 0;
    const lateness = new Samples(this.jobs * this.windowSeconds);
    // The worst lateness of each second of the window: shows warm-up apart from the steady state.
    const worstPerSecond = new Float64Array(this.windowSeconds).fill(-Infinity);
    for (let at = 0; at < this.jobs * this.windowSeconds; at++) {
      const count = this.counts[at];
      if (count === 0) {
        missed++;
        continue;
      }
      duplicates += count - 1;
      lateness.push(this.late[at]);
      const slot = Math.floor(at / this.jobs);
      worstPerSecond[slot] = Math.max(worstPerSecond[slot], this.late[at]);
    }
    const s = summarize(lateness.values());
    return {
      metrics: { p50: s.p50, p99: s.p99, max: s.max, missed, duplicates, fires: s.n },
      info: {
        expectedFires: this.jobs * this.windowSeconds,
        firesOutsideWindow: this.outside,
        minMs: round(s.min),
        meanMs: round(s.mean),
        p90Ms: round(s.p90),
        worstPerSecondMs: Array.from(worstPerSecond, (ms) => Math.round(ms * 10) / 10).join(' '),
        ...info,
      },
    };
  }
}
