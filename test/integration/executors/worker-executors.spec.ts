import { afterEach, describe, expect, it } from '@jest/globals';
import {
  InvalidJobOptionError,
  JobTimeoutError,
  type Scheduler,
  WorkerCrashError,
  WorkerThreadExecutor,
  workerHandler,
  type JobExecutedEvent,
} from '../../../lib/index.js';
import { errorOf, JOBS, KINDS, newScheduler, outcomeOf, runOnce, sleep } from './executor-rig.js';

let scheduler: Scheduler | undefined;
afterEach(async () => {
  if (scheduler && scheduler.state !== 'stopped') await scheduler.shutdown({ wait: false });
  scheduler = undefined;
});

async function started(options: Parameters<typeof newScheduler>[0] = {}): Promise<Scheduler> {
  scheduler = newScheduler(options);
  await scheduler.start();
  return scheduler;
}

describe.each(KINDS)('%s executor', (kind) => {
  it('passes JSON args and the context in, and the return value back to job_executed', async () => {
    const s = await started();
    const event = await runOnce(s, kind, 'jobs.echo', [{ n: 1, list: [1, 'two'] }, 'text'], { id: `echo-${kind}` });
    expect(event.type).toBe('job_executed');
    const value = (event as JobExecutedEvent).returnValue as Record<string, any>;
    expect(value.a).toEqual({ n: 1, list: [1, 'two'] });
    expect(value.b).toBe('text');
    expect(value.ctx).toMatchObject({
      jobId: `echo-${kind}`,
      jobName: 'jobs.echo',
      instanceId: s.instanceId,
      isDate: true,
      hasSignal: true,
    });
    expect(new Date(value.ctx.scheduledRunTime).getTime()).toBe(event.scheduledRunTime.getTime());
    if (kind === 'processes') expect(value.pid).not.toBe(process.pid);
    else expect(value.threadId).toBeGreaterThan(0);
    // The default export, and the history record of the run.
    expect(((await runOnce(s, kind, 'jobs.default', [21])) as JobExecutedEvent).returnValue).toBe(42);
    const [record] = await s.getExecutions({ jobId: `echo-${kind}` });
    expect(record.status).toBe('executed');
  });

  it('runs a CPU-bound handler without delaying an in-process 100 ms interval job', async () => {
    const s = await started();
    const late: number[] = [];
    const sub = s.executed$.subscribe((e) => {
      if (e.jobId === 'tick') late.push(e.startedAt.getTime() - e.scheduledRunTime.getTime());
    });
    await s.addJob({ id: 'tick', handler: () => undefined, trigger: { type: 'interval', milliseconds: 100 }, misfireGraceTime: null });
    const spin = await runOnce(s, kind, 'jobs.spin', [1000]);
    sub.unsubscribe();
    expect(spin.type).toBe('job_executed');
    expect(late.length).toBeGreaterThanOrEqual(8);
    // In process, the ticks during the spin would be ~1 s late. Generous: a shared CI machine.
    expect(Math.max(...late)).toBeLessThan(200);
  });

  it('stops a handler that ignores its timeout: JobTimeoutError, the worker is stopped, the next run works', async () => {
    const s = await started();
    const t0 = Date.now();
    const event = await runOnce(s, kind, 'jobs.spin', [20_000], { timeout: 300 });
    expect(errorOf(event)).toBeInstanceOf(JobTimeoutError);
    expect(Date.now() - t0).toBeLessThan(3000);
    // The slot comes back once the worker is terminated (grace 200 ms), not after 20 s.
    const deadline = Date.now() + 3000;
    while (s.health().executors.find((e) => e.alias === kind)!.running > 0 && Date.now() < deadline) await sleep(20);
    expect(s.health().executors.find((e) => e.alias === kind)!.running).toBe(0);
    expect((await runOnce(s, kind, 'jobs.echo', [1, 2])).type).toBe('job_executed');
  });

  it('lets a handler that reads its signal end within the grace', async () => {
    const s = await started({ threads: { terminateGrace: 2000 }, processes: { terminateGrace: 2000 } });
    const id = `polite-${kind}`;
    const outcome = outcomeOf(s, id);
    await s.addJob({ id, handler: 'jobs.waitForAbort', executor: kind, timeout: 200 });
    expect(errorOf(await outcome)).toBeInstanceOf(JobTimeoutError);
    // It returned when its signal aborted (the reason's name crossed over), so no worker had to die.
    await sleep(100);
    expect(s.health().executors.find((e) => e.alias === kind)!.running).toBe(0);
  });

  it('stops a native-looking hang (Atomics.wait) at its timeout', async () => {
    const s = await started();
    expect(errorOf(await runOnce(s, kind, 'jobs.hang', [], { timeout: 200 }))).toBeInstanceOf(JobTimeoutError);
    expect((await runOnce(s, kind, 'jobs.echo', [3, 4])).type).toBe('job_executed');
  });

  it('records a crash as an error with its reason and recovers: process.exit, throws, out of memory', async () => {
    const s = await started({ threads: { resourceLimits: { maxOldGenerationSizeMb: 32 } }, processes: { maxOldSpaceSizeMb: 32 } });
    const exited = errorOf(await runOnce(s, kind, 'jobs.exitOne'));
    expect(exited).toBeInstanceOf(WorkerCrashError);
    expect(exited.message).toMatch(/exited with code 1/);
    expect((await runOnce(s, kind, 'jobs.echo', [1, 1])).type).toBe('job_executed');

    const thrown = errorOf(await runOnce(s, kind, 'jobs.throwNow', ['bad input']));
    expect(thrown.name).toBe('RangeError');
    expect(thrown.message).toBe('bad input');
    expect(thrown.stack).toContain('throwNow');

    const uncaught = errorOf(await runOnce(s, kind, 'jobs.throwLater', ['late boom']));
    expect(uncaught.message).toContain('late boom');
    expect((await runOnce(s, kind, 'jobs.echo', [1, 1])).type).toBe('job_executed');

    const oom = errorOf(await runOnce(s, kind, 'jobs.eatMemory'));
    expect(oom).toBeInstanceOf(WorkerCrashError);
    expect((oom as WorkerCrashError).code).toBe(kind === 'threads' ? 'ERR_WORKER_OUT_OF_MEMORY' : 'ERR_CHILD_OUT_OF_MEMORY');
    const [record] = await s.getExecutions({ status: 'error', limit: 1 });
    expect(record.error).toContain('out of memory');
    expect((await runOnce(s, kind, 'jobs.echo', [1, 1])).type).toBe('job_executed');
  });

  it('shutdown waits for running workers, then stops them', async () => {
    const s = await started();
    const outcome = runOnce(s, kind, 'jobs.spin', [600], { id: `long-${kind}` });
    await sleep(200);
    await s.shutdown({ wait: true });
    expect((await outcome).type).toBe('job_executed');
  });

  it('shutdown that stops waiting terminates a stuck worker and records it', async () => {
    const s = await started({ shutdownTimeout: 300 });
    const outcome = outcomeOf(s, `stuck-${kind}`);
    await s.addJob({ id: `stuck-${kind}`, handler: 'jobs.hang', executor: kind });
    await sleep(300);
    const t0 = Date.now();
    await s.shutdown({ wait: true });
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(errorOf(await outcome).message).toMatch(/shut down/);
  });
});

describe('what runs where', () => {
  it('refuses a function of this process on a worker executor, and a module file in process', async () => {
    const s = await started();
    s.registry.register('Reports.build', () => 'in process');
    await expect(s.addJob({ handler: 'Reports.build', executor: 'threads' })).rejects.toThrow(InvalidJobOptionError);
    await expect(s.addJob({ handler: 'Reports.build', executor: 'processes' })).rejects.toThrow(/a function of this process.*module file/);
    await expect(s.addJob({ handler: () => 1, executor: 'threads' })).rejects.toThrow(InvalidJobOptionError);
    await expect(s.addJob({ handler: 'jobs.echo' })).rejects.toThrow(/module file for a worker executor/);
    const job = await s.addJob({ id: 'movable', handler: 'jobs.echo', executor: 'threads', nextRunTime: null });
    await expect(s.modifyJob(job.id, { executor: 'default' })).rejects.toThrow(InvalidJobOptionError);
    await expect(s.modifyJob(job.id, { handler: 'Reports.build' })).rejects.toThrow(InvalidJobOptionError);
  });

  it('registers worker handlers with workerHandler() too, and checks the reference', async () => {
    const s = await started();
    s.registry.register('doubled', workerHandler({ module: JOBS.href }));
    expect(((await runOnce(s, 'threads', 'doubled', [5])) as JobExecutedEvent).returnValue).toBe(10);
    expect(() => workerHandler({ module: './relative.js' })).toThrow(/file: URL/);
    expect(() => new WorkerThreadExecutor({ handlers: { x: { module: JOBS, export: '' } } })).toThrow(/export/);
    expect(() => new WorkerThreadExecutor({ maxWorkers: 0 })).toThrow(/maxWorkers/);
    expect(() => new WorkerThreadExecutor({ resourceLimits: { maxOldGenerationSizeMb: -1 } })).toThrow(/resourceLimits/);
    const missing = errorOf(
      await runOnce(s, 'threads', 'jobs.noop'.replace('noop', 'echo'), [1, 2]).then(async () => {
        s.registry.register('nothing', workerHandler({ module: JOBS, export: 'notThere' }));
        return runOnce(s, 'threads', 'nothing');
      }),
    );
    expect(missing.message).toMatch(/does not export a function 'notThere'/);
  });
});

describe('pool size and idle workers', () => {
  it.each(KINDS)('%s: claims only what a free worker can start (maxConcurrency = maxWorkers)', async (kind) => {
    const s = await started({ threads: { maxWorkers: 1 }, processes: { maxWorkers: 1 } });
    expect(s.health().executors.find((e) => e.alias === kind)!.maxConcurrency).toBe(1);
    const first = outcomeOf(s, `a-${kind}`);
    const second = outcomeOf(s, `b-${kind}`);
    await s.addJob({ id: `a-${kind}`, handler: 'jobs.spin', args: [400], executor: kind, misfireGraceTime: null });
    await s.addJob({ id: `b-${kind}`, handler: 'jobs.echo', args: [1, 2], executor: kind, misfireGraceTime: null });
    await sleep(150);
    // The second waits in its store, not in the executor's queue.
    expect(s.health().executors.find((e) => e.alias === kind)).toMatchObject({ running: 1, queued: 0 });
    const [a, b] = await Promise.all([first, second]);
    expect(a.type).toBe('job_executed');
    expect(b.type).toBe('job_executed');
    expect(b.startedAt.getTime()).toBeGreaterThanOrEqual(a.finishedAt.getTime() - 5);
  });

  it('processes: an idle child is stopped after idleTimeout, and a new one serves the next run', async () => {
    const s = await started({ processes: { idleTimeout: 200 } });
    const { pid } = ((await runOnce(s, 'processes', 'jobs.echo', [1, 2])) as JobExecutedEvent).returnValue as { pid: number };
    await sleep(600);
    expect(() => process.kill(pid, 0)).toThrow();
    const again = ((await runOnce(s, 'processes', 'jobs.echo', [1, 2])) as JobExecutedEvent).returnValue as { pid: number };
    expect(again.pid).not.toBe(pid);
  });
});

describe('priority', () => {
  it.each(KINDS)("%s: nice lowers the workers' CPU priority (Linux)", async (kind) => {
    if (process.platform !== 'linux') return;
    const s = await started({ threads: { nice: 5 }, processes: { nice: 5 } });
    const { getPriority } = await import('node:os');
    const seen = ((await runOnce(s, kind, 'jobs.priority')) as JobExecutedEvent).returnValue as number;
    expect(seen).toBe(Math.min(19, getPriority() + 5));
  });
});

describe('restart', () => {
  it('runs on both worker executors again after shutdown and start', async () => {
    const s = await started();
    for (const kind of KINDS) expect((await runOnce(s, kind, 'jobs.echo', [1, 2])).type).toBe('job_executed');
    await s.shutdown();
    await s.start();
    for (const kind of KINDS) expect((await runOnce(s, kind, 'jobs.echo', [1, 2])).type).toBe('job_executed');
  });
});
