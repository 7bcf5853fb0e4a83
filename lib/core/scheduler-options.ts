import { IANAZone } from 'luxon';
import { InvalidSchedulerOptionError } from './errors.js';
import { assertValidOptions } from './job-validation.js';
import type { JobDefaults } from '../interfaces/job-options.interface.js';
import type { JobStore } from '../stores/job-store.js';
import type { Executor } from '../executors/executor.js';
import type { HandlerRegistry } from './handler-registry.js';

/** Where the scheduler reports problems it cannot throw to a caller. @publicApi */
export interface SchedulerLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, trace?: string): void;
}

/** Options of the framework-free core scheduler (the module options add autoStart). @publicApi */
export interface SchedulerOptions {
  /** IANA zone for triggers without their own. Default: the process's zone. */
  timezone?: string;
  jobDefaults?: Partial<JobDefaults>;
  /** Default: { default: new MemoryJobStore() }. */
  stores?: Record<string, JobStore>;
  /** Default: { default: new AsyncExecutor({ maxConcurrency: 10 }) }. */
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
  /** Handlers shared with the Nest layer; default: a new registry. */
  registry?: HandlerRegistry;
}

export const DEFAULT_CLAIM_AHEAD = 100;

export const DEFAULT_JOB_DEFAULTS: JobDefaults = { coalesce: true, maxInstances: 1, misfireGraceTime: 1000 };

/** Validates the options the core uses, so a bad value fails at construction, not on first fire. */
export function validateSchedulerOptions(options: SchedulerOptions): void {
  if (options.timezone !== undefined && !(typeof options.timezone === 'string' && IANAZone.isValidZone(options.timezone))) {
    throw new InvalidSchedulerOptionError('timezone', options.timezone, "allowed: an IANA zone name such as 'Europe/Paris' or 'UTC'");
  }
  for (const key of ['pollInterval', 'claimBatchSize'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new InvalidSchedulerOptionError(key, value, 'allowed: a whole number > 0');
    }
  }
  const ahead = options.claimAhead;
  if (ahead !== undefined && !(Number.isInteger(ahead) && ahead >= 0 && ahead <= 60_000)) {
    throw new InvalidSchedulerOptionError('claimAhead', ahead, 'allowed: a whole number of ms from 0 to 60000');
  }
  const timeout = options.shutdownTimeout;
  if (timeout !== undefined && !(typeof timeout === 'number' && Number.isFinite(timeout) && timeout >= 0)) {
    throw new InvalidSchedulerOptionError('shutdownTimeout', timeout, 'allowed: ms >= 0');
  }
  if (options.instanceId !== undefined && !(typeof options.instanceId === 'string' && options.instanceId !== '')) {
    throw new InvalidSchedulerOptionError('instanceId', options.instanceId, 'allowed: a non-empty string');
  }
  if (options.jobDefaults !== undefined) {
    for (const key of Object.keys(options.jobDefaults)) {
      if (!(key in DEFAULT_JOB_DEFAULTS)) {
        throw new InvalidSchedulerOptionError(`jobDefaults.${key}`, (options.jobDefaults as Record<string, unknown>)[key], 'allowed keys: coalesce, maxInstances, misfireGraceTime');
      }
    }
    assertValidOptions(options.jobDefaults as Record<string, unknown>);
  }
}
