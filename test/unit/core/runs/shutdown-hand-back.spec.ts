import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { MemoryJobStore } from '../../../../lib/stores/memory.job-store.js';
import { OneAtATimeExecutor } from '../one-at-a-time.executor.js';
import { T0, advance, makeScheduler, useFakeClock } from '../scheduler-fixture.js';

describe('Shutdown with runs waiting for an executor', () => {
  beforeEach(() => useFakeClock());
  afterEach(() => {
    jest.useRealTimers();
  });

  it('gives the runs it has not started back to the store with their time, instead of recording them missed', async () => {
    const store = new MemoryJobStore();
    const { scheduler, of } = makeScheduler({
      stores: { default: store },
      executors: { default: new OneAtATimeExecutor() },
      claimAhead: 0,
    });
    await scheduler.start();
    const ran: string[] = [];
    const fireAt = new Date(T0.getTime() + 1000);
    for (const id of ['a', 'b', 'c']) {
      await scheduler.addJob({
        id,
        handler: async () => {
          ran.push(id);
          await new Promise((resolve) => setTimeout(resolve, 500));
        },
        trigger: { type: 'interval', minutes: 1, startDate: fireAt },
        misfireGraceTime: null,
      });
    }
    await advance(1_100);
    expect(ran).toEqual(['a']);
    const stopping = scheduler.shutdown({ wait: true });
    await advance(1_000);
    await stopping;

    expect(of('job_missed')).toEqual([]);
    const records = await store.getExecutions({});
    expect(records.map((r) => [r.jobId, r.status])).toEqual([['a', 'executed']]);
    // b and c are due again at their fire time, as if never claimed.
    for (const id of ['b', 'c']) expect((await store.lookupJob(id))!.nextRunTime).toEqual(fireAt);
    expect((await store.lookupJob('a'))!.nextRunTime).toEqual(new Date(fireAt.getTime() + 60_000));

    // The next start (or another replica sharing the store) runs them, once each.
    await scheduler.start();
    await advance(2_000);
    expect(ran).toEqual(['a', 'b', 'c']);
    const after = await store.getExecutions({});
    expect(after.map((r) => [r.jobId, r.scheduledRunTime.getTime(), r.status]).sort()).toEqual([
      ['a', fireAt.getTime(), 'executed'],
      ['b', fireAt.getTime(), 'executed'],
      ['c', fireAt.getTime(), 'executed'],
    ]);
    await scheduler.shutdown();
  });

  it('gives them back as soon as shutdown begins, not after the runs in progress end', async () => {
    const store = new MemoryJobStore();
    const { scheduler } = makeScheduler({ stores: { default: store }, executors: { default: new OneAtATimeExecutor() }, claimAhead: 0 });
    await scheduler.start();
    const fireAt = new Date(T0.getTime() + 1000);
    for (const id of ['long', 'queued']) {
      await scheduler.addJob({
        id,
        handler: () => new Promise((resolve) => setTimeout(resolve, 5_000)),
        trigger: { type: 'interval', minutes: 1, startDate: fireAt },
        misfireGraceTime: null,
      });
    }
    await advance(1_100);
    const stopping = scheduler.shutdown({ wait: true });
    await advance(10);
    // 'long' runs for 5 s more; 'queued' is due again already, for another replica to run now.
    expect((await store.lookupJob('queued'))!.nextRunTime).toEqual(fireAt);
    expect((await store.getExecutions({ jobId: 'queued' })).map((r) => r.status)).toEqual([]);
    await advance(6_000);
    await stopping;
    expect((await store.getExecutions({ jobId: 'long' })).map((r) => r.status)).toEqual(['executed']);
  });

  it('records them missed when the store cannot take runs back', async () => {
    const memory = new MemoryJobStore();
    // A custom store like the memory store, but without releaseRuns.
    const store = Object.create(memory, { releaseRuns: { value: undefined } }) as MemoryJobStore;
    const { scheduler, of } = makeScheduler({ stores: { default: store }, executors: { default: new OneAtATimeExecutor() } });
    await scheduler.start();
    const fireAt = new Date(T0.getTime() + 1000);
    for (const id of ['a', 'b']) {
      await scheduler.addJob({
        id,
        handler: () => new Promise((resolve) => setTimeout(resolve, 500)),
        trigger: { type: 'date', runDate: fireAt },
        misfireGraceTime: null,
      });
    }
    await advance(1_100);
    const stopping = scheduler.shutdown({ wait: true });
    await advance(1_000);
    await stopping;
    expect(of('job_missed').map((e) => e.jobId)).toEqual(['b']);
    expect((await memory.getExecutions({ jobId: 'b' })).map((r) => r.status)).toEqual(['missed']);
  });
});
