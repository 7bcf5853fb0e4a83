/** setTimeout fires after 1 ms for delays above 2^31-1 ms, so long waits are cut and re-armed. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * The scheduler's single timer. Calls `onWake` once the wall clock has reached the target, never
 * before: Node may fire a timer ~1 ms early, and treating that as due could fire a cron slot twice.
 */
export class WakeTimer {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private target: number | null = null;

  constructor(private readonly onWake: () => void) {}

  /** The time the timer is armed for, if any. */
  get armedFor(): number | null {
    return this.target;
  }

  /** Arms for `at` (epoch ms), replacing any earlier arming. */
  arm(at: number): void {
    this.cancel();
    this.target = at;
    this.schedule();
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.target = null;
  }

  private schedule(): void {
    const delay = Math.min(Math.max(this.target! - Date.now(), 0), MAX_DELAY);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.target === null) return;
      if (Date.now() < this.target) {
        this.schedule();
        return;
      }
      this.target = null;
      this.onWake();
    }, delay);
  }
}
