import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Scheduler } from '../../../lib/core/scheduler.js';
import { TypeOrmJobStore } from '../../../lib/stores/typeorm/typeorm.job-store.js';
import { schedulerEntityList } from '../../../lib/stores/typeorm/schema/scheduler-entities.js';
import type { JobContext } from '../../../lib/core/jobs/job-options.js';
import type { TestDatabase } from '../../support/databases.js';

export { until } from '../../support/until.js';

let built = false;

/** The workers run the built package, as users do: build it once per test file. */
export function buildPackage(): void {
  if (built) return;
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  built = true;
}

export interface WorkerLine {
  type: string;
  jobId?: string;
  scheduledRunTime?: number;
  lostInstanceId?: string;
  error?: string;
  instanceId?: string;
  attempt?: number;
}

export class Worker {
  readonly lines: WorkerLine[] = [];
  private exited: Promise<number | null>;

  constructor(
    readonly id: string,
    readonly process: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => process.on('exit', (code) => resolve(code)));
    createInterface({ input: process.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as WorkerLine);
      } catch {
        // not one of ours
      }
    });
  }

  async ready(timeout = 20_000): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!this.lines.some((l) => l.type === 'ready')) {
      if (Date.now() > deadline) throw new Error(`worker ${this.id} did not start`);
      if (this.process.exitCode !== null) throw new Error(`worker ${this.id} exited with ${this.process.exitCode}`);
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.kill('SIGTERM');
    await this.exited;
  }

  /** SIGSTOP: the process freezes (a long GC pause, a frozen VM) until resume(). */
  pause(): void {
    this.process.kill('SIGSTOP');
  }

  resume(): void {
    this.process.kill('SIGCONT');
  }

  async kill(): Promise<void> {
    this.process.kill('SIGKILL');
    await this.exited;
  }
}

export interface WorkerSettings {
  pollInterval?: number;
  heartbeatInterval?: number;
  instanceTimeout?: number;
}

export function startWorker(db: TestDatabase, prefix: string, id: string, settings: WorkerSettings = {}): Worker {
  const child = spawn(process.execPath, ['test/support/cluster-worker.mjs'], {
    env: {
      ...process.env,
      WORKER_DATASOURCE: JSON.stringify(db.options()),
      WORKER_PREFIX: prefix,
      WORKER_ID: id,
      WORKER_POLL: String(settings.pollInterval ?? 1000),
      WORKER_HEARTBEAT: String(settings.heartbeatInterval ?? 500),
      WORKER_TIMEOUT: String(settings.instanceTimeout ?? 2000),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Worker(id, child);
}

/** The test's own process: adds jobs through a paused scheduler (it claims nothing) and reads the tables. */
export async function controller(db: TestDatabase, prefix: string, settings: WorkerSettings = {}) {
  const dataSource = await db.dataSource({ entities: schedulerEntityList(prefix), synchronize: true });
  const scheduler = new Scheduler({
    instanceId: 'controller',
    timezone: 'UTC',
    stores: {
      default: new TypeOrmJobStore({
        dataSource,
        tablePrefix: prefix,
        heartbeatInterval: settings.heartbeatInterval ?? 500,
        instanceTimeout: settings.instanceTimeout ?? 2000,
      }),
    },
    logger: { log: () => {}, warn: () => {}, error: () => {} },
  });
  // If it takes over a run lost with a killed worker, it can run it like any replica.
  const calls: WorkerLine[] = [];
  scheduler.registry.register('work', (ms: number, ctx: JobContext) => {
    calls.push({ type: 'call', jobId: ctx.jobId, scheduledRunTime: ctx.scheduledRunTime.getTime(), attempt: ctx.attempt });
    return sleep(ms);
  });
  scheduler.registry.register('flaky', () => {
    throw new Error('the controller is paused and runs nothing');
  });
  const events: WorkerLine[] = [];
  scheduler.events$.subscribe((e) => {
    if (e.type === 'job_lost') {
      const lost = e as unknown as { jobId: string; scheduledRunTime: Date; lostInstanceId: string };
      events.push({
        type: e.type,
        jobId: lost.jobId,
        scheduledRunTime: lost.scheduledRunTime.getTime(),
        lostInstanceId: lost.lostInstanceId,
      });
    }
  });
  await scheduler.start({ paused: true });
  const table = `${prefix}executions`;
  const q = (name: string) => (dataSource.options.type === 'postgres' ? `"${name}"` : `\`${name}\``);
  const quote = dataSource.options.type === 'better-sqlite3' ? (name: string) => `"${name}"` : q;
  return {
    dataSource,
    scheduler,
    /** job_lost events this process emitted. */
    events,
    /** The calls of the `work` handler in this process (it runs only runs it took over). */
    calls,
    async executions(): Promise<ExecutionRow[]> {
      const rows: Record<string, unknown>[] = await dataSource.query(
        `SELECT ${quote('job_id')} AS j, ${quote('scheduled_run_time')} AS t, ${quote('attempt')} AS a, ${quote('status')} AS s,` +
          ` ${quote('instance_id')} AS i, ${quote('started_at')} AS st, ${quote('finished_at')} AS fi FROM ${quote(table)}`,
      );
      return rows.map((r) => ({
        jobId: String(r.j),
        time: Number(r.t),
        attempt: Number(r.a),
        status: String(r.s),
        instanceId: String(r.i),
        startedAt: r.st === null ? null : Number(r.st),
        finishedAt: r.fi === null ? null : Number(r.fi),
      }));
    },
    async stop(): Promise<void> {
      if (scheduler.state !== 'stopped') await scheduler.shutdown();
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** A record of the executions table, as `controller().executions()` reads it. */
export interface ExecutionRow {
  jobId: string;
  time: number;
  attempt: number;
  status: string;
  instanceId: string;
  startedAt: number | null;
  finishedAt: number | null;
}

/**
 * Each (job, fire time, attempt) from the handlers' side, against the executions table: what the
 * `work` handler was called for, in which process, must be what the records say ran there.
 * - a run recorded as run (executed, error) was called once, by the process the record names;
 * - a run recorded lost was called at most once, by the process it was lost with (it may have died
 *   before its executor started it);
 * - besides, a run of a `rerunOnLoss` job re-run after a loss was called at most once by one of
 *   `lostWith`, the processes killed or frozen in the test;
 * - nothing else was called (no missed or max_instances run, no run without a record).
 * Returns what does not hold, one line each, so that a failure names every such run.
 */
export function callsAgainstRecords(
  rows: readonly ExecutionRow[],
  callers: readonly { id: string; lines: readonly WorkerLine[] }[],
  lostWith: readonly string[] = [],
  rerunOnLoss: (jobId: string) => boolean = () => false,
): string[] {
  const key = (jobId: string | undefined, time: number | undefined, attempt: number | undefined) => `${jobId}@${time}#${attempt ?? 1}`;
  const calledBy = new Map<string, string[]>();
  for (const caller of callers) {
    for (const line of caller.lines) {
      if (line.type !== 'call') continue;
      const k = key(line.jobId, line.scheduledRunTime, line.attempt);
      calledBy.set(k, [...(calledBy.get(k) ?? []), caller.id]);
    }
  }
  const problems: string[] = [];
  const recorded = new Set<string>();
  for (const row of rows) {
    const k = key(row.jobId, row.time, row.attempt);
    recorded.add(k);
    const by = calledBy.get(k) ?? [];
    const byOwner = by.filter((id) => id === row.instanceId).length;
    const others = by.filter((id) => id !== row.instanceId);
    let allowed: boolean;
    if (row.status === 'executed' || row.status === 'error') {
      const reranAfterLoss = others.length === 1 && rerunOnLoss(row.jobId) && lostWith.includes(others[0]!);
      allowed = byOwner === 1 && (others.length === 0 || reranAfterLoss);
    } else if (row.status === 'lost') {
      allowed = byOwner <= 1 && others.length === 0;
    } else {
      allowed = by.length === 0;
    }
    if (!allowed) problems.push(`${k} recorded ${row.status} by ${row.instanceId}, called by [${by.join(', ')}]`);
  }
  for (const [k, by] of calledBy) if (!recorded.has(k)) problems.push(`${k} called by [${by.join(', ')}] with no record`);
  return problems;
}
