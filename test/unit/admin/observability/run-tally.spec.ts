import { afterEach, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { Subject } from 'rxjs';
import { SchedulerMetrics } from '../../../../lib/admin/metrics/scheduler-metrics.js';
import type { RunTallySource } from '../../../../lib/core/events/run-tally.js';
import type { JobExecutedEvent, SchedulerEvent } from '../../../../lib/core/events/scheduler-events.js';
import { Scheduler } from '../../../../lib/core/scheduler.js';
import { MemoryJobStore } from '../../../../lib/stores/memory.job-store.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quiet = { log: () => {}, warn: () => {}, error: () => {} };

async function runsTotal(registry: Registry, job: string, outcome: string): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'scheduler_runs_total');
  return metric?.values.find((v) => v.labels.job === job && v.labels.outcome === outcome)?.value;
}

describe('run tally (counting runs without job_executed events)', () => {
  let scheduler: Scheduler | undefined;
  afterEach(async () => {
    await scheduler?.shutdown();
    scheduler = undefined;
  });

  it("tells a listener of every run that ended well with the job_executed event's facts", async () => {
    scheduler = new Scheduler({ timezone: 'UTC', stores: { default: new MemoryJobStore() }, logger: quiet });
    const told: [string, string, number, number, number, number][] = [];
    const release = (scheduler.events$ as unknown as RunTallySource).tallyRuns({ executed: (...args) => told.push(args) });
    const events: JobExecutedEvent[] = [];
    scheduler.executed$.subscribe((e) => events.push(e));
    await scheduler.start();
    await scheduler.addJob({ id: 'a', handler: () => 'x', trigger: { type: 'interval', hours: 1 } });
    await scheduler.addJob({ id: 'b', handler: () => Promise.reject(new Error('no')), trigger: { type: 'interval', hours: 1 } });
    await scheduler.runJobNow('a');
    await scheduler.runJobNow('b');
    await sleep(100);
    expect(events).toHaveLength(1);
    const [e] = events;
    expect(told).toEqual([['a', 'default', e.scheduledRunTime.getTime(), e.startedAt.getTime(), e.durationMs, 1]]);
    expect(e.startedAt.getTime() + e.durationMs).toBe(e.finishedAt.getTime());
    release();
    await scheduler.runJobNow('a');
    await sleep(100);
    expect(told).toHaveLength(1);
  });

  it('SchedulerMetrics counts from it, and from job_executed events on an events$ without it', async () => {
    scheduler = new Scheduler({ timezone: 'UTC', stores: { default: new MemoryJobStore() }, logger: quiet });
    const registry = new Registry();
    const metrics = new SchedulerMetrics(scheduler, { registry });
    await scheduler.start();
    await scheduler.addJob({ id: 'a', handler: () => 'x', trigger: { type: 'interval', hours: 1 } });
    await scheduler.runJobNow('a');
    await scheduler.runJobNow('a');
    await sleep(100);
    expect(await runsTotal(registry, 'a', 'executed')).toBe(2);
    metrics.close();

    const subject = new Subject<SchedulerEvent>();
    const plain = { events$: subject.asObservable(), health: () => scheduler!.health(), getJobs: () => scheduler!.getJobs() };
    const other = new Registry();
    const fallback = new SchedulerMetrics(plain, { registry: other });
    const at = new Date();
    const event: JobExecutedEvent = {
      type: 'job_executed',
      timestamp: at,
      instanceId: 'i',
      jobId: 'z',
      store: 'default',
      scheduledRunTime: at,
      startedAt: at,
      finishedAt: at,
      durationMs: 0,
      returnValue: undefined,
      attempt: 1,
    };
    subject.next(event);
    subject.next(event);
    expect(await runsTotal(other, 'z', 'executed')).toBe(2);
    fallback.close();
  });
});
