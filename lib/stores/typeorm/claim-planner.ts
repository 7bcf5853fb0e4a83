import { randomUUID } from 'node:crypto';
import { copyJob, type JobSpec } from '../../core/jobs/job.js';
import { type ExecutionStatus } from '../../core/runs/execution.js';
import { type Claim, type ClaimedRun } from '../../core/loop/claim.js';
import type { PlanFunction } from '../job-store.js';

/** One execution row to insert, as column values. */
export interface ExecutionValues {
  id: string;
  jobId: string;
  scheduledRunTime: number;
  /** 1 when absent: the first run of the time. */
  attempt?: number;
  status: ExecutionStatus;
  instanceId: string;
  batchId: string | null;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  error: string | null;
  traceback: string | null;
  /** A 'retry_pending' record's due time. */
  retryAt?: number | null;
}

/** What a claim writes, gathered so each kind of write is one bulk statement (or a few chunks). */
export interface ClaimWrites {
  claims: Claim[];
  moved: { id: string; nextRunTime: number | null }[];
  removed: string[];
  executions: ExecutionValues[];
}

/** A due job the plan function threw on: reported and skipped instead of failing the whole claim. */
export interface PlanFailure {
  job: JobSpec;
  error: unknown;
}

/**
 * Turns the scheduler's plans for the locked jobs into the rows to write. Pure apart from ids:
 * the SQL around it lives in the store, so every dialect plans the same way.
 */
export function planClaims(
  jobs: readonly JobSpec[],
  running: ReadonlyMap<string, number>,
  now: Date,
  plan: PlanFunction,
  instanceId: string,
): { writes: ClaimWrites; failures: PlanFailure[] } {
  const writes: ClaimWrites = { claims: [], moved: [], removed: [], executions: [] };
  const failures: PlanFailure[] = [];
  for (const job of jobs) {
    let decision;
    try {
      decision = plan(job, running.get(job.id) ?? 0, now);
    } catch (error) {
      failures.push({ job, error });
      continue;
    }
    if (decision === null) continue;
    const row = (status: ExecutionStatus, runTime: Date, batchId: string | null = null): ExecutionValues => ({
      id: randomUUID(),
      jobId: job.id,
      scheduledRunTime: runTime.getTime(),
      status,
      instanceId,
      batchId,
      startedAt: null,
      finishedAt: null,
      durationMs: null,
      error: null,
      traceback: null,
    });

    // The runs of one plan are one submission: maxInstances counts distinct batches.
    const batchId = decision.runTimes.length > 0 ? randomUUID() : null;
    const runs: ClaimedRun[] = [];
    for (const runTime of decision.runTimes) {
      const execution = row('running', runTime, batchId);
      writes.executions.push(execution);
      runs.push({ executionId: execution.id, runTime });
    }
    for (const runTime of decision.missed) writes.executions.push(row('missed', runTime));
    for (const runTime of decision.maxInstances) writes.executions.push(row('max_instances', runTime));
    for (const { runTime, error } of decision.failed) {
      writes.executions.push({ ...row('error', runTime), error: error.message, traceback: error.stack ?? String(error) });
    }

    // A finished job that must be run again if this process dies, or whose failed runs are retried,
    // keeps its row (paused) until its runs end: a run taken over after a crash, or a retry, needs
    // the job's handler and args.
    if (decision.remove && !((job.rerunOnLoss || job.retry !== null) && runs.length > 0)) writes.removed.push(job.id);
    else writes.moved.push({ id: job.id, nextRunTime: decision.remove || !decision.nextRunTime ? null : decision.nextRunTime.getTime() });
    writes.claims.push({ job: copyJob(job, decision.nextRunTime), plan: decision, runs });
  }
  return { writes, failures };
}
