import type { JobSpec } from '../jobs/job.js';

/** What the scheduler decided for one due job at claim time (see DESIGN.md, "The loop"). */
export interface Plan {
  /** Run times to execute, oldest first, as one submission. */
  runTimes: Date[];
  /** Run times older than misfireGraceTime. */
  missed: Date[];
  /** Run times dropped because maxInstances submissions are already running. */
  maxInstances: Date[];
  /** Run times that failed at once, without running (e.g. the handler is not registered). */
  failed: { runTime: Date; error: Error }[];
  /** The job's new nextRunTime. */
  nextRunTime: Date | null;
  /** The trigger is exhausted: delete the job after this claim. */
  remove: boolean;
}

/** One run of a claimed submission, with the execution record the store created for it. */
export interface ClaimedRun {
  executionId: string;
  runTime: Date;
  /** Which run of runTime this is; absent: 1, the first (a retry claimed from the store says 2, 3, …). */
  attempt?: number;
  /** When it was due, if not at runTime: a retry's retryAt. Misfire is judged from it. */
  dueAt?: Date;
}

/** A due job the store claimed, after persisting the plan. */
export interface Claim {
  /** The job as it is after the claim (new nextRunTime). */
  job: JobSpec;
  plan: Plan;
  /** The runs to submit, one execution record each, status 'running'. */
  runs: ClaimedRun[];
  /**
   * A pending retry claimed from the store (claimDueJobs' planRetry), not a fire time: its plan
   * neither moves the job nor removes it.
   */
  retry?: boolean;
}
