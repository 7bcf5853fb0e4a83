import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { merge, type Subscription } from 'rxjs';
import { SchedulerService } from '../lib/index.js';

/** Logs what the scheduler does, from its RxJS streams. */
@Injectable()
export class EventLoggerService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('SchedulerEvents');
  private subscription?: Subscription;

  constructor(private readonly scheduler: SchedulerService) {}

  onModuleInit() {
    this.subscription = merge(this.scheduler.executed$, this.scheduler.error$, this.scheduler.missed$).subscribe((event) => {
      const at = event.scheduledRunTime.toISOString();
      if (event.type === 'job_executed') {
        this.logger.log(`executed ${event.jobId} (${at}) in ${event.durationMs} ms -> ${JSON.stringify(event.returnValue)}`);
      } else if (event.type === 'job_error') {
        this.logger.error(`error in ${event.jobId} (${at}): ${event.error.message}`);
      } else {
        this.logger.warn(`missed ${event.jobId} (${at})`);
      }
    });
  }

  onModuleDestroy() {
    this.subscription?.unsubscribe();
  }
}
