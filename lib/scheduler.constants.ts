/** Injection token of the module options. */
export const SCHEDULER_MODULE_OPTIONS = 'SCHEDULER_MODULE_OPTIONS';
export const SCHEDULED_JOB_METADATA = 'nestjs-apscheduler:scheduled-job';
export const JOB_HANDLER_METADATA = 'nestjs-apscheduler:job-handler';
export const DEFAULT_SCHEDULER_NAME = 'default';
