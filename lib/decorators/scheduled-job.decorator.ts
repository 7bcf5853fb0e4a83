import { SetMetadata } from '@nestjs/common';
import { InvalidJobOptionError } from '../core/errors.js';
import type { JobOptions } from '../core/jobs/job-options.js';
import { SCHEDULED_JOB_METADATA } from '../scheduler.constants.js';
import { createTrigger } from '../triggers/create-trigger.js';
import type { TriggerSpec } from '../triggers/trigger.js';
import { readDeclaredJobOptions } from './declared-job-options.js';

/** @publicApi */
export interface ScheduledJobOptions extends Omit<JobOptions, 'nextRunTime'> {
  /**
   * When the method runs. May be left out when the module options' `jobs[id].trigger` gives it
   * (a schedule from configuration); one of the two must.
   */
  trigger?: TriggerSpec;
  /** false: the job is not scheduled, and a copy an earlier deployment stored is removed at start. @default true */
  enabled?: boolean;
  /** The job is stored paused at every start (resume it at run time: it stays resumed until the next start). @default false */
  paused?: boolean;
  /** Run once as soon as the scheduler starts (APScheduler's next_run_time=now), then on the trigger. @default false */
  runOnStart?: boolean;
}

/**
 * Runs the method on a trigger. The method is also a handler named `ClassName.methodName`, which
 * is the job's default id. The job is upserted at every bootstrap: code (and the module options'
 * `jobs`) win for trigger and options, while a stored nextRunTime is kept when the trigger did
 * not change, so the fire times missed while the application was down are seen.
 * @publicApi
 */
export function ScheduledJob(options: ScheduledJobOptions): MethodDecorator {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidJobOptionError('options', options, '@ScheduledJob needs an options object, e.g. { trigger }');
  }
  readDeclaredJobOptions(options, '@ScheduledJob');
  // Validated now, at class definition, so a typo fails at import time rather than at bootstrap.
  if (options.trigger !== undefined) createTrigger(options.trigger);
  return SetMetadata(SCHEDULED_JOB_METADATA, options);
}
