import type { CanActivate, FactoryProvider, ModuleMetadata, Provider, Type } from '@nestjs/common';

/** @publicApi */
export interface SchedulerAdminOptions {
  /** Where the module is mounted: the page at `/{path}`, the REST API at `/{path}/api`. @default 'scheduler' */
  path?: string;
  /**
   * Guards run before every admin route (page, API, event stream), in order; each must allow the
   * request. Classes are taken from the application's providers when registered there, otherwise
   * created with the module's injector. Required unless `allowAnonymous`.
   */
  guards?: Array<Type<CanActivate> | CanActivate>;
  /** Serve the admin without guards (a sample, a private network). @default false */
  allowAnonymous?: boolean;
  /** No actions: the action routes answer 404 and the page shows no buttons. @default false */
  readOnly?: boolean;
  /** ms between the heartbeat comments of `GET {path}/api/events`. @default 15000 */
  heartbeatInterval?: number;
}

/** @publicApi */
export interface SchedulerAdminOptionsFactory {
  createSchedulerAdminOptions(): Promise<SchedulerAdminOptions> | SchedulerAdminOptions;
}

/**
 * forRootAsync's options. `path` is given here, not by the factory: routes are mounted before any
 * factory runs. @publicApi
 */
export interface SchedulerAdminAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** @default 'scheduler' */
  path?: string;
  useExisting?: Type<SchedulerAdminOptionsFactory>;
  useClass?: Type<SchedulerAdminOptionsFactory>;
  /** Called with the providers named in `inject`, in their order; the parameters' types are yours to declare. */
  useFactory?: (...args: never[]) => Promise<Omit<SchedulerAdminOptions, 'path'>> | Omit<SchedulerAdminOptions, 'path'>;
  inject?: FactoryProvider['inject'];
  extraProviders?: Provider[];
}
