import { HandlerRegistry, type JobContext, type JobHandlerFunction } from '../../../lib/index.js';

/**
 * A HandlerRegistry whose get() throws for the poisoned names (has() still says yes). It counts
 * the calls of the handlers registered through it, per `jobId@scheduledRunTime`.
 */
export class PoisonedRegistry extends HandlerRegistry {
  private readonly poisoned = new Set<string>();
  /** get() calls that threw. */
  failures = 0;
  readonly calls = new Map<string, number>();

  override register(name: string, fn: JobHandlerFunction): void {
    super.register(name, (...args: unknown[]) => {
      const ctx = args[args.length - 1] as JobContext;
      const key = `${ctx.jobId}@${ctx.scheduledRunTime.toISOString()}`;
      this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
      return (fn as (...a: unknown[]) => unknown)(...args);
    });
  }

  private readonly corrupted = new Set<string>();

  /** get() answers with something that is not a function. */
  corrupt(name: string): void {
    this.corrupted.add(name);
  }

  poison(name: string): void {
    this.poisoned.add(name);
  }

  cure(name: string): void {
    this.poisoned.delete(name);
  }

  override get(name: string): JobHandlerFunction | undefined {
    if (this.poisoned.has(name)) {
      this.failures++;
      throw new Error(`handler registry failed to resolve '${name}': lookup table corrupted`);
    }
    if (this.corrupted.has(name)) return 'not a function' as unknown as JobHandlerFunction;
    return super.get(name);
  }
}
