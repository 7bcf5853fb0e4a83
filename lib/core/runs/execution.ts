/** @publicApi */
export type ExecutionStatus = 'running' | 'executed' | 'error' | 'missed' | 'max_instances' | 'lost';

/** One row of execution history. At most one exists per (jobId, scheduledRunTime). @publicApi */
export interface JobExecution {
  id: string;
  jobId: string;
  scheduledRunTime: Date;
  status: ExecutionStatus;
  instanceId: string;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  error: string | null;
  traceback: string | null;
}

/** How a run ended, written by finishExecution. */
export interface Outcome {
  status: 'executed' | 'error' | 'missed';
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  error: string | null;
  traceback: string | null;
}

/** Filters for getExecutions. @publicApi */
export interface ExecutionQuery {
  jobId?: string;
  status?: ExecutionStatus;
  since?: Date;
  /** Default 100. */
  limit?: number;
  /** Rows to skip, for paging. */
  offset?: number;
}
