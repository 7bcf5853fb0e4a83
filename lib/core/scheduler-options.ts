import { IANAZone } from 'luxon';
import { InvalidSchedulerOptionError } from './errors.js';
import { JOB_DEFAULT_KEYS, JOB_LIMITS, readJobOptions } from './jobs/job-validation.js';
import { MAX_TIMER_MS, checkName, checkWhole, readOptions, type OptionErrorFactory } from '../utils/option-checks.js';
import type { JobDefaults } from './jobs/job-options.js';
import type { JobStore } from '../stores/job-store.js';
import type { Executor } from '../executors/executor.js';
import type { HandlerRegistry } from './jobs/handler-registry.js';
import type { SchedulerLogger } from './scheduler-logger.js';
import { LOGGED_EVENT_TYPES, LOG_LEVELS, type SchedulerLoggingOptions } from './events/event-logger.js';
import type { RunInstrumentation } from './runs/run-instrumentation.js';

/** Options of the framework-free core scheduler (the module options add autoStart). @publicApi */
export interface SchedulerOptions {
  /** IANA zone for triggers without their own. Default: the process's zone. */
  timezone?: string;
  jobDefaults?: Partial<JobDefaults>;
  /** Default: { default: new MemoryJobStore() }. */
  stores?: Record<string, JobStore>;
  /** Default: { default: new AsyncExecutor() } (no concurrency limit: see AsyncExecutor). */
  executors?: Record<string, Executor>;
  /** Identifies this process in a cluster. Default: host:pid:random. */
  instanceId?: string;
  /** ms; longest sleep when a store is shared with other processes. Default: 1000. */
  pollInterval?: number;
  /** ms to wait for running jobs on shutdown before aborting them. Default: 10000. */
  shutdownTimeout?: number;
  /** Jobs claimed from a store per round trip. Default: 1000. */
  claimBatchSize?: number;
  /**
   * ms before its fire time that a job may be claimed, so that at the instant only its handler is
   * left to call: with thousands of jobs due at once, the last starts milliseconds late instead of
   * the whole claim's time. In a store of this process only (memory), when claims take long, a
   * pass starts earlier still, by about the time recent claims took (at most 1 s more), so that
   * they are done this far ahead. A change made by another process within this window does not
   * affect that fire. 0 claims at the fire time. Default: 100.
   */
  claimAhead?: number;
  logger?: SchedulerLogger;
  /**
   * What the scheduler logs of its events through `logger`: by default job errors at 'error',
   * missed, lost and skipped (maxInstances) runs and store failures at 'warn', successes never, at
   * most 20 lines per kind per 10 s. false logs none of them. See SchedulerLoggingOptions.
   */
  logging?: boolean | SchedulerLoggingOptions;
  /** Wraps every run, e.g. in a trace span (SchedulerModule's `tracing`). Default: none. */
  instrumentation?: RunInstrumentation;
  /** Handlers shared with the Nest layer; default: a new registry. */
  registry?: HandlerRegistry;
}

export const DEFAULT_CLAIM_AHEAD = 100;

export const DEFAULT_JOB_DEFAULTS: JobDefaults = { coalesce: true, maxInstances: 1, misfireGraceTime: 1000, retry: null };

const SCHEDULER_KEYS: ReadonlySet<string> = new Set([
  'timezone',
  'jobDefaults',
  'stores',
  'executors',
  'instanceId',
  'pollInterval',
  'shutdownTimeout',
  'claimBatchSize',
  'claimAhead',
  'logger',
  'logging',
  'instrumentation',
  'registry',
]);

const optionError: OptionErrorFactory = (field, value, allowed) => new InvalidSchedulerOptionError(field, value, allowed);

/**
 * Reads the scheduler's options into a plain copy of the defined ones, each checked, so a bad
 * value fails at construction, not on first fire. `undefined` is "not given"; an unknown key (the
 * Intl spelling `timeZone`, say) is refused rather than silently ignored.
 */
export function readSchedulerOptions(input: SchedulerOptions | undefined, extraKeys: readonly string[] = []): SchedulerOptions {
  const allowed = extraKeys.length === 0 ? SCHEDULER_KEYS : new Set([...SCHEDULER_KEYS, ...extraKeys]);
  const options = readOptions(input, allowed, 'scheduler', optionError) as SchedulerOptions & Record<string, unknown>;
  const fail = optionError;
  if (options.timezone !== undefined && !(typeof options.timezone === 'string' && IANAZone.isValidZone(options.timezone))) {
    throw fail('timezone', options.timezone, "allowed: an IANA zone name such as 'Europe/Paris' or 'UTC'");
  }
  if (options.pollInterval !== undefined) checkWhole(fail, 'pollInterval', options.pollInterval, 1, MAX_TIMER_MS, 'ms');
  if (options.claimBatchSize !== undefined) checkWhole(fail, 'claimBatchSize', options.claimBatchSize, 1, 100_000);
  if (options.claimAhead !== undefined) checkWhole(fail, 'claimAhead', options.claimAhead, 0, 60_000, 'ms');
  if (options.shutdownTimeout !== undefined) checkWhole(fail, 'shutdownTimeout', options.shutdownTimeout, 0, MAX_TIMER_MS, 'ms');
  if (options.instanceId !== undefined) checkName(fail, 'instanceId', options.instanceId, JOB_LIMITS.id);
  if (options.jobDefaults !== undefined) {
    const defaults = readJobOptions(options.jobDefaults, JOB_DEFAULT_KEYS, 'jobDefaults', 'jobDefaults');
    options.jobDefaults = defaults as Partial<JobDefaults>;
  }
  if (options.stores !== undefined) {
    for (const [alias, store] of namedEntries(options.stores, 'stores')) {
      if (!hasMethods(store, ['start', 'shutdown', 'addJob', 'claimDueJobs', 'getNextRunTime', 'finishExecutions'])) {
        throw fail(`stores.${alias}`, store, 'allowed: a JobStore (MemoryJobStore, TypeOrmJobStore or your own)');
      }
    }
  }
  if (options.executors !== undefined) {
    for (const [alias, executor] of namedEntries(options.executors, 'executors')) {
      if (!hasMethods(executor, ['start', 'submit', 'shutdown'])) {
        throw fail(`executors.${alias}`, executor, 'allowed: an Executor (AsyncExecutor or your own)');
      }
    }
  }
  if (options.logger !== undefined && !hasMethods(options.logger, ['log', 'warn', 'error'])) {
    throw fail('logger', options.logger, 'allowed: an object with log, warn and error methods (a Nest Logger)');
  }
  if (options.logging !== undefined) options.logging = readLoggingOptions(options.logging);
  if (options.instrumentation !== undefined && !hasMethods(options.instrumentation, ['start'])) {
    throw fail('instrumentation', options.instrumentation, 'allowed: a RunInstrumentation (an object with a start(run) method)');
  }
  return options;
}

const LOGGING_KEYS: ReadonlySet<string> = new Set(['events', 'rateLimit']);
const RATE_LIMIT_KEYS: ReadonlySet<string> = new Set(['lines', 'intervalMs']);

/** Checks the `logging` option: false, true, or { events, rateLimit }. */
export function readLoggingOptions(value: unknown): false | SchedulerLoggingOptions {
  if (value === false) return false;
  if (value === true) return {};
  const fail = optionError;
  const logging = readOptions(value, LOGGING_KEYS, 'logging', (field, v, allowed) =>
    field === 'options'
      ? fail('logging', v, 'allowed: false (log nothing), true (the defaults) or { events?, rateLimit? }')
      : fail(`logging.${field}`, v, allowed),
  ) as SchedulerLoggingOptions;
  if (logging.events !== undefined) {
    const types = new Set<string>(LOGGED_EVENT_TYPES);
    const events = readOptions(logging.events, types, 'logging.events', (field, v, allowed) =>
      field === 'options'
        ? fail('logging.events', v, allowed)
        : fail(`logging.events.${field}`, v, allowed.replace(/^not a .*? option/, 'not an event the scheduler logs')),
    );
    for (const [type, level] of Object.entries(events)) {
      if (level !== false && !(LOG_LEVELS as readonly unknown[]).includes(level)) {
        throw fail(`logging.events.${type}`, level, `allowed: ${LOG_LEVELS.map((l) => `'${l}'`).join(', ')} or false`);
      }
    }
    logging.events = events as SchedulerLoggingOptions['events'];
  }
  if (logging.rateLimit !== undefined && logging.rateLimit !== false) {
    const limit = readOptions(logging.rateLimit, RATE_LIMIT_KEYS, 'logging.rateLimit', (field, v, allowed) =>
      field === 'options'
        ? fail('logging.rateLimit', v, 'allowed: false (no limit) or { lines?, intervalMs? }')
        : fail(`logging.rateLimit.${field}`, v, allowed),
    ) as { lines?: number; intervalMs?: number };
    if (limit.lines !== undefined) checkWhole(fail, 'logging.rateLimit.lines', limit.lines, 1, 1_000_000);
    if (limit.intervalMs !== undefined) checkWhole(fail, 'logging.rateLimit.intervalMs', limit.intervalMs, 1, MAX_TIMER_MS, 'ms');
    logging.rateLimit = limit;
  }
  return logging;
}

function namedEntries(value: unknown, field: string): [string, unknown][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw optionError(field, value, 'allowed: an object of aliases, such as { default: ... }');
  }
  const entries = Object.entries(value);
  for (const [alias] of entries) checkName(optionError, `${field} alias`, alias, JOB_LIMITS.name);
  return entries;
}

function hasMethods(value: unknown, methods: readonly string[]): boolean {
  if (typeof value !== 'object' || value === null) return false;
  try {
    return methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
  } catch {
    return false;
  }
}
