export type {
  DeclaredJobOverrides,
  SchedulerModuleAsyncOptions,
  SchedulerModuleOptions,
  SchedulerOptionsFactory,
} from './scheduler-module-options.interface.js';
// The job types belong to the core (core/jobs/job-options.ts), which the Nest layer builds on;
// re-exported here so that a reader of the Nest layer finds every option type under interfaces/.
export type { AddJobSpec, JobChanges, JobContext, JobDefaults, JobOptions } from '../core/jobs/job-options.js';
