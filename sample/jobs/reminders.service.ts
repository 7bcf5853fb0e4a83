import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { JobHandler, SchedulerService, type JobContext } from '../../lib/index.js';

/** Jobs added at run time through SchedulerService; they name a @JobHandler, so they can be stored. */
@Injectable()
export class RemindersService implements OnApplicationBootstrap {
  private readonly logger = new Logger('RemindersService');

  constructor(private readonly scheduler: SchedulerService) {}

  @JobHandler('reminders.send')
  send(user: string, message: string, ctx: JobContext) {
    this.logger.log(`reminder for ${user}: ${message} (job ${ctx.jobId})`);
  }

  async onApplicationBootstrap() {
    const now = Date.now();
    // A one-shot date job, 4 seconds from now.
    await this.scheduler.addJob({
      id: 'welcome',
      handler: 'reminders.send',
      args: ['ada', 'welcome aboard'],
      trigger: { type: 'date', runDate: new Date(now + 4000) },
      replaceExisting: true,
    });
    // A reminder that was due a minute ago: beyond misfireGraceTime, so it is reported as missed.
    await this.scheduler.addJob({
      id: 'overdue',
      handler: 'reminders.send',
      args: ['grace', 'too late'],
      trigger: { type: 'date', runDate: new Date(now - 60_000) },
      replaceExisting: true,
    });
    // A crontab string with seconds, added at run time; it survives restarts like the others.
    if (!(await this.scheduler.getJob('digest'))) {
      await this.scheduler.addJob({
        id: 'digest',
        handler: 'reminders.send',
        args: ['team', 'daily digest (every 10 s in the sample)'],
        trigger: '*/10 * * * * *',
      });
    }
  }
}
