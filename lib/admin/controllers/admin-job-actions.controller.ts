import { Body, Controller, Delete, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { SchedulerService } from '../../scheduler.service.js';
import { AdminActionGuard } from '../guards/admin-action.guard.js';
import { readBody, readTriggerBody } from '../validation/action-body.js';
import { readQuery, readText, type RawQuery } from '../validation/query-params.js';
import type { JobView } from '../views/job-view.js';
import { views } from '../views/job-views.js';

const storeOf = (raw: RawQuery): string | undefined => readText('store', readQuery(raw, ['store']).store, 255);

/**
 * The actions on one job: run now, pause, resume, reschedule, remove. POST/DELETE with a JSON body
 * only (AdminActionGuard), and absent (404) when the module is read-only. `?store=` picks the store
 * when the same id is in several.
 */
@Controller('api/jobs')
@UseGuards(AdminActionGuard)
export class AdminJobActionsController {
  constructor(
    private readonly scheduler: SchedulerService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** 202: the run is submitted, its record appears in the history (and on the event stream). */
  @Post(':id/run')
  @HttpCode(202)
  async run(@Param('id') id: string, @Query() raw: RawQuery, @Body() body: unknown): Promise<void> {
    readBody(body, []);
    await this.scheduler.runJobNow(id, storeOf(raw));
  }

  @Post(':id/pause')
  @HttpCode(200)
  async pause(@Param('id') id: string, @Query() raw: RawQuery, @Body() body: unknown): Promise<JobView> {
    readBody(body, []);
    return (await views(this.scheduler, [await this.scheduler.pauseJob(id, storeOf(raw))]))[0]!;
  }

  /** 204 when the trigger has no further fire time: the scheduler removed the job (resumeJob gives null). */
  @Post(':id/resume')
  @HttpCode(200)
  async resume(
    @Param('id') id: string,
    @Query() raw: RawQuery,
    @Body() body: unknown,
    @Res({ passthrough: true }) response: unknown,
  ): Promise<JobView | undefined> {
    readBody(body, []);
    const job = await this.scheduler.resumeJob(id, storeOf(raw));
    if (job === null) {
      this.adapterHost.httpAdapter.status(response, 204);
      return undefined;
    }
    return (await views(this.scheduler, [job]))[0]!;
  }

  @Post(':id/reschedule')
  @HttpCode(200)
  async reschedule(@Param('id') id: string, @Query() raw: RawQuery, @Body() body: unknown): Promise<JobView> {
    const trigger = readTriggerBody(body);
    return (await views(this.scheduler, [await this.scheduler.rescheduleJob(id, trigger, storeOf(raw))]))[0]!;
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string, @Query() raw: RawQuery, @Body() body: unknown): Promise<void> {
    readBody(body, []);
    await this.scheduler.removeJob(id, storeOf(raw));
  }
}
