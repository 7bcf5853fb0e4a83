import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InvalidJobOptionError, InvalidSchedulerOptionError, JobLookupError } from './core/errors.js';
import type { AddJobSpec } from './core/jobs/job-options.js';
import { readDeclaredJobOptions } from './decorators/declared-job-options.js';
import type { ScheduledJobOptions } from './decorators/scheduled-job.decorator.js';
import type { SchedulerModuleOptions } from './interfaces/scheduler-module-options.interface.js';
import { SCHEDULER_MODULE_OPTIONS } from './scheduler.constants.js';
import { JOB_WITHOUT_TRIGGER, ORPHANED_JOBS, ORPHANED_JOBS_REMOVED } from './scheduler.messages.js';
import { SchedulerService, setStartSteps } from './scheduler.service.js';

/** A job a decorator declared, as the explorer found it. */
export interface DeclaredJob {
  /** `ClassName.methodName`: the default id and name. */
  source: string;
  options: ScheduledJobOptions;
  /** The registered handler name that runs the method. */
  handler: string;
}

/**
 * Puts the declared jobs into the scheduler when the application bootstraps, and starts it: each
 * decorator's options with the module options' `jobs[id]` laid over them, disabled jobs left out
 * (and a stored copy removed before the first fire), paused ones stored paused, runOnStart ones run
 * once when the scheduler starts running. Stored jobs whose handler no provider has are reported
 * (and with removeOrphanedJobs removed) at every start.
 */
@Injectable()
export class SchedulerOrchestrator implements OnApplicationBootstrap {
  private readonly logger = new Logger('SchedulerModule');
  private readonly declared: DeclaredJob[] = [];

  constructor(
    @Inject(SCHEDULER_MODULE_OPTIONS) private readonly options: SchedulerModuleOptions,
    private readonly scheduler: SchedulerService,
  ) {}

  declare(job: DeclaredJob): void {
    this.declared.push(job);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { scheduled, disabled, runOnStart } = this.resolve();
    for (const spec of scheduled) await this.scheduler.upsertJob(spec);
    const removeOrphans = this.options?.removeOrphanedJobs ?? false;
    setStartSteps(this.scheduler, {
      // Removals happen before the first pass: a disabled or orphaned job must not fire once more.
      beforeFirstPass: disabled.length > 0 || removeOrphans ? () => this.removeJobs(disabled, removeOrphans) : undefined,
      afterStart: () => this.afterStart(runOnStart, removeOrphans),
    });
    const autoStart = this.options?.autoStart ?? true;
    if (autoStart && this.scheduler.state === 'stopped') await this.scheduler.start({ paused: this.options?.startPaused ?? false });
  }

  /** The declared jobs with their configuration applied. */
  private resolve(): { scheduled: AddJobSpec[]; disabled: { id: string; store?: string }[]; runOnStart: { id: string; store?: string }[] } {
    const overrides = this.options?.jobs ?? {};
    const ids = this.declared.map((job) => job.options.id ?? job.source);
    if (typeof overrides !== 'object' || overrides === null) {
      throw new InvalidSchedulerOptionError('jobs', overrides, 'allowed: an object of decorated job ids to their options');
    }
    for (const id of Object.keys(overrides)) {
      if (!ids.includes(id)) {
        throw new InvalidSchedulerOptionError(
          `jobs['${id}']`,
          overrides[id],
          `allowed: the id of a decorated job (${ids.join(', ') || 'there are none'})`,
        );
      }
    }
    const scheduled: AddJobSpec[] = [];
    const disabled: { id: string; store?: string }[] = [];
    const runOnStart: { id: string; store?: string }[] = [];
    for (const job of this.declared) {
      const id = job.options.id ?? job.source;
      const override = overrides[id];
      let options: ScheduledJobOptions = job.options;
      if (override !== undefined) {
        const what = `SchedulerModule jobs['${id}']`;
        const read = readDeclaredJobOptions(override, what) as ScheduledJobOptions;
        if (read.id !== undefined) throw new InvalidJobOptionError('id', read.id, `${what} cannot change the id it is listed under`);
        options = { ...job.options, ...read };
      }
      const { enabled, paused, runOnStart: runsOnStart, ...jobOptions } = options;
      if (enabled === false) {
        disabled.push({ id, store: options.store });
        continue;
      }
      if (options.trigger === undefined) throw new InvalidJobOptionError('trigger', undefined, JOB_WITHOUT_TRIGGER(job.source, id));
      scheduled.push({
        ...jobOptions,
        id,
        name: options.name ?? job.source,
        handler: job.handler,
        ...(paused ? { nextRunTime: null } : {}),
      });
      if (runsOnStart) runOnStart.push({ id, store: options.store });
    }
    return { scheduled, disabled, runOnStart };
  }

  private async removeJobs(disabled: { id: string; store?: string }[], orphans: boolean): Promise<void> {
    for (const { id, store } of disabled) await this.removeIfThere(id, store);
    if (!orphans) return;
    const gone = await this.orphans();
    for (const job of gone) await this.removeIfThere(job.id, job.store);
    if (gone.length > 0) this.logger.warn(ORPHANED_JOBS_REMOVED(gone.map((job) => `${job.id} (${job.handler})`)));
  }

  private async afterStart(runOnStart: { id: string; store?: string }[], orphansRemoved: boolean): Promise<void> {
    if (!orphansRemoved) {
      const gone = await this.orphans();
      if (gone.length > 0) this.logger.warn(ORPHANED_JOBS(gone.map((job) => `${job.id} (${job.handler})`)));
    }
    if (runOnStart.length === 0) return;
    const run = async () => {
      for (const { id, store } of runOnStart) {
        await this.scheduler
          .runJobNow(id, store)
          .catch((err: unknown) => this.logger.error(`runOnStart of job '${id}' failed: ${String(err)}`));
      }
    };
    if (this.scheduler.state === 'running') return run();
    // Started paused: the runs come when the scheduler first runs.
    const subscription = this.scheduler.events$.subscribe((event) => {
      if (event.type !== 'scheduler_resumed') return;
      subscription.unsubscribe();
      void run();
    });
  }

  /** Stored jobs whose handler is a name no provider registered. */
  private async orphans(): Promise<{ id: string; store: string; handler: string }[]> {
    const jobs = await this.scheduler.getJobs({ pending: false });
    return jobs
      .filter((job) => typeof job.handler === 'string' && !this.scheduler.registry.has(job.handler))
      .map((job) => ({ id: job.id, store: job.store, handler: String(job.handler) }));
  }

  private async removeIfThere(id: string, store?: string): Promise<void> {
    await this.scheduler.removeJob(id, store).catch((err: unknown) => {
      if (!(err instanceof JobLookupError)) throw err;
    });
  }
}
