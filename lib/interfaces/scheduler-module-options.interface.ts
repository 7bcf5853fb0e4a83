import type { FactoryProvider, ModuleMetadata, Provider, Type } from '@nestjs/common';
import type { SchedulerOptions } from '../core/scheduler-options.js';
import type { ScheduledJobOptions } from '../decorators/scheduled-job.decorator.js';
import type { OpenTelemetryTracingOptions } from '../tracing/opentelemetry-instrumentation.js';

/** @publicApi */
export interface SchedulerModuleOptions extends Omit<SchedulerOptions, 'registry' | 'logger'> {
  /** Start on application bootstrap. @default true */
  autoStart?: boolean;
  /** Start paused, like APScheduler's start(paused=True). @default false */
  startPaused?: boolean;
  /**
   * Decorated jobs' schedules and options from configuration, by job id (`ClassName.methodName`
   * unless the decorator gives an id): each entry is laid over the decorator's options at
   * bootstrap, e.g. `{ 'ReportService.send': { trigger: { type: 'cron', expression: config.get('REPORT_CRON') }, enabled: false } }`
   * from forRootAsync with ConfigService. An id no decorated job has is refused at bootstrap.
   */
  jobs?: Record<string, DeclaredJobOverrides>;
  /**
   * Stored jobs whose handler no provider has any more (a decorated method renamed or removed) are
   * reported at start; true removes them too, before the first fire. @default false
   */
  removeOrphanedJobs?: boolean;
  /**
   * One OpenTelemetry span per run (needs the optional peer `@opentelemetry/api`, and the
   * application's OpenTelemetry SDK to record anything): true, or options for the tracer. The
   * handler runs in the span's context, so its own spans are children of the run's. @default false
   */
  tracing?: boolean | OpenTelemetryTracingOptions;
}

/** A configuration's override of a decorated job's options (see SchedulerModuleOptions.jobs). @publicApi */
export type DeclaredJobOverrides = Omit<ScheduledJobOptions, 'id'>;

/** @publicApi */
export interface SchedulerOptionsFactory {
  createSchedulerOptions(): Promise<SchedulerModuleOptions> | SchedulerModuleOptions;
}

/** @publicApi */
export interface SchedulerModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useExisting?: Type<SchedulerOptionsFactory>;
  useClass?: Type<SchedulerOptionsFactory>;
  /** Called with the providers named in `inject`, in their order; the parameters' types are yours to declare. */
  useFactory?: (...args: never[]) => Promise<SchedulerModuleOptions> | SchedulerModuleOptions;
  inject?: FactoryProvider['inject'];
  extraProviders?: Provider[];
}
