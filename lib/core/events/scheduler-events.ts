/** @publicApi */
export type SchedulerEventType =
  | 'scheduler_started'
  | 'scheduler_shutdown'
  | 'scheduler_paused'
  | 'scheduler_resumed'
  | 'executor_added'
  | 'executor_removed'
  | 'jobstore_added'
  | 'jobstore_removed'
  | 'all_jobs_removed'
  | 'job_added'
  | 'job_removed'
  | 'job_modified'
  | 'job_submitted'
  | 'job_max_instances'
  | 'job_executed'
  | 'job_error'
  | 'job_missed'
  | 'job_lost'
  | 'job_retry_scheduled'
  | 'jobstore_error';

/** @publicApi */
export interface SchedulerEvent {
  type: SchedulerEventType;
  timestamp: Date;
  instanceId: string;
  jobId?: string;
  store?: string;
}

/** @publicApi */
export interface JobSubmittedEvent extends SchedulerEvent {
  type: 'job_submitted' | 'job_max_instances';
  jobId: string;
  scheduledRunTimes: Date[];
}

/** @publicApi */
export interface JobExecutedEvent extends SchedulerEvent {
  type: 'job_executed';
  jobId: string;
  scheduledRunTime: Date;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  returnValue: unknown;
  /** Which run of scheduledRunTime this was: 1 for the first, 2 for its first retry, … */
  attempt: number;
}

/** @publicApi */
export interface JobErrorEvent extends SchedulerEvent {
  type: 'job_error';
  jobId: string;
  scheduledRunTime: Date;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  error: Error;
  traceback: string;
  /** Which run of scheduledRunTime failed: 1 for the first, 2 for its first retry, … */
  attempt: number;
  /** When this failure is retried (the job's `retry` option); null when it is not. */
  retryAt: Date | null;
}

/**
 * A failed run's retry was recorded in the store (emitted once the store has it, so it survives a
 * restart). @publicApi
 */
export interface JobRetryScheduledEvent extends SchedulerEvent {
  type: 'job_retry_scheduled';
  jobId: string;
  scheduledRunTime: Date;
  /** The attempt the retry will be: the failed run's plus one. */
  attempt: number;
  retryAt: Date;
}

/** @publicApi */
export interface JobMissedEvent extends SchedulerEvent {
  type: 'job_missed';
  jobId: string;
  scheduledRunTime: Date;
}

/** A running execution whose owning instance stopped heartbeating. @publicApi */
export interface JobLostEvent extends SchedulerEvent {
  type: 'job_lost';
  jobId: string;
  scheduledRunTime: Date;
  /** The instance that owned the run. */
  lostInstanceId: string;
  executionId: string;
}

/** A store failed (database down, unreadable row); the scheduler retries. @publicApi */
export interface JobStoreErrorEvent extends SchedulerEvent {
  type: 'jobstore_error';
  store: string;
  error: Error;
}

/** Maps each event type to the event shape it carries. @publicApi */
export interface SchedulerEventMap {
  scheduler_started: SchedulerEvent;
  scheduler_shutdown: SchedulerEvent;
  scheduler_paused: SchedulerEvent;
  scheduler_resumed: SchedulerEvent;
  executor_added: SchedulerEvent;
  executor_removed: SchedulerEvent;
  jobstore_added: SchedulerEvent;
  jobstore_removed: SchedulerEvent;
  all_jobs_removed: SchedulerEvent;
  job_added: SchedulerEvent;
  job_removed: SchedulerEvent;
  job_modified: SchedulerEvent;
  job_submitted: JobSubmittedEvent;
  job_max_instances: JobSubmittedEvent;
  job_executed: JobExecutedEvent;
  job_error: JobErrorEvent;
  job_missed: JobMissedEvent;
  job_lost: JobLostEvent;
  job_retry_scheduled: JobRetryScheduledEvent;
  jobstore_error: JobStoreErrorEvent;
}
