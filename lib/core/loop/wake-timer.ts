/** setTimeout fires after 1 ms for delays above 2^31-1 ms, so long waits are cut and re-armed. */
const MAX_DELAY = 2 ** 31 - 1;
/** How early a precise arming sets its timeout; the rest is waited out by blocking (see blockUntil()). */
const PRECISE_LEAD_MS = 2;
/** Blocking waits are at most this share of the time since the last one, so frequent wakes never block for long in sum. */
const BLOCK_SHARE = 0.02;
/** Slices of a blocking wait: the wall clock is read between them. */
const SLICE_MS = 0.2;
const cell = new Int32Array(new SharedArrayBuffer(4));

/**
 * The scheduler's single timer. Calls `onWake` once the wall clock has reached the target, never
 * before: Node may fire a timer ~1 ms early, and treating that as due could fire a cron slot twice.
 *
 * A timeout fires 0.5–2 ms after its time (Node counts whole ms from a loop time that may be
 * stale). That is nothing for one job, but it delays every handler of a burst claimed ahead. A
 * precise arming therefore sets the timeout 2 ms early and blocks the thread (Atomics.wait, which
 * sleeps without using the CPU) until the wall clock reaches the target.
 */
export class WakeTimer {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private target: number | null = null;
  private precise = false;
  private lastBlock = -Infinity;

  constructor(private readonly onWake: () => void) {}

  /** The time the timer is armed for, if any. */
  get armedFor(): number | null {
    return this.target;
  }

  /** Arms for `at` (epoch ms), replacing any earlier arming; `precise` aims at the millisecond. */
  arm(at: number, precise = false): void {
    this.cancel();
    this.target = at;
    this.precise = precise;
    this.schedule(precise ? PRECISE_LEAD_MS : 0);
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.target = null;
  }

  private schedule(lead: number): void {
    const delay = Math.min(Math.max(this.target! - Date.now() - lead, 0), MAX_DELAY);
    this.timer = setTimeout(() => {
      this.timer = null;
      const target = this.target;
      if (target === null) return;
      if (Date.now() < target && !this.blockUntil(target)) {
        this.schedule(0);
        return;
      }
      this.target = null;
      this.onWake();
    }, delay);
  }

  /**
   * Blocks until the wall clock reaches `target`, when the arming is precise, the target is close
   * and the share of time spent blocked allows it. False when it did not get there: the caller
   * re-arms an ordinary timeout. The wait is bounded by real time, so a clock that does not move
   * (fake timers in a test) costs a few ms once instead of hanging.
   */
  private blockUntil(target: number): boolean {
    const now = Date.now();
    if (!this.precise || target - now > PRECISE_LEAD_MS || target - now > (now - this.lastBlock) * BLOCK_SHARE) return false;
    for (let slices = 0; slices * SLICE_MS <= PRECISE_LEAD_MS + 1; slices++) {
      Atomics.wait(cell, 0, 0, SLICE_MS);
      if (Date.now() >= target) {
        this.lastBlock = target;
        return true;
      }
    }
    this.lastBlock = Date.now();
    return false;
  }
}
