import { Controller, Get, Query } from '@nestjs/common';
import { SchedulerService } from '../lib/index.js';

/** A window on the scheduler: GET /jobs and GET /executions?jobId=heartbeat */
@Controller()
export class JobsController {
  constructor(private readonly scheduler: SchedulerService) {}

  @Get('jobs')
  async jobs() {
    return (await this.scheduler.getJobs()).map(({ id, name, trigger, nextRunTime }) => ({ id, name, trigger, nextRunTime }));
  }

  @Get('executions')
  executions(@Query('jobId') jobId?: string) {
    return this.scheduler.getExecutions({ jobId, limit: 50 });
  }
}
