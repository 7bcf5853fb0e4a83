export { SchedulerModule } from './scheduler.module.js';
export { SchedulerService } from './scheduler.service.js';
export { SCHEDULER_MODULE_OPTIONS } from './scheduler.constants.js';
export * from './decorators/index.js';
export type {
  AddJobSpec,
  DeclaredJobOverrides,
  JobChanges,
  JobContext,
  JobDefaults,
  JobOptions,
  SchedulerModuleAsyncOptions,
  SchedulerModuleOptions,
  SchedulerOptionsFactory,
} from './interfaces/index.js';

export { Scheduler, type SchedulerHealth, type SchedulerState } from './core/scheduler.js';
export type { StoreHealth } from './core/store-health.js';
export type { LoggedEventType, SchedulerLoggingOptions, SchedulerLogLevel } from './core/events/event-logger.js';
export type { InstrumentedRun, RunInstrumentation, RunObservation } from './core/runs/run-instrumentation.js';
export {
  openTelemetryInstrumentation,
  RUN_SPAN_ATTRIBUTES,
  type OpenTelemetryTracingOptions,
} from './tracing/opentelemetry-instrumentation.js';
export type { SchedulerOptions } from './core/scheduler-options.js';
export type { SchedulerLogger } from './core/scheduler-logger.js';
export { Job } from './core/jobs/job.js';
export type { JobSpec } from './core/jobs/job.js';
export type { JobHandlerFunction } from './core/jobs/job-options.js';
export type { ExecutionPage, ExecutionQuery, ExecutionStatus, JobExecution, Outcome, RetryRecord } from './core/runs/execution.js';
export type { RetryBackoff, RetryOptions, RetryPolicy } from './core/jobs/retry-policy.js';
export type { JobPage, JobQuery, StoreJobPage, StoreJobQuery } from './core/jobs/job-query.js';
export type { Plan, Claim, ClaimedRun } from './core/loop/claim.js';
export { HandlerRegistry } from './core/jobs/handler-registry.js';
export { ofType } from './core/events/of-type.js';
export type {
  JobErrorEvent,
  JobExecutedEvent,
  JobLostEvent,
  JobMissedEvent,
  JobRetryScheduledEvent,
  JobStoreErrorEvent,
  JobSubmittedEvent,
  SchedulerEvent,
  SchedulerEventMap,
  SchedulerEventType,
} from './core/events/scheduler-events.js';
export * from './core/errors.js';

export type {
  CombiningTriggerSpec,
  CronField,
  CronTriggerSpec,
  DateInput,
  DateTriggerSpec,
  IntervalTriggerSpec,
  Trigger,
  TriggerDefaults,
  TriggerSpec,
} from './triggers/trigger.js';
export { createTrigger } from './triggers/create-trigger.js';
export { DateTrigger } from './triggers/date.trigger.js';
export { IntervalTrigger } from './triggers/interval.trigger.js';
export { CronTrigger } from './triggers/cron/cron.trigger.js';
export { AndTrigger, OrTrigger } from './triggers/combining.trigger.js';

export type {
  ClusterInstance,
  DueRetry,
  JobStore,
  PlanFunction,
  ReleasedRun,
  RetryPlanFunction,
  StoreContext,
  StoreHeartbeat,
} from './stores/job-store.js';
export { MemoryJobStore, type MemoryJobStoreOptions } from './stores/memory.job-store.js';

export type { Executor, ExecutorCall, ExecutorTask } from './executors/executor.js';
export { AsyncExecutor, type AsyncExecutorOptions } from './executors/async.executor.js';
export { WorkerThreadExecutor, type WorkerThreadExecutorOptions } from './executors/worker-thread.executor.js';
export { ProcessExecutor, type ProcessExecutorOptions } from './executors/process.executor.js';
export { WorkerCrashError, type IsolatedExecutorOptions } from './executors/isolated-executor.js';
export { workerHandler, type WorkerHandlerRef } from './executors/worker-handler.js';
export * from './stores/typeorm/index.js';
export * from './schedule-compat/index.js';
