import { randomBytes } from 'node:crypto';
import {
  AsyncExecutor,
  Scheduler,
  type AddJobSpec,
  type Executor,
  type JobErrorEvent,
  type JobExecution,
  type JobStore,
  type SchedulerEvent,
  type SchedulerEventMap,
  type SchedulerEventType,
} from '../../../lib/index.js';
import { FaultyStore } from './faulty-store.js';
import { armHostileValues, disarmHostileValues } from './hostile-values.js';
import { PoisonedRegistry } from './poisoned-registry.js';

/** One store under test: a fresh, empty store per test. */
export interface StoreKit {
  readonly name: string;
  newStore(): Promise<JobStore>;
}

/**
 * Every test runs a burst of interval jobs sharing one grid: they fire together at T, T+400 (and
 * T+800 with `fires: 3`), up to their endDate, then are removed: once the last fire is over,
 * nothing can be 'running'.
 */
export const INTERVAL = 400;
/**
 * From the scheduler's start to T: room to add a burst of jobs to a database store (~150 ms on a
 * quiet machine; 400 ms was overrun on PostgreSQL at load 3.8 on 2 cores, so the margin is wider).
 */
const LEAD_MS = 700;
/** A healthy run "at that instant" starts at most this late (claims are made ahead of time). */
export const ON_TIME_MS = 300;
/** shutdown() longer than this is reported as a hang. */
const SHUTDOWN_BOUND_MS = 8000;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
export const sleepUntil = (time: number) => sleep(time - Date.now());

export interface RigOptions {
  executor?: Executor;
  claimAhead?: number;
  /** Fires of the grid, 2 (T, T+400) by default. */
  fires?: number;
  /** The scheduler's logger throws from every method (a log transport that is down). */
  loggerThrows?: boolean;
}

/**
 * Listens for what would crash a process. Under Jest the sandbox's `process` is a copy that never
 * receives these (Jest's runner listens on the real one and fails the running test itself, which
 * it does with the thrown value as the failure), so both mechanisms guard each test.
 */
class ProcessWatch {
  readonly seen: string[] = [];
  private readonly onException = (error: unknown) => this.seen.push(`uncaughtException: ${describe(error)}`);
  private readonly onRejection = (reason: unknown) => this.seen.push(`unhandledRejection: ${describe(reason)}`);

  constructor() {
    process.on('uncaughtException', this.onException);
    process.on('unhandledRejection', this.onRejection);
  }

  stop(): void {
    process.off('uncaughtException', this.onException);
    process.off('unhandledRejection', this.onRejection);
  }
}

function describe(value: unknown): string {
  try {
    return value instanceof Error ? `${value.name}: ${value.message}` : String(value);
  } catch {
    return 'a value that cannot be described';
  }
}

const live = new Set<Rig>();

/** For afterAll: whatever a failed test left running is shut down, so jest is not kept alive. */
export async function stopAllRigs(): Promise<void> {
  for (const rig of [...live]) await rig.stop();
}

/** A scheduler on a FaultyStore around the kit's store, with a PoisonedRegistry, recording its events. */
export class Rig {
  readonly events: SchedulerEvent[] = [];
  /** The burst's first fire time, epoch ms. */
  readonly T: number;
  /** The grid's fire times, as offsets from T. */
  readonly offsets: number[];
  /** The timeline of a healthy job: each fire of the grid executed once. */
  readonly allExecuted: string[];
  /** The timeline of a job whose first fire failed and whose later fires ran. */
  readonly failedOnce: string[];
  private stopped = false;

  private constructor(
    readonly scheduler: Scheduler,
    readonly store: FaultyStore,
    readonly registry: PoisonedRegistry,
    readonly watch: ProcessWatch,
    /** What the scheduler logged. */
    readonly logs: string[],
    fires: number,
  ) {
    scheduler.events$.subscribe((event) => this.events.push(event));
    registry.register('ok', () => 'ok');
    this.T = Date.now() + LEAD_MS;
    this.offsets = Array.from({ length: fires }, (_, k) => k * INTERVAL);
    this.allExecuted = this.offsets.map((offset) => `+${offset}:executed`);
    this.failedOnce = ['+0:error', ...this.allExecuted.slice(1)];
  }

  /** The last fire of the grid, as an offset from T. */
  get last(): number {
    return this.offsets[this.offsets.length - 1]!;
  }

  static async start(kit: StoreKit, options: RigOptions = {}): Promise<Rig> {
    const store = new FaultyStore(await kit.newStore());
    const registry = new PoisonedRegistry();
    const logs: string[] = [];
    const log = (line: string) => {
      logs.push(line);
      if (options.loggerThrows) throw new Error(`log transport down, could not write: ${line.slice(0, 80)}`);
    };
    const scheduler = new Scheduler({
      timezone: 'UTC',
      instanceId: `reliability-${kit.name}-${randomBytes(3).toString('hex')}`,
      stores: { default: store },
      executors: { default: options.executor ?? new AsyncExecutor({ maxConcurrency: 50 }) },
      registry,
      shutdownTimeout: 1000,
      ...(options.claimAhead === undefined ? {} : { claimAhead: options.claimAhead }),
      logger: {
        log: (message) => log(`log: ${message}`),
        warn: (message) => log(`warn: ${message}`),
        error: (message) => log(`error: ${message}`),
      },
    });
    const watch = new ProcessWatch();
    try {
      await scheduler.start();
    } catch (error) {
      watch.stop();
      throw error;
    }
    const rig = new Rig(scheduler, store, registry, watch, logs, options.fires ?? 2);
    live.add(rig);
    return rig;
  }

  /** A job on the burst's grid; the caller's options win. */
  job(id: string, handler = 'ok', args: unknown[] = [], extra: Partial<AddJobSpec> = {}): AddJobSpec {
    return {
      id,
      handler,
      args,
      trigger: { type: 'interval', milliseconds: INTERVAL, startDate: new Date(this.T), endDate: new Date(this.T + this.last) },
      misfireGraceTime: 1000,
      maxInstances: 1,
      coalesce: true,
      ...extra,
    };
  }

  async add(...jobs: AddJobSpec[]): Promise<void> {
    for (const job of jobs) await this.scheduler.addJob(job);
    if (Date.now() > this.T - 150)
      throw new Error(`adding the burst took until T${Date.now() - this.T} ms: the test cannot tell late from on time`);
  }

  of<T extends SchedulerEventType>(type: T): SchedulerEventMap[T][] {
    return this.events.filter((e) => e.type === type) as SchedulerEventMap[T][];
  }

  /** The job_error event of a job's fire, if any. */
  errorEvent(jobId: string, offset: number): JobErrorEvent | undefined {
    return this.of('job_error').find((e) => e.jobId === jobId && e.scheduledRunTime.getTime() === this.T + offset);
  }

  /** Waits until the last fire of every given job has a final record and none of them is 'running', or gives up. */
  async settle(jobIds: readonly string[], patienceMs = 1500): Promise<void> {
    await sleepUntil(this.T + this.last + 50);
    const deadline = this.T + this.last + patienceMs;
    for (;;) {
      const history = await this.history();
      const done = jobIds.every((id) => {
        const records = history.get(id) ?? [];
        return records.every((r) => r.status !== 'running') && records.some((r) => r.scheduledRunTime.getTime() === this.T + this.last);
      });
      if (done || Date.now() > deadline) return;
      await sleep(50);
    }
  }

  /** Every execution record, by job, oldest fire first. */
  async history(): Promise<Map<string, JobExecution[]>> {
    const byJob = new Map<string, JobExecution[]>();
    for (const record of await this.scheduler.getExecutions({ limit: 1000 })) {
      const list = byJob.get(record.jobId) ?? [];
      list.push(record);
      byJob.set(record.jobId, list);
    }
    for (const list of byJob.values()) list.sort((a, b) => a.scheduledRunTime.getTime() - b.scheduledRunTime.getTime());
    return byJob;
  }

  /** The record of a job's fire. */
  async record(jobId: string, offset: number): Promise<JobExecution | undefined> {
    return (await this.history()).get(jobId)?.find((r) => r.scheduledRunTime.getTime() === this.T + offset);
  }

  /** Per job, `+offset:status` for each of its records: one per fire, in order. */
  async timelines(jobIds: readonly string[]): Promise<Record<string, string[]>> {
    const history = await this.history();
    return Object.fromEntries(jobIds.map((id) => [id, (history.get(id) ?? []).map((r) => `${this.at(r)}:${r.status}`)]));
  }

  /** The executed runs of these jobs that started later than ON_TIME_MS after their fire time. */
  async lateRuns(jobIds: readonly string[]): Promise<string[]> {
    const history = await this.history();
    const late: string[] = [];
    for (const id of jobIds) {
      for (const r of history.get(id) ?? []) {
        if (r.status !== 'executed' || r.startedAt === null) continue;
        const lateness = r.startedAt.getTime() - r.scheduledRunTime.getTime();
        if (lateness > ON_TIME_MS) late.push(`${id}${this.at(r)} started ${lateness} ms late`);
      }
    }
    return late;
  }

  /** Handler calls made more than once for the same (job, scheduled run time). */
  doubleRuns(): string[] {
    return [...this.registry.calls].filter(([, n]) => n > 1).map(([key, n]) => `${key} called ${n} times`);
  }

  /** Every 'running' record of the scheduler, as `jobId+offset`. */
  async running(): Promise<string[]> {
    return (await this.scheduler.getExecutions({ status: 'running', limit: 1000 })).map((r) => `${r.jobId}${this.at(r)}`);
  }

  /** Shuts the scheduler down (bounded) and stops listening; never throws. Returns a problem, if any. */
  async stop(): Promise<string | null> {
    if (this.stopped) return null;
    this.stopped = true;
    live.delete(this);
    try {
      if (this.scheduler.state === 'stopped') return null;
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        this.scheduler.shutdown().then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), SHUTDOWN_BOUND_MS))),
      ]).finally(() => clearTimeout(timer));
      return finished ? null : `scheduler.shutdown() did not finish within ${SHUTDOWN_BOUND_MS} ms`;
    } catch (error) {
      return `scheduler.shutdown() threw ${describe(error)}`;
    } finally {
      this.watch.stop();
    }
  }

  private at(record: JobExecution): string {
    const offset = record.scheduledRunTime.getTime() - this.T;
    return offset >= 0 ? `+${offset}` : `${offset}`;
  }
}

/**
 * Runs a test body on a fresh rig and always shuts it down. A failure of the body is rethrown
 * as it was; otherwise a shutdown problem or a crash-level error seen meanwhile fails the test.
 */
export async function withRig(kit: StoreKit, options: RigOptions, body: (rig: Rig) => Promise<void>): Promise<void> {
  armHostileValues();
  const rig = await Rig.start(kit, options);
  let failure: unknown;
  let failed = false;
  try {
    await body(rig);
  } catch (error) {
    failure = error;
    failed = true;
  }
  const problem = await rig.stop();
  disarmHostileValues();
  if (failed) throw failure;
  if (problem) throw new Error(problem);
  if (rig.watch.seen.length > 0) throw new Error(`the process saw:\n${rig.watch.seen.join('\n')}`);
  // Invariant 1 seen from the handler's side: no fire time ran twice, whatever failed.
  const doubled = rig.doubleRuns();
  if (doubled.length > 0) throw new Error(`runs made twice:\n${doubled.join('\n')}`);
}

/** The same timeline for each job. */
export function each(jobIds: readonly string[], timeline: readonly string[]): Record<string, string[]> {
  return Object.fromEntries(jobIds.map((id) => [id, [...timeline]]));
}
