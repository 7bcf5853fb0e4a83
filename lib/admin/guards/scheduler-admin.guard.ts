import { ForbiddenException, Inject, Injectable, type CanActivate, type ExecutionContext, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';
import { SCHEDULER_ADMIN_OPTIONS } from '../scheduler-admin.constants.js';
import type { ResolvedAdminOptions } from '../scheduler-admin.options.js';

/**
 * Runs the application's guards (SchedulerAdminOptions.guards) before every admin route. The module
 * puts it on each of its controllers, so a route cannot be added without it. The guards come from
 * options that forRootAsync only knows at bootstrap, which is why this delegates instead of
 * decorating the controllers with @UseGuards(...guards).
 * @publicApi
 */
@Injectable()
export class SchedulerAdminGuard implements CanActivate {
  private instances: Promise<CanActivate[]> | undefined;

  constructor(
    @Inject(SCHEDULER_ADMIN_OPTIONS) private readonly options: ResolvedAdminOptions,
    private readonly moduleRef: ModuleRef,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    for (const guard of await this.guards()) {
      const verdict = guard.canActivate(context);
      const allowed = isObservable(verdict) ? await lastValueFrom(verdict, { defaultValue: false }) : await verdict;
      // As Nest answers a guard that returns false.
      if (!allowed) throw new ForbiddenException('Forbidden resource');
    }
    return true;
  }

  private guards(): Promise<CanActivate[]> {
    this.instances ??= Promise.all(this.options.guards.map((guard) => (typeof guard === 'function' ? this.instantiate(guard) : guard)));
    return this.instances;
  }

  /** The application's instance when it registers the guard as a provider, else one made with DI. */
  private async instantiate(type: Type<CanActivate>): Promise<CanActivate> {
    try {
      return this.moduleRef.get(type, { strict: false });
    } catch {
      return this.moduleRef.create(type);
    }
  }
}
