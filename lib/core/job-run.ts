import { HandlerNotFoundError, JobTimeoutError } from './errors.js';
import type { JobErrorEvent, JobExecutedEvent, JobMissedEvent, SchedulerEvent } from './events.js';
import type { ClaimedRun, JobHandlerFunction, JobSpec, Outcome } from './job.js';
import type { JobContext } from '../interfaces/job-options.interface.js';
import type { ExecutorTask } from '../executors/executor.js';

/** What a submission needs from the scheduler that runs it. */
export interface RunHost {
  readonly instanceId: string;
  /** True once shutdown began: runs not yet started are given up. */
  readonly stopping: boolean;
  resolveHandler(job: JobSpec): JobHandlerFunction | undefined;
  finish(store: string, executionId: string, outcome: Outcome): void;
  emit(event: SchedulerEvent): void;
  /** Controllers of runs in progress, aborted when shutdown stops waiting. */
  readonly active: Set<AbortController>;
}

/**
 * The runs of one job claimed together, run one after another in one instance (as APScheduler's
 * run_job does), so a backlog with maxInstances 1 is not dropped.
 */
export class Submission implements ExecutorTask {
  readonly jobId: string;

  constructor(
    private readonly host: RunHost,
    private readonly store: string,
    private readonly job: JobSpec,
    private readonly runs: ClaimedRun[],
    /** Called once every run has been tried (not when the submission is cancelled). */
    private readonly onDone?: () => void,
  ) {
    this.jobId = job.id;
  }

  async run(): Promise<void> {
    for (let i = 0; i < this.runs.length; i++) {
      if (this.host.stopping) {
        this.giveUp(this.runs.slice(i), 'the scheduler shut down before the run started');
        return;
      }
      await this.runOne(this.runs[i]);
    }
    this.onDone?.();
  }

  cancel(reason: string): void {
    this.giveUp(this.runs, reason);
  }

  private giveUp(runs: ClaimedRun[], reason: string): void {
    const now = new Date();
    for (const run of runs) {
      this.host.finish(this.store, run.executionId, {
        status: 'missed', startedAt: null, finishedAt: now, durationMs: null, error: reason, traceback: null,
      });
      this.host.emit(this.event<JobMissedEvent>('job_missed', { scheduledRunTime: run.runTime }));
    }
  }

  private async runOne(run: ClaimedRun): Promise<void> {
    const { job, host } = this;
    const startedAt = new Date();
    // A run that waited for an executor slot or for the runs before it may have become too late.
    if (job.misfireGraceTime !== null && startedAt.getTime() - run.runTime.getTime() > job.misfireGraceTime) {
      this.giveUp([run], `started ${startedAt.getTime() - run.runTime.getTime()} ms late, past misfireGraceTime`);
      return;
    }
    const controller = new AbortController();
    host.active.add(controller);
    const ctx: JobContext = {
      jobId: job.id, jobName: job.name, scheduledRunTime: run.runTime, signal: controller.signal, instanceId: host.instanceId,
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    let returnValue: unknown;
    let failure: Error | null = null;
    try {
      const handler = host.resolveHandler(job);
      if (!handler) throw new HandlerNotFoundError(String(job.handler));
      const result = Promise.resolve().then(() => handler(...job.args, ctx));
      if (job.timeout === null) {
        returnValue = await result;
      } else {
        const timeout = job.timeout;
        returnValue = await Promise.race([
          result,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              const error = new JobTimeoutError(job.id, timeout);
              controller.abort(error);
              reject(error);
            }, timeout);
          }),
        ]);
      }
    } catch (err) {
      failure = toError(err);
    } finally {
      if (timer) clearTimeout(timer);
      host.active.delete(controller);
    }
    const finishedAt = new Date();
    const durationMs = finishedAt.getTime() - startedAt.getTime();
    const traceback = failure ? failure.stack ?? String(failure) : null;
    host.finish(this.store, run.executionId, {
      status: failure ? 'error' : 'executed',
      startedAt,
      finishedAt,
      durationMs,
      error: failure ? `${failure.name}: ${failure.message}` : null,
      traceback,
    });
    const timing = { scheduledRunTime: run.runTime, startedAt, finishedAt, durationMs };
    host.emit(
      failure
        ? this.event<JobErrorEvent>('job_error', { ...timing, error: failure, traceback: traceback! })
        : this.event<JobExecutedEvent>('job_executed', { ...timing, returnValue }),
    );
  }

  private event<E extends SchedulerEvent>(type: E['type'], fields: Omit<E, keyof SchedulerEvent | 'jobId'>): E {
    return {
      type, timestamp: new Date(), instanceId: this.host.instanceId, jobId: this.job.id, store: this.store, ...fields,
    } as unknown as E;
  }
}

export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  const error = new Error(typeof value === 'string' ? value : `Non-error thrown: ${safeString(value)}`);
  return error;
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
