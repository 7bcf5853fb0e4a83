import type { JobContext, JobHandlerFunction } from '../core/jobs/job-options.js';

/** One submission: the runs of one job claimed together, run one after another. */
export interface ExecutorTask {
  readonly jobId: string;
  /** Runs the submission; never throws or rejects. Returns nothing when it completed synchronously. */
  run(): Promise<void> | void;
  /** Called instead of run() when the executor drops the task unstarted (shutdown). */
  cancel(reason: string): void;
}

/**
 * Decides how and when submissions run (concurrency, queueing). What a run does — context,
 * timeout, history, events — is the scheduler's, so every executor behaves the same.
 * @publicApi
 */
export interface Executor {
  /** Submissions running now. */
  readonly running: number;
  /** Submissions waiting for a slot. */
  readonly queued: number;
  /**
   * Submissions it runs at once, if it has a limit. The scheduler then claims a job only when a
   * slot is free for it, so a run never waits in the queue past its misfireGraceTime while another
   * replica could have run it. Undefined or Infinity: no limit.
   */
  readonly maxConcurrency?: number;
  /** Called when the scheduler starts (again): accept work. */
  start(): void;
  submit(task: ExecutorTask): void;
  /**
   * Several tasks at once, in order, as submit() would take them one by one. Optional: the
   * scheduler uses it for runs due at the same instant, so an executor can start them in one go.
   */
  submitMany?(tasks: readonly ExecutorTask[]): void;
  /** Stops taking work: queued tasks are cancelled; resolves when the running ones have settled. */
  shutdown(): Promise<void>;
  /**
   * Handlers the executor brings, by name (WorkerThreadExecutor's `handlers` option): the
   * scheduler registers them when the executor is added to it.
   */
  readonly handlers?: Readonly<Record<string, JobHandlerFunction>>;
  /**
   * An executor that runs handlers outside this process's event loop (a worker thread, a child
   * process) has this: the scheduler then calls it instead of the handler, with the job's args and
   * the run's context, and records what it resolves or rejects with as the handler's outcome
   * (timeout, history and events stay the scheduler's). Only handlers registered with
   * workerHandler() can run there; the scheduler refuses any other on such an executor.
   */
  invoke?(call: ExecutorCall): Promise<unknown>;
}

/** One handler call an executor with invoke() makes elsewhere. */
export interface ExecutorCall {
  /** The handler's registered name. */
  readonly handler: string;
  /** Where the handler is: a module file (as a file: URL) and its export. */
  readonly target: { readonly module: string; readonly export: string };
  /** The job's args (JSON for a persistent store). */
  readonly args: readonly unknown[];
  /** The run's context; its signal aborts on timeout and when shutdown stops waiting. */
  readonly ctx: JobContext;
}
