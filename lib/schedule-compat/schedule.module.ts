import { Module, type DynamicModule, type FactoryProvider, type ModuleMetadata, type Provider, type Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { InvalidSchedulerOptionError } from '../core/errors.js';
import type { SchedulerModuleOptions } from '../interfaces/scheduler-module-options.interface.js';
import { SchedulerModule } from '../scheduler.module.js';
import { KIND_DISABLED } from './schedule-compat.messages.js';
import { SchedulerRegistry } from './scheduler-registry.js';

/**
 * @nestjs/schedule's module options, and SchedulerModule's: `ScheduleModule.forRoot()` works as it
 * did, and `ScheduleModule.forRoot({ stores: { default: new TypeOrmJobStore(…) } })` (or forRootAsync
 * with a DataSource) keeps the jobs in the database.
 * @publicApi
 */
export interface ScheduleModuleOptions extends SchedulerModuleOptions {
  /** Only true (the default): see KIND_DISABLED for why a kind cannot be left out. */
  cronJobs?: boolean;
  intervals?: boolean;
  timeouts?: boolean;
}

/** @publicApi */
export interface ScheduleModuleOptionsFactory {
  createScheduleOptions(): Promise<ScheduleModuleOptions> | ScheduleModuleOptions;
}

/** @publicApi */
export interface ScheduleModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useExisting?: Type<ScheduleModuleOptionsFactory>;
  useClass?: Type<ScheduleModuleOptionsFactory>;
  /** Called with the providers named in `inject`, in their order. */
  useFactory?: (...args: never[]) => Promise<ScheduleModuleOptions> | ScheduleModuleOptions;
  inject?: FactoryProvider['inject'];
  extraProviders?: Provider[];
}

const KINDS = ['cronJobs', 'intervals', 'timeouts'] as const;

/**
 * In place of @nestjs/schedule's ScheduleModule: SchedulerModule (global: SchedulerService, the
 * discovery of @Cron / @Interval / @Timeout / @ScheduledJob methods, start on bootstrap) and
 * SchedulerRegistry. Import this or SchedulerModule, not both: each makes a scheduler.
 * @publicApi
 */
@Module({})
export class ScheduleModule {
  static forRoot(options: ScheduleModuleOptions = {}): DynamicModule {
    return ScheduleModule.build(SchedulerModule.forRoot(schedulerOptions(options)));
  }

  static forRootAsync(options: ScheduleModuleAsyncOptions): DynamicModule {
    const { imports, inject, extraProviders = [], useFactory, useClass, useExisting } = options;
    if (useFactory) {
      return ScheduleModule.build(
        SchedulerModule.forRootAsync({
          imports,
          inject,
          extraProviders,
          useFactory: async (...args: never[]) => schedulerOptions(await useFactory(...args)),
        }),
      );
    }
    const factory = useClass ?? useExisting;
    if (!factory) throw new Error('ScheduleModule.forRootAsync needs one of useFactory, useClass or useExisting');
    return ScheduleModule.build(
      SchedulerModule.forRootAsync({
        imports,
        inject: [factory],
        extraProviders: useClass ? [...extraProviders, { provide: useClass, useClass }] : extraProviders,
        useFactory: async (made: ScheduleModuleOptionsFactory) => schedulerOptions(await made.createScheduleOptions()),
      }),
    );
  }

  private static build(scheduler: DynamicModule): DynamicModule {
    return {
      global: true,
      module: ScheduleModule,
      imports: [scheduler, DiscoveryModule],
      providers: [SchedulerRegistry],
      exports: [SchedulerRegistry],
    };
  }
}

/** SchedulerModule's options: @nestjs/schedule's three switches checked and taken out. */
function schedulerOptions(options: ScheduleModuleOptions | undefined): SchedulerModuleOptions {
  const { cronJobs, intervals, timeouts, ...rest } = options ?? {};
  const given = { cronJobs, intervals, timeouts };
  for (const kind of KINDS) {
    const value = given[kind];
    if (value === undefined || value === true) continue;
    throw new InvalidSchedulerOptionError(kind, value, value === false ? KIND_DISABLED(kind) : 'allowed: true');
  }
  // The registry logs a decorated job's error and a missed run as @nestjs/schedule does (Logger
  // 'Scheduler'); the scheduler's own event log would say it a second time. Given `logging` wins.
  return { logging: COMPAT_LOGGING, ...rest };
}

const COMPAT_LOGGING = { events: { job_error: false, job_missed: false } } as const;
