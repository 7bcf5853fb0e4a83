import { Inject, Injectable } from '@nestjs/common';
import type { HealthIndicatorService } from '@nestjs/terminus';
import type { Scheduler } from '../../core/scheduler.js';
import { SchedulerService } from '../../scheduler.service.js';
import { assessSchedulerHealth, type SchedulerHealthOptions } from './scheduler-health.rules.js';

/**
 * What isHealthy gives: terminus's HealthIndicatorResult, `{ [key]: { status, ...details } }`.
 * Declared here so that the admin entry's types do not need @nestjs/terminus installed.
 * @publicApi
 */
export type SchedulerHealthResult<Key extends string = string> = Record<Key, { status: 'up' | 'down' } & Record<string, unknown>>;

let indicators: Promise<HealthIndicatorService> | undefined;

/** terminus's HealthIndicatorService, loaded on first use: @nestjs/terminus is an optional peer. */
function healthIndicatorService(): Promise<HealthIndicatorService> {
  indicators ??= import('@nestjs/terminus').then(
    ({ HealthIndicatorService: Service }) => new Service(),
    (error: unknown) => {
      indicators = undefined;
      throw new Error(
        "SchedulerHealthIndicator needs the '@nestjs/terminus' package (^11 or ^12), an optional peer dependency of " +
          'nestjs-apscheduler that is not installed: npm install @nestjs/terminus',
        { cause: error },
      );
    },
  );
  return indicators;
}

/**
 * A @nestjs/terminus health indicator for the scheduler: up while it runs and works, down when it is
 * stopped, its loop is stuck, a store has failed since its last success, or this instance's
 * heartbeat is stale (see assessSchedulerHealth for the rules). Add it to the providers of the
 * module with your health controller (which imports TerminusModule):
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.scheduler.isHealthy('scheduler')]); }
 * ```
 * @publicApi
 */
@Injectable()
export class SchedulerHealthIndicator {
  constructor(@Inject(SchedulerService) private readonly scheduler: Pick<Scheduler, 'health'>) {}

  /** The scheduler's health under `key`; never throws for a down scheduler (terminus reads the status). */
  async isHealthy<const Key extends string = 'scheduler'>(
    key: Key = 'scheduler' as Key,
    options: SchedulerHealthOptions = {},
  ): Promise<SchedulerHealthResult<Key>> {
    const service = await healthIndicatorService();
    const verdict = assessSchedulerHealth(this.scheduler.health(), Date.now(), options);
    const session = service.check(key);
    const result = verdict.healthy
      ? session.up(verdict.details)
      : session.down({ message: verdict.problems.join('; '), problems: verdict.problems, ...verdict.details });
    return result as unknown as SchedulerHealthResult<Key>;
  }
}
