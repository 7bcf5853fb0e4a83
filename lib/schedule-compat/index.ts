// The drop-in for @nestjs/schedule: the same names, so changing the import moves an application over.
export { CronExpression } from './cron-expression.enum.js';
export { Cron, Interval, Timeout, type CronOptions } from './schedule.decorators.js';
export {
  ScheduleModule,
  type ScheduleModuleAsyncOptions,
  type ScheduleModuleOptions,
  type ScheduleModuleOptionsFactory,
} from './schedule.module.js';
export { SchedulerRegistry, REGISTRY_STORE, type CronJobInput } from './scheduler-registry.js';
export type { CronJobLike, CronTimeLike } from './cron-job-ref.js';
export { JobTimerHandle } from './job-timer-handle.js';
export type { CronTimeInput } from './cron-time.js';
