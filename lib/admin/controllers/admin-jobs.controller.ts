import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { JobLookupError } from '../../core/errors.js';
import { SchedulerService } from '../../scheduler.service.js';
import type { JobView } from '../views/job-view.js';
import { views } from '../views/job-views.js';
import { readBooleanParameter, readPage, readQuery, readText, type RawQuery } from '../validation/query-params.js';

/** `GET {path}/api/jobs` answers. @publicApi */
export interface JobListView {
  items: JobView[];
  total: number;
}

/** At most a job name's length: longer text matches nothing anyway. */
const MAX_TEXT = 255;

/** The jobs, paged and filtered by the store, and one job by id. */
@Controller('api/jobs')
export class AdminJobsController {
  constructor(private readonly scheduler: SchedulerService) {}

  @Get()
  async list(@Query() raw: RawQuery): Promise<JobListView> {
    const query = readQuery(raw, ['q', 'store', 'paused', 'limit', 'offset']);
    const page = await this.scheduler.queryJobs({
      q: query.q === '' ? undefined : readText('q', query.q, MAX_TEXT),
      store: readText('store', query.store, MAX_TEXT),
      paused: readBooleanParameter('paused', query.paused),
      ...readPage(query),
    });
    return { items: await views(this.scheduler, page.items), total: page.total };
  }

  @Get(':id')
  async get(@Param('id') id: string, @Query() raw: RawQuery): Promise<JobView> {
    const query = readQuery(raw, ['store']);
    const job = await this.scheduler.getJob(id, readText('store', query.store, MAX_TEXT));
    if (!job) throw new NotFoundException(new JobLookupError(id, query.store).message);
    return (await views(this.scheduler, [job]))[0]!;
  }
}
