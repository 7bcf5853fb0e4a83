import { randomUUID } from 'node:crypto';
import { InvalidJobOptionError, SerializationError } from '../errors.js';
import type { JobSpec } from './job.js';
import type { JobHandlerFunction } from './job-options.js';
import { assertJsonSafe } from './json-check.js';
import { assertFiresFrom } from '../../triggers/fire-time.js';
import { ADD_JOB_KEYS, JOB_LIMITS, MODIFY_JOB_KEYS, assertJsonSize, parseRunTime, readJobOptions } from './job-validation.js';
import { checkName } from '../../utils/option-checks.js';
import { describeThrown, isStorableString } from '../../utils/thrown-value.js';
import { triggerJson } from './trigger-cache.js';
import type { AddJobSpec, JobChanges, JobDefaults } from './job-options.js';
import type { RetryPolicy } from './retry-policy.js';
import { createTrigger } from '../../triggers/create-trigger.js';
import { isTrigger, type Trigger, type TriggerSpec } from '../../triggers/trigger.js';

export interface PrepareContext {
  persistent: boolean;
  /** Args must be JSON: in every persistent store, and in the others unless they allow otherwise. */
  jsonArgs: boolean;
  defaults: JobDefaults;
  timezone: string;
  hasExecutor(name: string): void;
  hasHandler(name: string): void;
  /** Throws when the job's store cannot keep retries (JobStore.supportsRetries) and it has a policy. */
  canRetry(policy: RetryPolicy | null): void;
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
export function prepareJob(input: AddJobSpec, ctx: PrepareContext, upsert: boolean): PreparedJob {
  if (typeof input !== 'object' || input === null) {
    throw new InvalidJobOptionError('spec', input, 'allowed: an object with at least a handler');
  }
  const spec = readJobOptions(input, ADD_JOB_KEYS, 'job', 'spec') as Partial<AddJobSpec>;
  const handler = checkHandler(spec.handler, true);
  const executor = spec.executor ?? 'default';
  ctx.hasExecutor(executor);
  const now = new Date();
  const trigger = createTrigger(spec.trigger ?? { type: 'date' }, { timezone: ctx.timezone, now });
  const args = spec.args ?? [];
  const storedTrigger = ctx.persistent ? serialisable(handler, args, trigger) : trigger;
  if (ctx.jsonArgs && !ctx.persistent) assertJsonSafe(args, 'args');
  checkArgsSize(args, ctx.jsonArgs);
  // A trigger that never fires would be added as a paused job that resumeJob deletes: refused.
  // Not for a job declared in code (upsert): a campaign that has ended must not stop the app.
  if (spec.nextRunTime === undefined && !upsert) assertFiresFrom(trigger, now);
  const explicitNext = spec.nextRunTime !== undefined;
  const job: JobSpec = {
    id: spec.id ?? randomUUID().replace(/-/g, ''),
    name: spec.name ?? defaultName(handler),
    handler,
    args,
    trigger: storedTrigger,
    executor,
    coalesce: spec.coalesce ?? ctx.defaults.coalesce,
    maxInstances: spec.maxInstances ?? ctx.defaults.maxInstances,
    misfireGraceTime: spec.misfireGraceTime !== undefined ? spec.misfireGraceTime : ctx.defaults.misfireGraceTime,
    timeout: spec.timeout ?? null,
    rerunOnLoss: spec.rerunOnLoss ?? false,
    // Both read by readJobOptions into a RetryPolicy (or null).
    retry: (spec.retry !== undefined ? spec.retry : ctx.defaults.retry) as RetryPolicy | null,
    nextRunTime: spec.nextRunTime == null ? null : parseRunTime(spec.nextRunTime, ctx.timezone),
  };
  ctx.canRetry(job.retry);
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
  input: JobChanges,
  ctx: PrepareContext,
  trigger?: Trigger,
): { job: JobSpec; trigger?: Trigger; computeNext: boolean | 'keep' } {
  if (typeof input !== 'object' || input === null) {
    throw new InvalidJobOptionError('changes', input, 'allowed: an object of job options');
  }
  // Only the options given (not undefined) change: the rest keep their stored values.
  const changes = readJobOptions(input, MODIFY_JOB_KEYS, 'modifyJob', 'changes') as JobChanges;
  if (changes.id !== undefined && changes.id !== job.id) {
    throw new InvalidJobOptionError('id', changes.id, 'a job id cannot change (remove the job and add it again)');
  }
  if (changes.handler !== undefined) ctx.hasHandler(checkHandler(changes.handler, false) as string);
  if (changes.executor !== undefined) ctx.hasExecutor(changes.executor);
  if (changes.retry !== undefined) ctx.canRetry(changes.retry as RetryPolicy | null);
  const { nextRunTime, ...rest } = changes;
  const updated: JobSpec = { ...job, ...(rest as Partial<JobSpec>) };
  if (trigger) updated.trigger = trigger;
  if (ctx.persistent) {
    updated.trigger = serialisable(updated.handler, updated.args, isTrigger(updated.trigger) ? updated.trigger : null) ?? updated.trigger;
  }
  if (changes.args !== undefined) {
    if (ctx.jsonArgs && !ctx.persistent) assertJsonSafe(updated.args, 'args');
    checkArgsSize(updated.args, ctx.jsonArgs);
  }
  if (nextRunTime !== undefined) {
    updated.nextRunTime = nextRunTime === null ? null : parseRunTime(nextRunTime, ctx.timezone);
    return { job: updated, trigger, computeNext: false };
  }
  return { job: updated, trigger, computeNext: 'keep' };
}

/** A handler name (or, for addJob, a function), checked against what every store keeps. */
function checkHandler(handler: unknown, functionAllowed: boolean): string | JobHandlerFunction {
  if (functionAllowed && typeof handler === 'function') return handler as JobHandlerFunction;
  const allowed = functionAllowed ? 'allowed: a registered handler name or a function' : 'allowed: a registered handler name';
  if (typeof handler !== 'string' || handler === '') throw new InvalidJobOptionError('handler', handler, allowed);
  return checkName((f, v, a) => new InvalidJobOptionError(f, v, a), 'handler', handler, JOB_LIMITS.name);
}

/** A job's default name: its handler's name, clipped to what a store keeps. */
function defaultName(handler: string | JobHandlerFunction): string {
  if (typeof handler === 'string') return handler;
  let name: unknown;
  try {
    name = handler.name;
  } catch {
    name = undefined;
  }
  return typeof name === 'string' && name !== '' && isStorableString(name) ? name.slice(0, JOB_LIMITS.name) : 'anonymous';
}

/**
 * Args must fit every store once written as JSON. A memory store allowed to hold args that are not
 * JSON (functions, class instances) keeps those unmeasured.
 */
function checkArgsSize(args: unknown[], jsonArgs: boolean): void {
  let json: string | undefined;
  try {
    json = JSON.stringify(args);
  } catch (error) {
    if (jsonArgs) throw new SerializationError('args', describeThrown(error));
    return;
  }
  if (json !== undefined) assertJsonSize('args', json);
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
  let json: TriggerSpec;
  try {
    json = trigger.toJSON();
  } catch (error) {
    throw new SerializationError('trigger', `its toJSON() threw: ${describeThrown(error)}`);
  }
  if (isTrigger(json)) {
    throw new SerializationError(
      'trigger',
      `trigger ${trigger.toString()} has no JSON form; its toJSON() must return a built-in trigger spec`,
    );
  }
  assertJsonSafe(json, 'trigger');
  assertJsonSize('trigger', JSON.stringify(json));
  return json;
}

/**
 * Whether a stored trigger is the one the code declares. An interval without startDate starts
 * "now", so two boots never give equal JSON; its startDate is left out of the comparison.
 */
function sameScheduleAs(declared: TriggerSpec | undefined, current: TriggerSpec): (stored: TriggerSpec) => boolean {
  const currentJson = triggerJson(current);
  const floating =
    typeof declared === 'object' &&
    declared !== null &&
    !isTrigger(declared) &&
    declared.type === 'interval' &&
    declared.startDate === undefined;
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
