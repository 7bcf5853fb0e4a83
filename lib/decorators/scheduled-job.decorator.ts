import { SetMetadata } from '@nestjs/common';
import { readJobOptions, SCHEDULED_JOB_KEYS } from '../core/jobs/job-validation.js';
import { InvalidJobOptionError } from '../core/errors.js';
import type { JobOptions } from '../core/jobs/job-options.js';
import { SCHEDULED_JOB_METADATA } from '../scheduler.constants.js';
import { createTrigger } from '../triggers/create-trigger.js';
import type { TriggerSpec } from '../triggers/trigger.js';

/** @publicApi */
export interface ScheduledJobOptions extends Omit<JobOptions, 'nextRunTime'> {
  trigger: TriggerSpec;
}

/**
 * Runs the method on a trigger. The method is also a handler named `ClassName.methodName`, which
 * is the job's default id. The job is upserted at every bootstrap.
 * @publicApi
 */
export function ScheduledJob(options: ScheduledJobOptions): MethodDecorator {
  if (typeof options !== 'object' || options === null || options.trigger === undefined) {
    throw new InvalidJobOptionError('trigger', options?.trigger, '@ScheduledJob needs { trigger }');
  }
  readJobOptions(options, SCHEDULED_JOB_KEYS, '@ScheduledJob', 'options');
  // Validate now, at class definition, so a typo fails at import time rather than at bootstrap.
  createTrigger(options.trigger);
  return SetMetadata(SCHEDULED_JOB_METADATA, options);
}
