import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type {
  SchedulerModuleAsyncOptions,
  SchedulerModuleOptions,
  SchedulerOptionsFactory,
} from './interfaces/scheduler-module-options.interface.js';
import { SchedulerMetadataAccessor } from './scheduler-metadata.accessor.js';
import { SCHEDULER_MODULE_OPTIONS } from './scheduler.constants.js';
import { SchedulerExplorer } from './scheduler.explorer.js';
import { SchedulerOrchestrator } from './scheduler.orchestrator.js';
import { SchedulerService } from './scheduler.service.js';

/**
 * A global module providing SchedulerService, which discovers @ScheduledJob / @JobHandler methods
 * and starts on application bootstrap.
 * @publicApi
 */
@Module({})
export class SchedulerModule {
  static forRoot(options: SchedulerModuleOptions = {}): DynamicModule {
    return SchedulerModule.build([{ provide: SCHEDULER_MODULE_OPTIONS, useValue: options }]);
  }

  static forRootAsync(options: SchedulerModuleAsyncOptions): DynamicModule {
    const dynamic = SchedulerModule.build([...SchedulerModule.createAsyncProviders(options), ...(options.extraProviders ?? [])]);
    return { ...dynamic, imports: [...(dynamic.imports ?? []), ...(options.imports ?? [])] };
  }

  private static build(optionProviders: Provider[]): DynamicModule {
    return {
      global: true,
      module: SchedulerModule,
      imports: [DiscoveryModule],
      providers: [...optionProviders, SchedulerMetadataAccessor, SchedulerService, SchedulerOrchestrator, SchedulerExplorer],
      exports: [SchedulerService],
    };
  }

  private static createAsyncProviders(options: SchedulerModuleAsyncOptions): Provider[] {
    if (options.useFactory || options.useExisting) return [SchedulerModule.createAsyncOptionsProvider(options)];
    if (!options.useClass) {
      throw new Error('SchedulerModule.forRootAsync needs one of useFactory, useClass or useExisting');
    }
    return [SchedulerModule.createAsyncOptionsProvider(options), { provide: options.useClass, useClass: options.useClass }];
  }

  private static createAsyncOptionsProvider(options: SchedulerModuleAsyncOptions): Provider {
    if (options.useFactory) {
      // The parameters are the injected providers, typed by the caller: Nest passes them untyped.
      const useFactory = options.useFactory as (...args: unknown[]) => Promise<SchedulerModuleOptions> | SchedulerModuleOptions;
      return { provide: SCHEDULER_MODULE_OPTIONS, useFactory, inject: options.inject ?? [] };
    }
    return {
      provide: SCHEDULER_MODULE_OPTIONS,
      useFactory: (factory: SchedulerOptionsFactory) => factory.createSchedulerOptions(),
      inject: [(options.useClass ?? options.useExisting)!],
    };
  }
}
