import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Scheduler } from '../../../lib/core/scheduler.js';
import { TypeOrmJobStore } from '../../../lib/stores/typeorm/typeorm.job-store.js';
import { schedulerEntityList } from '../../../lib/stores/typeorm/schema/scheduler-entities.js';
import type { TestDatabase } from '../../support/databases.js';

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
  scheduler.registry.register('work', (ms: number) => sleep(ms));
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
    async executions(): Promise<
      {
        jobId: string;
        time: number;
        attempt: number;
        status: string;
        instanceId: string;
        startedAt: number | null;
        finishedAt: number | null;
      }[]
    > {
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

/** Waits until `check` holds, polling; fails with `what` after `timeout`. */
export async function until(check: () => Promise<boolean>, timeout: number, what: string): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
