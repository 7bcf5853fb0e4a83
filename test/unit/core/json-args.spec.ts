import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { InvalidSchedulerOptionError, MemoryJobStore, SerializationError } from '../../../lib/index.js';
import { advance, makeScheduler, useFakeClock } from './scheduler-fixture.js';

/** What works in development must work on a database: the memory store refuses args a database cannot keep. */
describe('job args on the memory store', () => {
  beforeEach(() => useFakeClock());
  afterEach(() => {
    jest.useRealTimers();
  });

  it('refuses args that are not JSON, at addJob and at modifyJob, as a persistent store does', async () => {
    const { scheduler } = makeScheduler();
    await scheduler.start();
    const notJson: unknown[][] = [[new Date()], [() => 1], [{ nested: new Map() }], [1n], [Symbol('s')]];
    for (const args of notJson) {
      await expect(scheduler.addJob({ handler: () => {}, args, trigger: { type: 'interval', seconds: 1 } })).rejects.toThrow(
        SerializationError,
      );
    }
    const job = await scheduler.addJob({
      id: 'ok',
      handler: () => {},
      args: [{ when: '2030-01-01T00:00:00Z', ids: [1, 2] }],
      trigger: { type: 'interval', seconds: 1 },
    });
    await expect(scheduler.modifyJob(job.id, { args: [new Date()] })).rejects.toThrow(/args/);
    expect((await scheduler.getJob('ok'))!.args).toEqual([{ when: '2030-01-01T00:00:00Z', ids: [1, 2] }]);
    await scheduler.shutdown();
  });

  it('still takes a function handler and a trigger object: only args must be JSON', async () => {
    const { scheduler } = makeScheduler();
    await scheduler.start();
    const seen: unknown[] = [];
    await scheduler.addJob({ handler: (a: unknown) => seen.push(a), args: [{ a: 1 }] });
    await advance(10);
    expect(seen).toEqual([{ a: 1 }]);
    await scheduler.shutdown();
  });

  it('keeps any args, passed to the handler as they are, with allowNonJsonArgs', async () => {
    const { scheduler } = makeScheduler({ stores: { default: new MemoryJobStore({ allowNonJsonArgs: true }) } });
    await scheduler.start();
    const date = new Date('2030-01-01T00:00:00Z');
    const callback = () => 'called';
    const seen: unknown[] = [];
    await scheduler.addJob({ handler: (d: Date, f: () => string) => seen.push(d, f()), args: [date, callback] });
    await advance(10);
    expect(seen).toEqual([date, 'called']);
    expect(seen[0]).toBe(date);
    await scheduler.shutdown();
  });

  it('refuses a bad allowNonJsonArgs when the store is made', () => {
    expect(() => new MemoryJobStore({ allowNonJsonArgs: 'yes' as unknown as boolean })).toThrow(InvalidSchedulerOptionError);
    expect(() => new MemoryJobStore({ allowNonJsonArgs: 'yes' as unknown as boolean })).toThrow(/allowNonJsonArgs/);
  });
});
