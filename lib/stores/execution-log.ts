import type { ExecutionQuery, ExecutionStatus, JobExecution, Outcome, RetryRecord } from '../core/runs/execution.js';
import { JobHeap } from './job-heap.js';

/** The runs of one submission still running; the submission counts until the last one ends. */
interface Batch {
  running: number;
}

interface Entry extends JobExecution {
  batch: Batch | null;
}

/** Counts toward maxInstances: a run not yet finished, or a retry waiting for its time. */
function isOpen(status: ExecutionStatus): boolean {
  return status === 'running' || status === 'retry_pending';
}

/**
 * Execution history kept in memory, bounded: finished records beyond `maxRecords` are dropped
 * oldest first. Running records are never dropped, because maxInstances counts them.
 */
export class ExecutionLog {
  private readonly entries = new Map<string, Entry>();
  /**
   * jobId -> scheduled time -> the id of its first run's record: at most one record per (job, time),
   * and a job's latest record found without walking the whole log.
   */
  private readonly times = new Map<string, Map<number, string>>();
  /** jobId -> "time:attempt" -> record id, for attempts above 1 (retries): the rest of the unique key. */
  private readonly retryTimes = new Map<string, Map<string, string>>();
  /** The 'retry_pending' records by retryAt: what claims look at, only when it is not empty. */
  private readonly pendingRetries = new JobHeap();
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
      retryAt: null,
      batch: null,
    };
    this.entries.set(id, entry);
    if (running) {
      entry.batch = batch ?? this.newBatch();
      this.open(entry);
    } else {
      this.finished.push(id);
    }
    this.evict();
    return id;
  }

  finish(id: string, outcome: Outcome): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    if (isOpen(entry.status)) {
      this.release(entry);
      this.pendingRetries.delete(id);
      this.finished.push(id);
    }
    const { retry, ...fields } = outcome;
    Object.assign(entry, fields);
    // In the same step as the failure, as a database store does it in one transaction.
    if (retry != null) this.insertRetry(retry, entry.instanceId);
    this.evict();
    return true;
  }

  /** Records a pending retry; returns its id, or null when that attempt already has a record. */
  insertRetry(retry: RetryRecord, instanceId: string): string | null {
    let times = this.retryTimes.get(retry.jobId);
    if (times === undefined) this.retryTimes.set(retry.jobId, (times = new Map()));
    const key = `${retry.runTime.getTime()}:${retry.attempt}`;
    if (times.has(key)) return null;
    const id = `m${++this.sequence}`;
    times.set(key, id);
    const entry: Entry = {
      id,
      jobId: retry.jobId,
      scheduledRunTime: new Date(retry.runTime.getTime()),
      attempt: retry.attempt,
      status: 'retry_pending',
      instanceId,
      startedAt: null,
      finishedAt: null,
      durationMs: null,
      error: null,
      traceback: null,
      retryAt: new Date(retry.at.getTime()),
      batch: this.newBatch(),
    };
    this.entries.set(id, entry);
    this.open(entry);
    this.pendingRetries.set(id, retry.at.getTime());
    return id;
  }

  /** When the earliest pending retry is due (epoch ms), if any is pending. */
  nextRetryAt(): number | undefined {
    return this.pendingRetries.peekTime();
  }

  /** The earliest pending retry due at or before `nowMs`, taken off the queue (see deferRetry), or null. */
  takeDueRetry(nowMs: number): JobExecution | null {
    const time = this.pendingRetries.peekTime();
    if (time === undefined || time > nowMs) return null;
    const id = this.pendingRetries.peekId()!;
    this.pendingRetries.delete(id);
    const entry = this.entries.get(id);
    return entry && entry.status === 'retry_pending' ? toExecution(entry) : this.takeDueRetry(nowMs);
  }

  /** A retry taken by takeDueRetry that waits: back in the queue. */
  deferRetry(id: string): void {
    const entry = this.entries.get(id);
    if (entry?.status === 'retry_pending') this.pendingRetries.set(id, entry.retryAt!.getTime());
  }

  /** A pending retry starts in `instanceId`: it keeps its place in maxInstances, now as running. */
  startRetry(id: string, instanceId: string): void {
    const entry = this.entries.get(id);
    if (entry?.status !== 'retry_pending') return;
    this.pendingRetries.delete(id);
    entry.status = 'running';
    entry.instanceId = instanceId;
  }

  /** A running retry taken back unstarted: pending again, at its retryAt. */
  releaseRetry(id: string): void {
    const entry = this.entries.get(id);
    if (entry?.status !== 'running' || entry.attempt <= 1 || !entry.retryAt) return;
    entry.status = 'retry_pending';
    this.pendingRetries.set(id, entry.retryAt.getTime());
  }

  /** Drops the pending retries of a job (removed), or of every job. */
  removeRetries(jobId?: string): void {
    const ids =
      jobId === undefined
        ? [...this.retryTimes.values()].flatMap((m) => [...m.values()])
        : [...(this.retryTimes.get(jobId)?.values() ?? [])];
    for (const id of ids) {
      const entry = this.entries.get(id);
      if (entry?.status !== 'retry_pending') continue;
      this.pendingRetries.delete(id);
      this.release(entry);
      this.drop(entry);
    }
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
    rows.sort((a, b) => b.scheduledRunTime.getTime() - a.scheduledRunTime.getTime() || b.attempt - a.attempt);
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
    let best: Entry | undefined;
    for (const id of this.idsOf(jobId)) {
      const entry = this.entries.get(id);
      if (entry === undefined) continue;
      const order =
        best === undefined ? 1 : entry.scheduledRunTime.getTime() - best.scheduledRunTime.getTime() || entry.attempt - best.attempt;
      if (order > 0) best = entry;
    }
    return best ? toExecution(best) : null;
  }

  /** The ids of a job's records: first runs, then retries. */
  private *idsOf(jobId: string): Iterable<string> {
    yield* this.times.get(jobId)?.values() ?? [];
    yield* this.retryTimes.get(jobId)?.values() ?? [];
  }

  /** The records a query may match: one job's alone when it names a job. */
  private *candidates(query: ExecutionQuery): Iterable<Entry> {
    if (query.jobId === undefined) {
      yield* this.entries.values();
      return;
    }
    for (const id of this.idsOf(query.jobId)) {
      const entry = this.entries.get(id);
      if (entry) yield entry;
    }
  }

  prune(olderThan: number): number {
    const cutoff = Date.now() - olderThan;
    let deleted = 0;
    for (const entry of this.entries.values()) {
      if (!isOpen(entry.status) && entry.scheduledRunTime.getTime() < cutoff) {
        this.drop(entry);
        deleted++;
      }
    }
    return deleted;
  }

  /** Counts the entry's batch toward its job's submissions (the first entry of a batch does). */
  private open(entry: Entry): void {
    if (entry.batch!.running++ === 0) this.runningSubmissions.set(entry.jobId, (this.runningSubmissions.get(entry.jobId) ?? 0) + 1);
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
    if (entry.attempt > 1) {
      const retries = this.retryTimes.get(entry.jobId);
      if (retries) {
        retries.delete(`${entry.scheduledRunTime.getTime()}:${entry.attempt}`);
        if (retries.size === 0) this.retryTimes.delete(entry.jobId);
      }
      return;
    }
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
