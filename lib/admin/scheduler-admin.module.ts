import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { AdminEventStreams } from './events/admin-event-streams.js';
import { AdminActionGuard } from './guards/admin-action.guard.js';
import { SchedulerAdminGuard } from './guards/scheduler-admin.guard.js';
import { SchedulerErrorsInterceptor } from './interceptors/scheduler-errors.interceptor.js';
import type {
  SchedulerAdminAsyncOptions,
  SchedulerAdminOptions,
  SchedulerAdminOptionsFactory,
} from './interfaces/scheduler-admin-options.interface.js';
import { ADMIN_CONTROLLERS } from './scheduler-admin.controllers.js';
import { SCHEDULER_ADMIN_MODULE_OPTIONS, SCHEDULER_ADMIN_OPTIONS } from './scheduler-admin.constants.js';
import { ASYNC_NEEDS_FACTORY } from './scheduler-admin.messages.js';
import { readAdminPath, resolveAdminOptions } from './scheduler-admin.options.js';

// Nest's metadata keys for @UseGuards / @UseInterceptors (GUARDS_METADATA, INTERCEPTORS_METADATA in
// @nestjs/common/constants), written directly so the admin guard can go first.
const GUARDS = '__guards__';
const INTERCEPTORS = '__interceptors__';

/**
 * The dashboard and REST admin of the scheduler (API.md "Admin"), mounted at `path` with Nest's
 * RouterModule, so it works the same on Express and Fastify and under a global prefix. It needs
 * SchedulerModule (global) in the application. Every route runs SchedulerAdminGuard first.
 * @publicApi
 */
@Module({})
export class SchedulerAdminModule {
  static forRoot(options: SchedulerAdminOptions): DynamicModule {
    const path = readAdminPath(options?.path);
    return SchedulerAdminModule.build(path, [{ provide: SCHEDULER_ADMIN_MODULE_OPTIONS, useValue: options }], [], false);
  }

  static forRootAsync(options: SchedulerAdminAsyncOptions): DynamicModule {
    const path = readAdminPath(options.path);
    const providers = [...SchedulerAdminModule.createAsyncProviders(options), ...(options.extraProviders ?? [])];
    return SchedulerAdminModule.build(path, providers, options.imports ?? [], true);
  }

  private static build(
    path: string,
    optionProviders: Provider[],
    imports: DynamicModule['imports'] & object,
    fromFactory: boolean,
  ): DynamicModule {
    for (const controller of ADMIN_CONTROLLERS) protect(controller);
    return {
      module: SchedulerAdminModule,
      imports: [...imports, RouterModule.register([{ path, module: SchedulerAdminModule }])],
      controllers: ADMIN_CONTROLLERS,
      providers: [
        ...optionProviders,
        {
          provide: SCHEDULER_ADMIN_OPTIONS,
          // Checked here, when the application is created: no guards and no allowAnonymous fails the bootstrap.
          useFactory: (raw: unknown) => resolveAdminOptions(raw ?? {}, path, fromFactory),
          inject: [SCHEDULER_ADMIN_MODULE_OPTIONS],
        },
        SchedulerAdminGuard,
        AdminActionGuard,
        SchedulerErrorsInterceptor,
        AdminEventStreams,
      ],
      exports: [SCHEDULER_ADMIN_OPTIONS, SchedulerAdminGuard],
    };
  }

  private static createAsyncProviders(options: SchedulerAdminAsyncOptions): Provider[] {
    if (options.useFactory) {
      // The parameters are the injected providers, typed by the caller: Nest passes them untyped.
      const useFactory = options.useFactory as (...args: unknown[]) => unknown;
      return [{ provide: SCHEDULER_ADMIN_MODULE_OPTIONS, useFactory, inject: options.inject ?? [] }];
    }
    const factory = options.useClass ?? options.useExisting;
    if (!factory) throw new Error(ASYNC_NEEDS_FACTORY);
    const provider: Provider = {
      provide: SCHEDULER_ADMIN_MODULE_OPTIONS,
      useFactory: (f: SchedulerAdminOptionsFactory) => f.createSchedulerAdminOptions(),
      inject: [factory],
    };
    return options.useClass ? [provider, { provide: options.useClass, useClass: options.useClass }] : [provider];
  }
}

/** Puts the admin guard first and the error mapping on a controller, once. */
function protect(controller: Type): void {
  const guards: unknown[] = Reflect.getMetadata(GUARDS, controller) ?? [];
  if (!guards.includes(SchedulerAdminGuard)) Reflect.defineMetadata(GUARDS, [SchedulerAdminGuard, ...guards], controller);
  const interceptors: unknown[] = Reflect.getMetadata(INTERCEPTORS, controller) ?? [];
  if (!interceptors.includes(SchedulerErrorsInterceptor)) {
    Reflect.defineMetadata(INTERCEPTORS, [...interceptors, SchedulerErrorsInterceptor], controller);
  }
}
