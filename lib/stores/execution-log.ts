import type { ExecutionQuery, ExecutionStatus, JobExecution, Outcome } from '../core/job.js';

interface Entry extends JobExecution {
  batchId: string;
}

/**
 * Execution history kept in memory, bounded: finished records beyond `maxRecords` are dropped
 * oldest first. Running records are never dropped, because maxInstances counts them.
 */
export class ExecutionLog {
  private readonly entries = new Map<string, Entry>();
  private readonly byRunTime = new Map<string, string>();
  /** jobId -> batchId -> runs of that batch still running. */
  private readonly runningBatches = new Map<string, Map<string, number>>();
  private sequence = 0;

  constructor(private readonly maxRecords: number) {}

  /** Records one run time; returns its id, or null when (jobId, runTime) already has a record. */
  insert(
    jobId: string,
    runTime: Date,
    status: ExecutionStatus,
    instanceId: string,
    batchId: string | null,
    error?: Error,
  ): string | null {
    const key = `${jobId}\u0000${runTime.getTime()}`;
    if (this.byRunTime.has(key)) return null;
    const id = `${Date.now().toString(36)}-${(++this.sequence).toString(36)}`;
    const entry: Entry = {
      id,
      jobId,
      scheduledRunTime: runTime,
      status,
      instanceId,
      startedAt: null,
      finishedAt: status === 'running' ? null : new Date(),
      durationMs: null,
      error: error ? `${error.name}: ${error.message}` : null,
      traceback: error?.stack ?? null,
      batchId: batchId ?? id,
    };
    this.entries.set(id, entry);
    this.byRunTime.set(key, id);
    if (status === 'running') this.countRun(jobId, entry.batchId, +1);
    this.evict();
    return id;
  }

  finish(id: string, outcome: Outcome): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    if (entry.status === 'running') this.countRun(entry.jobId, entry.batchId, -1);
    Object.assign(entry, outcome);
    return true;
  }

  /** Submissions of the job that have a run not yet finished. */
  runningSubmissions(jobId: string): number {
    return this.runningBatches.get(jobId)?.size ?? 0;
  }

  query({ jobId, status, since, limit = 100, offset = 0 }: ExecutionQuery): JobExecution[] {
    const rows: JobExecution[] = [];
    for (const entry of this.entries.values()) {
      if (jobId !== undefined && entry.jobId !== jobId) continue;
      if (status !== undefined && entry.status !== status) continue;
      if (since !== undefined && entry.scheduledRunTime < since) continue;
      rows.push(toExecution(entry));
    }
    rows.sort((a, b) => b.scheduledRunTime.getTime() - a.scheduledRunTime.getTime());
    return rows.slice(offset, offset + limit);
  }

  prune(olderThan: number): number {
    const cutoff = Date.now() - olderThan;
    let deleted = 0;
    for (const entry of this.entries.values()) {
      if (entry.status !== 'running' && entry.scheduledRunTime.getTime() < cutoff) {
        this.drop(entry);
        deleted++;
      }
    }
    return deleted;
  }

  private evict(): void {
    if (this.entries.size <= this.maxRecords) return;
    for (const entry of this.entries.values()) {
      if (this.entries.size <= this.maxRecords) return;
      if (entry.status !== 'running') this.drop(entry);
    }
  }

  private drop(entry: Entry): void {
    this.entries.delete(entry.id);
    this.byRunTime.delete(`${entry.jobId}\u0000${entry.scheduledRunTime.getTime()}`);
  }

  private countRun(jobId: string, batchId: string, delta: number): void {
    let batches = this.runningBatches.get(jobId);
    if (!batches) this.runningBatches.set(jobId, (batches = new Map()));
    const left = (batches.get(batchId) ?? 0) + delta;
    if (left > 0) batches.set(batchId, left);
    else batches.delete(batchId);
    if (batches.size === 0) this.runningBatches.delete(jobId);
  }
}

function toExecution({ batchId: _batch, ...execution }: Entry): JobExecution {
  return { ...execution };
}
