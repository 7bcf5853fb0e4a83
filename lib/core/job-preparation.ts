import { randomUUID } from 'node:crypto';
import { InvalidJobOptionError, SerializationError } from './errors.js';
import type { JobSpec } from './job.js';
import { assertJsonSafe } from './json-check.js';
import { ADD_JOB_KEYS, MODIFY_JOB_KEYS, assertKnownKeys, assertValidOptions, parseRunTime } from './job-validation.js';
import { triggerJson } from './trigger-cache.js';
import type { AddJobSpec, JobChanges, JobDefaults } from '../interfaces/job-options.interface.js';
import { createTrigger } from '../triggers/create-trigger.js';
import { isTrigger, type Trigger, type TriggerSpec } from '../triggers/trigger.js';

export interface PrepareContext {
  persistent: boolean;
  defaults: JobDefaults;
  timezone: string;
  hasExecutor(name: string): void;
  hasHandler(name: string): void;
}

/** A validated job, ready for a store once its first nextRunTime is known. */
export interface PreparedJob {
  job: JobSpec;
  trigger: Trigger | undefined;
  /** nextRunTime comes from the trigger when the job reaches its store. */
  computeNext: boolean;
  replaceExisting: boolean;
  upsert: boolean;
  /** For an upsert: does a stored trigger describe the same schedule as this one? */
  sameSchedule?: (stored: TriggerSpec) => boolean;
}

/** Everything about a new job that can be wrong is found here, when it is added. */
export function prepareJob(spec: AddJobSpec, ctx: PrepareContext, upsert: boolean): PreparedJob {
  if (typeof spec !== 'object' || spec === null) {
    throw new InvalidJobOptionError('spec', spec, 'allowed: an object with at least a handler');
  }
  assertKnownKeys(spec, ADD_JOB_KEYS, 'job');
  assertValidOptions(spec as unknown as Record<string, unknown>);
  const { handler } = spec;
  if (!(typeof handler === 'function' || (typeof handler === 'string' && handler !== ''))) {
    throw new InvalidJobOptionError('handler', handler, 'allowed: a registered handler name or a function');
  }
  const executor = spec.executor ?? 'default';
  ctx.hasExecutor(executor);
  const trigger = createTrigger(spec.trigger ?? { type: 'date' }, { timezone: ctx.timezone, now: new Date() });
  const args = spec.args ?? [];
  const storedTrigger = ctx.persistent ? serialisable(handler, args, trigger) : trigger;
  const explicitNext = spec.nextRunTime !== undefined;
  const job: JobSpec = {
    id: spec.id ?? randomUUID().replace(/-/g, ''),
    name: spec.name ?? (typeof handler === 'string' ? handler : handler.name || 'anonymous'),
    handler,
    args,
    trigger: storedTrigger,
    executor,
    coalesce: spec.coalesce ?? ctx.defaults.coalesce,
    maxInstances: spec.maxInstances ?? ctx.defaults.maxInstances,
    misfireGraceTime: spec.misfireGraceTime !== undefined ? spec.misfireGraceTime : ctx.defaults.misfireGraceTime,
    timeout: spec.timeout ?? null,
    rerunOnLoss: spec.rerunOnLoss ?? false,
    nextRunTime: spec.nextRunTime == null ? null : parseRunTime(spec.nextRunTime, ctx.timezone),
  };
  return {
    job,
    trigger,
    computeNext: !explicitNext,
    replaceExisting: spec.replaceExisting ?? false,
    upsert,
    sameSchedule: upsert && !explicitNext ? sameScheduleAs(spec.trigger, storedTrigger) : undefined,
  };
}

/** Applies modifyJob's changes to a job, validating them as addJob would. */
export function prepareChanges(
  job: JobSpec,
  changes: JobChanges,
  ctx: PrepareContext,
  trigger?: Trigger,
): { job: JobSpec; trigger?: Trigger; computeNext: boolean | 'keep' } {
  if (typeof changes !== 'object' || changes === null) {
    throw new InvalidJobOptionError('changes', changes, 'allowed: an object of job options');
  }
  assertKnownKeys(changes, MODIFY_JOB_KEYS, 'modifyJob');
  assertValidOptions(changes as Record<string, unknown>);
  if (changes.id !== undefined && changes.id !== job.id) {
    throw new InvalidJobOptionError('id', changes.id, 'a job id cannot change (remove the job and add it again)');
  }
  if (changes.handler !== undefined) {
    if (typeof changes.handler !== 'string' || changes.handler === '') {
      throw new InvalidJobOptionError('handler', changes.handler, 'allowed: a registered handler name');
    }
    ctx.hasHandler(changes.handler);
  }
  if (changes.executor !== undefined) ctx.hasExecutor(changes.executor);
  const { nextRunTime, ...rest } = changes;
  const updated: JobSpec = { ...job, ...(rest as Partial<JobSpec>) };
  if (changes.timeout !== undefined) updated.timeout = changes.timeout;
  if (trigger) updated.trigger = trigger;
  if (ctx.persistent) {
    updated.trigger = serialisable(updated.handler, updated.args, isTrigger(updated.trigger) ? updated.trigger : null) ?? updated.trigger;
  }
  if (nextRunTime !== undefined) {
    updated.nextRunTime = nextRunTime === null ? null : parseRunTime(nextRunTime, ctx.timezone);
    return { job: updated, trigger, computeNext: false };
  }
  return { job: updated, trigger, computeNext: 'keep' };
}

/** For a persistent store: the JSON form of the trigger, after refusing what JSON cannot keep. */
function serialisable(handler: JobSpec['handler'], args: unknown[], trigger: Trigger): TriggerSpec;
function serialisable(handler: JobSpec['handler'], args: unknown[], trigger: Trigger | null): TriggerSpec | null;
function serialisable(handler: JobSpec['handler'], args: unknown[], trigger: Trigger | null): TriggerSpec | null {
  if (typeof handler !== 'string') {
    throw new SerializationError('handler', 'a function cannot be stored; register it with @JobHandler and pass its name');
  }
  assertJsonSafe(args, 'args');
  if (!trigger) return null;
  const json = trigger.toJSON();
  if (isTrigger(json)) {
    throw new SerializationError('trigger', `trigger ${trigger.toString()} has no JSON form; its toJSON() must return a built-in trigger spec`);
  }
  assertJsonSafe(json, 'trigger');
  return json;
}

/**
 * Whether a stored trigger is the one the code declares. An interval without startDate starts
 * "now", so two boots never give equal JSON; its startDate is left out of the comparison.
 */
function sameScheduleAs(declared: TriggerSpec | undefined, current: TriggerSpec): (stored: TriggerSpec) => boolean {
  const currentJson = triggerJson(current);
  const floating = typeof declared === 'object' && declared !== null && !isTrigger(declared)
    && declared.type === 'interval' && declared.startDate === undefined;
  return (stored) => {
    if (triggerJson(stored) === currentJson) return true;
    if (!floating) return false;
    return withoutStart(stored) === withoutStart(current);
  };
}

function withoutStart(spec: TriggerSpec): string {
  const json = JSON.parse(triggerJson(spec)) as Record<string, unknown>;
  delete json.startDate;
  return JSON.stringify(json);
}
