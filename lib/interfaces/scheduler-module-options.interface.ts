import type { ModuleMetadata, Provider, Type } from '@nestjs/common';
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
  useFactory?: (...args: any[]) => Promise<SchedulerModuleOptions> | SchedulerModuleOptions;
  inject?: any[];
  extraProviders?: Provider[];
}
