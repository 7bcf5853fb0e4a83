import type { ExecutionQuery, ExecutionStatus, JobExecution, Outcome } from '../core/runs/execution.js';

/** The runs of one submission still running; the submission counts until the last one ends. */
interface Batch {
  running: number;
}

interface Entry extends JobExecution {
  batch: Batch | null;
}

/**
 * Execution history kept in memory, bounded: finished records beyond `maxRecords` are dropped
 * oldest first. Running records are never dropped, because maxInstances counts them.
 */
export class ExecutionLog {
  private readonly entries = new Map<string, Entry>();
  /** jobId -> the scheduled times that have a record: at most one record per (job, time). */
  private readonly times = new Map<string, Set<number>>();
  /** jobId -> submissions with a run still running. */
  private readonly runningSubmissions = new Map<string, number>();
  /** Finished records, oldest first: what eviction may drop, without walking past running ones. */
  private finished: string[] = [];
  private finishedHead = 0;
  private sequence = 0;

  constructor(private readonly maxRecords: number) {}

  /** A batch for the runs of one submission, to pass to insert. */
  newBatch(): Batch {
    return { running: 0 };
  }

  /** Records one run time; returns its id, or null when (jobId, runTime) already has a record. */
  insert(jobId: string, runTime: Date, status: ExecutionStatus, instanceId: string, batch: Batch | null, error?: Error): string | null {
    let times = this.times.get(jobId);
    if (times === undefined) this.times.set(jobId, (times = new Set()));
    const time = runTime.getTime();
    if (times.has(time)) return null;
    times.add(time);
    const id = `m${++this.sequence}`;
    const running = status === 'running';
    const entry: Entry = {
      id,
      jobId,
      scheduledRunTime: runTime,
      status,
      instanceId,
      startedAt: null,
      finishedAt: running ? null : new Date(),
      durationMs: null,
      error: error ? `${error.name}: ${error.message}` : null,
      traceback: error?.stack ?? null,
      batch: null,
    };
    this.entries.set(id, entry);
    if (running) {
      entry.batch = batch ?? this.newBatch();
      if (entry.batch.running++ === 0) this.runningSubmissions.set(jobId, (this.runningSubmissions.get(jobId) ?? 0) + 1);
    } else {
      this.finished.push(id);
    }
    this.evict();
    return id;
  }

  finish(id: string, outcome: Outcome): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    if (entry.status === 'running') {
      this.release(entry);
      this.finished.push(id);
    }
    Object.assign(entry, outcome);
    this.evict();
    return true;
  }

  /** Deletes a record still running (a run taken back before it started), as if never claimed. */
  removeRunning(id: string): void {
    const entry = this.entries.get(id);
    if (!entry || entry.status !== 'running') return;
    this.release(entry);
    this.drop(entry);
  }

  /** Submissions of the job that have a run not yet finished. */
  runningCount(jobId: string): number {
    return this.runningSubmissions.get(jobId) ?? 0;
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

  private release(entry: Entry): void {
    const batch = entry.batch!;
    entry.batch = null;
    if (--batch.running > 0) return;
    const left = (this.runningSubmissions.get(entry.jobId) ?? 1) - 1;
    if (left > 0) this.runningSubmissions.set(entry.jobId, left);
    else this.runningSubmissions.delete(entry.jobId);
  }

  private evict(): void {
    while (this.entries.size > this.maxRecords && this.finishedHead < this.finished.length) {
      const entry = this.entries.get(this.finished[this.finishedHead++]);
      if (entry) this.drop(entry);
    }
    // Compact the queue now and then instead of shifting it on every eviction.
    if (this.finishedHead > 4096 && this.finishedHead * 2 > this.finished.length) {
      this.finished = this.finished.slice(this.finishedHead);
      this.finishedHead = 0;
    }
  }

  private drop(entry: Entry): void {
    this.entries.delete(entry.id);
    const times = this.times.get(entry.jobId);
    if (times) {
      times.delete(entry.scheduledRunTime.getTime());
      if (times.size === 0) this.times.delete(entry.jobId);
    }
  }
}

function toExecution({ batch: _batch, ...execution }: Entry): JobExecution {
  return { ...execution };
}
