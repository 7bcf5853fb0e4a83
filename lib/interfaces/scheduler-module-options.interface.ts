import type { FactoryProvider, ModuleMetadata, Provider, Type } from '@nestjs/common';
import type { SchedulerOptions } from '../core/scheduler-options.js';

/** @publicApi */
export interface SchedulerModuleOptions extends Omit<SchedulerOptions, 'registry' | 'logger'> {
  /** Start on application bootstrap. @default true */
  autoStart?: boolean;
  /** Start paused, like APScheduler's start(paused=True). @default false */
  startPaused?: boolean;
}

/** @publicApi */
export interface SchedulerOptionsFactory {
  createSchedulerOptions(): Promise<SchedulerModuleOptions> | SchedulerModuleOptions;
}

/** @publicApi */
export interface SchedulerModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useExisting?: Type<SchedulerOptionsFactory>;
  useClass?: Type<SchedulerOptionsFactory>;
  /** Called with the providers named in `inject`, in their order; their types are yours (as in Nest's FactoryProvider). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  useFactory?: (...args: any[]) => Promise<SchedulerModuleOptions> | SchedulerModuleOptions;
  inject?: FactoryProvider['inject'];
  extraProviders?: Provider[];
}
