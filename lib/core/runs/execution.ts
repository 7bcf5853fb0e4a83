/**
 * `retry_pending`: a retry of a failed run, waiting for its `retryAt` (it counts toward
 * maxInstances, like a running run). @publicApi
 */
export type ExecutionStatus = 'running' | 'executed' | 'error' | 'missed' | 'max_instances' | 'lost' | 'retry_pending';

/** One row of execution history. At most one exists per (jobId, scheduledRunTime, attempt). @publicApi */
export interface JobExecution {
  id: string;
  jobId: string;
  scheduledRunTime: Date;
  /** Which run of the scheduled time this is: the first run is 1, a retry of it 2, and so on. */
  attempt: number;
  status: ExecutionStatus;
  instanceId: string;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  error: string | null;
  traceback: string | null;
  /** When a `retry_pending` record comes due; null (or absent, from a store without retries) for the others. */
  retryAt?: Date | null;
}

/**
 * The retry a failed run schedules, written with its outcome (in the same transaction): a
 * `retry_pending` record for (jobId, runTime, attempt), due at `at`. @publicApi
 */
export interface RetryRecord {
  jobId: string;
  /** The scheduled time the retries belong to (the failed run's). */
  runTime: Date;
  /** The attempt of the retry: the failed run's plus one. */
  attempt: number;
  at: Date;
}

/** How a run ended, written by finishExecution. */
export interface Outcome {
  status: 'executed' | 'error' | 'missed';
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  error: string | null;
  traceback: string | null;
  /** A failed run that is retried: the retry to record with the outcome. Absent or null: none. */
  retry?: RetryRecord | null;
}

/** Filters for getExecutions. @publicApi */
export interface ExecutionQuery {
  jobId?: string;
  status?: ExecutionStatus;
  since?: Date;
  /** Only records scheduled before this instant (exclusive), so [since, until) windows tile. */
  until?: Date;
  /** Default 100. */
  limit?: number;
  /** Rows to skip, for paging. */
  offset?: number;
}

/** One page of execution history and how many records match the query in all (admin paging). @publicApi */
export interface ExecutionPage {
  items: JobExecution[];
  /** Matching records, counted up to MAX_COUNTED_EXECUTIONS (100,000) per store. */
  total: number;
  /** false when a store stopped counting at that bound: more records match than `total` says. */
  totalExact: boolean;
}
