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
  /**
   * jobId -> scheduled time -> the id of its record: at most one record per (job, time), and a
   * job's latest record found without walking the whole log.
   */
  private readonly times = new Map<string, Map<number, string>>();
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
    if (times === undefined) this.times.set(jobId, (times = new Map()));
    const time = runTime.getTime();
    if (times.has(time)) return null;
    const id = `m${++this.sequence}`;
    times.set(time, id);
    const running = status === 'running';
    const entry: Entry = {
      id,
      jobId,
      scheduledRunTime: runTime,
      attempt: 1,
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

  query(query: ExecutionQuery): JobExecution[] {
    const { limit = 100, offset = 0 } = query;
    const rows: Entry[] = [];
    for (const entry of this.candidates(query)) if (matches(entry, query)) rows.push(entry);
    rows.sort((a, b) => b.scheduledRunTime.getTime() - a.scheduledRunTime.getTime());
    return rows.slice(offset, offset + limit).map(toExecution);
  }

  /** How many records `query` matches, limit and offset aside, counting no further than `atMost`. */
  count(query: ExecutionQuery, atMost = Infinity): number {
    let n = 0;
    for (const entry of this.candidates(query)) if (matches(entry, query) && ++n >= atMost) break;
    return n;
  }

  /** The job's record with the latest scheduled time, if it has any. */
  latest(jobId: string): JobExecution | null {
    const times = this.times.get(jobId);
    if (times === undefined) return null;
    let best = -Infinity;
    let id: string | undefined;
    for (const [time, entryId] of times) {
      if (time > best) {
        best = time;
        id = entryId;
      }
    }
    const entry = id === undefined ? undefined : this.entries.get(id);
    return entry ? toExecution(entry) : null;
  }

  /** The records a query may match: one job's alone when it names a job. */
  private *candidates(query: ExecutionQuery): Iterable<Entry> {
    if (query.jobId === undefined) {
      yield* this.entries.values();
      return;
    }
    for (const id of this.times.get(query.jobId)?.values() ?? []) {
      const entry = this.entries.get(id);
      if (entry) yield entry;
    }
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

function matches(entry: Entry, { jobId, status, since, until }: ExecutionQuery): boolean {
  if (jobId !== undefined && entry.jobId !== jobId) return false;
  if (status !== undefined && entry.status !== status) return false;
  if (since !== undefined && entry.scheduledRunTime < since) return false;
  return until === undefined || entry.scheduledRunTime < until;
}

function toExecution({ batch: _batch, ...execution }: Entry): JobExecution {
  return { ...execution };
}
