import { afterEach, describe, expect, it } from '@jest/globals';
import { Scheduler } from '../../../lib/core/scheduler.js';
import type { JobStore } from '../../../lib/stores/job-store.js';
import { MemoryJobStore } from '../../../lib/stores/memory.job-store.js';

const quiet = { log: () => {}, warn: () => {}, error: () => {} };

/** A store without the optional paging reads: the scheduler must fall back to getAllJobs / getExecutions. */
function withoutPagingReads(store: MemoryJobStore): JobStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'queryJobs' || key === 'countExecutions' || key === 'lastExecutions') return undefined;
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('Scheduler paging reads across stores (queryJobs, queryExecutions, lastExecutions)', () => {
  let scheduler: Scheduler | undefined;
  afterEach(async () => {
    if (scheduler && scheduler.state !== 'stopped') await scheduler.shutdown({ wait: false });
    scheduler = undefined;
  });

  async function twoStores(b: JobStore): Promise<Scheduler> {
    const s = new Scheduler({ stores: { a: new MemoryJobStore(), b }, logger: quiet, timezone: 'UTC' });
    s.registry.register('noop', () => {});
    await s.start({ paused: true });
    const now = Date.now();
    for (let i = 0; i < 6; i++) {
      // Interleaved times: a page of both stores must merge them in time order.
      await s.addJob({
        id: `a${i}`,
        name: `alpha ${i}`,
        store: 'a',
        handler: 'noop',
        trigger: { type: 'interval', hours: 1 },
        nextRunTime: new Date(now + 60_000 + i * 2000),
      });
      await s.addJob({
        id: `b${i}`,
        name: `beta ${i}`,
        store: 'b',
        handler: 'noop',
        trigger: { type: 'interval', hours: 1 },
        nextRunTime: i === 5 ? null : new Date(now + 61_000 + i * 2000),
      });
    }
    await s.addJob({ id: 'same', store: 'a', handler: 'noop', trigger: { type: 'interval', hours: 1 }, nextRunTime: null });
    await s.addJob({ id: 'same', store: 'b', handler: 'noop', trigger: { type: 'interval', hours: 1 }, nextRunTime: null });
    return s;
  }

  it.each([
    ['with the stores paging themselves', () => new MemoryJobStore()],
    ['with a store that cannot page (fallback)', () => withoutPagingReads(new MemoryJobStore())],
  ])('merges the pages of several stores in time order, %s', async (_name, makeB) => {
    scheduler = await twoStores(makeB());
    const page = await scheduler.queryJobs({ limit: 4, offset: 2 });
    expect(page.total).toBe(14);
    expect(page.items.map((j) => `${j.store}:${j.id}`)).toEqual(['a:a1', 'b:b1', 'a:a2', 'b:b2']);
    const tail = await scheduler.queryJobs({ limit: 10, offset: 11 });
    expect(tail.items.map((j) => `${j.store}:${j.id}`)).toEqual(['b:b5', 'a:same', 'b:same']);
    expect((await scheduler.queryJobs({ q: 'BETA', paused: false })).total).toBe(5);
    expect((await scheduler.queryJobs({ store: 'b', paused: true })).items.map((j) => j.id)).toEqual(['b5', 'same']);
    await expect(scheduler.queryJobs({ limit: -1 })).rejects.toThrow("Invalid query field 'limit': -1");
    await expect(scheduler.queryJobs({ store: 'c' })).rejects.toThrow("No job store by the alias of 'c'");
  });

  it.each([
    ['with the stores paging themselves', () => new MemoryJobStore()],
    ['with a store that cannot page (fallback)', () => withoutPagingReads(new MemoryJobStore())],
  ])("counts every store's records and finds each job's latest in its own store, %s", async (_name, makeB) => {
    const b = makeB();
    scheduler = await twoStores(b);
    scheduler.resume();
    await scheduler.runJobNow('same', 'a');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await scheduler.runJobNow('same', 'b');
    await scheduler.runJobNow('b1', 'b');
    const all = await scheduler.queryExecutions({ limit: 2 });
    expect(all.total).toBe(3);
    expect(all.totalExact).toBe(true);
    expect(all.items).toHaveLength(2);
    expect((await scheduler.queryExecutions({ jobId: 'same' })).total).toBe(2);
    const [inA, inB, none] = await scheduler.lastExecutions([
      { id: 'same', store: 'a' },
      { id: 'same', store: 'b' },
      { id: 'a3', store: 'a' },
    ]);
    expect(inA!.jobId).toBe('same');
    expect(inB!.jobId).toBe('same');
    expect(inB!.scheduledRunTime.getTime()).toBeGreaterThan(inA!.scheduledRunTime.getTime());
    expect(none).toBeNull();
  });
});
