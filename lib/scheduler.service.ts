import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InvalidSchedulerOptionError } from './core/errors.js';
import { Scheduler } from './core/scheduler.js';
import type { SchedulerModuleOptions } from './interfaces/scheduler-module-options.interface.js';
import { SCHEDULER_MODULE_OPTIONS } from './scheduler.constants.js';

/**
 * The injectable scheduler: the core Scheduler with Nest's lifecycle. It starts on application
 * bootstrap, after the explorer has registered every decorated method, and stops before the
 * application's connections close, so running jobs can still write their history.
 * @publicApi
 */
@Injectable()
export class SchedulerService extends Scheduler implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly autoStart: boolean;
  private readonly startPaused: boolean;

  constructor(@Inject(SCHEDULER_MODULE_OPTIONS) options: SchedulerModuleOptions) {
    const { autoStart, startPaused, ...core } = options ?? {};
    super({ ...core, logger: new Logger('SchedulerModule') });
    for (const [field, value] of [
      ['autoStart', autoStart],
      ['startPaused', startPaused],
    ] as const) {
      if (value !== undefined && typeof value !== 'boolean') throw new InvalidSchedulerOptionError(field, value, 'allowed: true or false');
    }
    this.autoStart = autoStart ?? true;
    this.startPaused = startPaused ?? false;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.autoStart && this.state === 'stopped') await this.start({ paused: this.startPaused });
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.state !== 'stopped') await this.shutdown({ wait: true });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.state !== 'stopped') await this.shutdown({ wait: true });
  }
}
