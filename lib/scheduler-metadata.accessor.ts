import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ScheduledJobOptions } from './decorators/scheduled-job.decorator.js';
import { JOB_HANDLER_METADATA, SCHEDULED_JOB_METADATA } from './scheduler.constants.js';

@Injectable()
export class SchedulerMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  getScheduledJob(target: unknown): ScheduledJobOptions | undefined {
    return isFunction(target) ? this.reflector.get(SCHEDULED_JOB_METADATA, target) : undefined;
  }

  getJobHandler(target: unknown): { name?: string } | undefined {
    return isFunction(target) ? this.reflector.get(JOB_HANDLER_METADATA, target) : undefined;
  }
}

function isFunction(value: unknown): value is (...args: unknown[]) => unknown {
  return typeof value === 'function';
}
