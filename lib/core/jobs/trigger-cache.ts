import { createTrigger } from '../../triggers/create-trigger.js';
import { isTrigger, type Trigger, type TriggerSpec } from '../../triggers/trigger.js';

/**
 * Compiled triggers of stored jobs, by store and job id. A persistent store hands back JSON on
 * every claim; compiling a cron expression each time would dominate the cost of a fire.
 */
export class TriggerCache {
  private readonly compiled = new Map<string, { source: string; trigger: Trigger }>();
  /** Stored jobs reported as unplannable (by a claim or on read), by store and job id: reported once. */
  private readonly reported = new Set<string>();

  constructor(private readonly timezone: () => string) {}

  get(store: string, jobId: string, spec: TriggerSpec): Trigger {
    if (isTrigger(spec)) return spec;
    const key = cacheKey(store, jobId);
    const source = JSON.stringify(spec);
    const hit = this.compiled.get(key);
    if (hit && hit.source === source) return hit.trigger;
    const trigger = createTrigger(spec, { timezone: this.timezone() });
    this.compiled.set(key, { source, trigger });
    return trigger;
  }

  /** True the first time a job's trigger is reported as one that cannot be compiled. */
  markReported(store: string, jobId: string): boolean {
    const key = cacheKey(store, jobId);
    if (this.reported.has(key)) return false;
    this.reported.add(key);
    return true;
  }

  /** The job's trigger changed: a new fault of it is reported again. */
  clearReported(store: string, jobId: string): void {
    this.reported.delete(cacheKey(store, jobId));
  }

  /** The job is gone. */
  forget(store: string, jobId: string): void {
    this.compiled.delete(cacheKey(store, jobId));
    this.clearReported(store, jobId);
  }

  forgetStore(store: string): void {
    const prefix = `${store}\u0000`;
    for (const key of this.compiled.keys()) if (key.startsWith(prefix)) this.compiled.delete(key);
    for (const key of this.reported) if (key.startsWith(prefix)) this.reported.delete(key);
  }
}

/** The JSON a trigger spec is compared by, whatever form it is held in. */
export function triggerJson(spec: TriggerSpec): string {
  return JSON.stringify(isTrigger(spec) ? spec.toJSON() : spec);
}

/** The key of a job of a store in both maps; forgetStore() matches its prefix. */
function cacheKey(store: string, jobId: string): string {
  return `${store}\u0000${jobId}`;
}
