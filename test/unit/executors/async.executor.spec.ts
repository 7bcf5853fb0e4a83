import { describe, expect, it } from '@jest/globals';
import { AsyncExecutor } from '../../../lib/executors/async.executor.js';
import type { ExecutorTask } from '../../../lib/executors/executor.js';

/** A task that logs its start, and settles when the test says (or at once when `sync`). */
function task(log: string[], name: string, options: { sync?: boolean; onRun?: () => void } = {}) {
  let settle!: () => void;
  const t: ExecutorTask & { settle: () => void; cancelled: string | null } = {
    jobId: name,
    cancelled: null,
    settle: () => settle(),
    run() {
      log.push(name);
      options.onRun?.();
      if (options.sync) return undefined;
      return new Promise<void>((resolve) => (settle = resolve));
    },
    cancel(reason: string) {
      this.cancelled = reason;
    },
  };
  return t;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('AsyncExecutor', () => {
  it('runs at most maxConcurrency at once and the rest in the order given', async () => {
    const log: string[] = [];
    const executor = new AsyncExecutor({ maxConcurrency: 2 });
    const tasks = ['a', 'b', 'c', 'd'].map((n) => task(log, n));
    executor.submitMany(tasks.slice(0, 3));
    executor.submit(tasks[3]);
    expect(log).toEqual(['a', 'b']);
    expect(executor.queued).toBe(2);
    tasks[1].settle();
    await tick();
    expect(log).toEqual(['a', 'b', 'c']);
    tasks[0].settle();
    await tick();
    expect(log).toEqual(['a', 'b', 'c', 'd']);
  });

  it('runs a burst of synchronous tasks in one go, each freeing its slot at once', () => {
    const log: string[] = [];
    const executor = new AsyncExecutor({ maxConcurrency: 1 });
    executor.submitMany(Array.from({ length: 1000 }, (_, i) => task(log, `t${i}`, { sync: true })));
    expect(log).toHaveLength(1000);
    expect(log[999]).toBe('t999');
    expect(executor.running).toBe(0);
    expect(executor.queued).toBe(0);
  });

  it('keeps first come, first served when a task of a burst submits another while slots are full', async () => {
    const log: string[] = [];
    const executor = new AsyncExecutor({ maxConcurrency: 1 });
    const late = task(log, 'submitted by a', { sync: true });
    const a = task(log, 'a', { onRun: () => executor.submit(late) });
    const b = task(log, 'b', { sync: true });
    executor.submitMany([a, b]);
    expect(log).toEqual(['a']);
    a.settle();
    await tick();
    expect(log).toEqual(['a', 'b', 'submitted by a']);
  });

  it('cancels what a burst has not started when a task shuts the executor down', async () => {
    const log: string[] = [];
    const executor = new AsyncExecutor({ maxConcurrency: 5 });
    const rest = [task(log, 'b'), task(log, 'c')];
    const a = task(log, 'a', { sync: true, onRun: () => void executor.shutdown() });
    executor.submitMany([a, ...rest]);
    expect(log).toEqual(['a']);
    expect(rest.map((t) => t.cancelled)).toEqual([expect.stringMatching(/shut down/), expect.stringMatching(/shut down/)]);
  });

  it('cancels queued tasks on shutdown, waits for running ones, and runs again after start()', async () => {
    const log: string[] = [];
    const executor = new AsyncExecutor({ maxConcurrency: 1 });
    const running = task(log, 'running');
    const queued = task(log, 'queued');
    executor.submitMany([running, queued]);
    let stopped = false;
    const shutdown = executor.shutdown().then(() => (stopped = true));
    expect(queued.cancelled).toMatch(/shut down/);
    await tick();
    expect(stopped).toBe(false);
    running.settle();
    await shutdown;
    const refused = task(log, 'refused');
    executor.submit(refused);
    expect(refused.cancelled).toMatch(/shut down/);
    executor.start();
    executor.submitMany([task(log, 'after restart', { sync: true })]);
    expect(log).toEqual(['running', 'after restart']);
  });

  it('refuses a maxConcurrency that is not a whole number of at least 1', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new AsyncExecutor({ maxConcurrency: bad })).toThrow(/maxConcurrency/);
  });
});
