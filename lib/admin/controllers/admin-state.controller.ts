import { Controller, Get, Inject, Query } from '@nestjs/common';
import { SchedulerService } from '../../scheduler.service.js';
import { SCHEDULER_ADMIN_OPTIONS } from '../scheduler-admin.constants.js';
import type { ResolvedAdminOptions } from '../scheduler-admin.options.js';
import { readQuery, type RawQuery } from '../validation/query-params.js';

/** `GET {path}/api/state` (API.md "Admin"), plus `readOnly` so the page knows to hide its buttons. @publicApi */
export interface SchedulerStateView {
  state: 'stopped' | 'running' | 'paused';
  instanceId: string;
  timezone: string;
  stores: string[];
  executors: string[];
  instances: { id: string; lastHeartbeat: string; alive: boolean }[];
  readOnly: boolean;
}

/** The scheduler's state, stores, executors and, with a shared store, the cluster's live instances. */
@Controller('api/state')
export class AdminStateController {
  constructor(
    private readonly scheduler: SchedulerService,
    @Inject(SCHEDULER_ADMIN_OPTIONS) private readonly options: ResolvedAdminOptions,
  ) {}

  @Get()
  async state(@Query() query: RawQuery): Promise<SchedulerStateView> {
    readQuery(query, []);
    // A stopped scheduler has no store connection to ask; its instances are then unknown.
    const instances = this.scheduler.state === 'stopped' ? [] : await this.scheduler.getInstances();
    return {
      state: this.scheduler.state,
      instanceId: this.scheduler.instanceId,
      timezone: this.scheduler.timezone,
      stores: this.scheduler.storeAliases,
      executors: this.scheduler.executorAliases,
      instances: instances.map((i) => ({ id: i.id, lastHeartbeat: i.lastHeartbeat.toISOString(), alive: i.alive })),
      readOnly: this.options.readOnly,
    };
  }
}
