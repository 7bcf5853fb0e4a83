import { Controller, Get, Query } from '@nestjs/common';
import type { ExecutionPage } from '../../core/runs/execution.js';
import { SchedulerService } from '../../scheduler.service.js';
import { readDate, readPage, readQuery, readStatus, readText, type RawQuery } from '../validation/query-params.js';

/** The execution history, newest first, paged by the stores (a count and one indexed page each). */
@Controller('api/executions')
export class AdminExecutionsController {
  constructor(private readonly scheduler: SchedulerService) {}

  @Get()
  async list(@Query() raw: RawQuery): Promise<ExecutionPage> {
    const query = readQuery(raw, ['jobId', 'status', 'since', 'until', 'limit', 'offset']);
    return this.scheduler.queryExecutions({
      jobId: readText('jobId', query.jobId, 191),
      status: readStatus(query.status),
      since: readDate('since', query.since),
      until: readDate('until', query.until),
      ...readPage(query),
    });
  }
}
