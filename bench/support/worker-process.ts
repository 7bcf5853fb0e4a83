import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './clock.js';

/** The cluster scenarios' worker: dist-bench/bench/support/cluster-worker.js (see that file for its messages). */
const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'cluster-worker.js');

export interface Report {
  id: string;
  cpuMs: number;
  handled: number;
  errors?: number;
  lastError?: string;
  firstStart?: number;
  lastEnd?: number;
  lateness?: number[];
}

/** A forked worker process with its IPC channel. */
export class WorkerProcess {
  private readonly exited: Promise<number | null>;
  private readonly ready: Promise<void>;
  private reportWaiter: ((report: Report) => void) | null = null;

  constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    this.ready = new Promise((resolve, reject) => {
      child.on('message', (message: { type: string } & Report) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'report') this.reportWaiter?.(message);
      });
      child.on('exit', (code) => reject(new Error(`a worker exited with ${code} before it was ready`)));
    });
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  }

  static start(env: Record<string, string>): WorkerProcess {
    // BENCH_WORKER_NODE_ARGS: extra node flags for the workers, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof' to profile them.
    const execArgv = process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    return new WorkerProcess(fork(WORKER, [], { env: { ...process.env, ...env }, execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] }));
  }

  untilReady(): Promise<void> {
    return Promise.race([this.ready, sleep(30_000).then(() => Promise.reject(new Error('a worker did not start within 30 s')))]);
  }

  report(): Promise<Report> {
    return new Promise((resolve) => {
      this.reportWaiter = resolve;
      this.child.send({ type: 'report' });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.send({ type: 'stop' });
    const code = await Promise.race([this.exited, sleep(15_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** Starts `count` workers and waits until every one is polling; stops them all if one fails to start. */
export async function startWorkers(count: number, env: (i: number) => Record<string, string>): Promise<WorkerProcess[]> {
  const workers = Array.from({ length: count }, (_, i) => WorkerProcess.start(env(i)));
  try {
    await Promise.all(workers.map((w) => w.untilReady()));
  } catch (error) {
    await Promise.all(workers.map((w) => w.stop().catch(() => undefined)));
    throw error;
  }
  return workers;
}
