import type { CompatKind } from './compat-metadata.js';

const noop = (): void => undefined;

/**
 * What SchedulerRegistry.getInterval() / getTimeout() return for a decorated @Interval / @Timeout:
 * the job stands where @nestjs/schedule had a Node timer. deleteInterval(name) / deleteTimeout(name)
 * remove the job; so does `clearInterval(handle)` / `clearTimeout(handle)`, which @nestjs/schedule's
 * documentation shows: Node clears a timer by setting its `_onTimeout` to null (lib/timers.js, the
 * same in Node 20 to 24), which this handle watches. A test in test/integration/schedule-compat
 * fails if a Node version stops doing so.
 * @publicApi
 */
export class JobTimerHandle {
  private cleared = false;

  constructor(
    readonly kind: Exclude<CompatKind, 'cron'>,
    readonly name: string,
    readonly jobId: string,
    private readonly removeJob: () => Promise<void>,
  ) {
    Object.defineProperty(this, 'removeJob', { enumerable: false });
  }

  /** True once the job was removed through this handle (or the registry). */
  get isCleared(): boolean {
    return this.cleared;
  }

  /** Removes the job (until the next bootstrap adds it again). Resolves when it is removed. */
  clear(): Promise<void> {
    if (this.cleared) return Promise.resolve();
    this.cleared = true;
    return this.removeJob();
  }

  /** @internal Node's clearTimeout/clearInterval read this to tell a live timer, and set it to null. */
  get _onTimeout(): (() => void) | null {
    return this.cleared ? null : noop;
  }

  set _onTimeout(value: unknown) {
    if (value === null) void this.clear();
  }
}
