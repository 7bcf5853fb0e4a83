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
}
