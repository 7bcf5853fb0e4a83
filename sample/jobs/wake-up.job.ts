import { Injectable, Logger } from '@nestjs/common';
import { ScheduledJob, type JobContext } from '../../lib/index.js';

@Injectable()
export class WakeUpJob {
  private readonly logger = new Logger('WakeUpJob');

  /** Weekdays at 6:30 in the scheduler's zone (APScheduler's cron field form). */
  @ScheduledJob({ id: 'wake-up', trigger: { type: 'cron', dayOfWeek: 'mon-fri', hour: 6, minute: 30 } })
  wakeUp(ctx: JobContext) {
    this.logger.log(`Good morning! (scheduled for ${ctx.scheduledRunTime.toISOString()})`);
  }
}
