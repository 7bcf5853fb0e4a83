import { describe, expect, it } from '@jest/globals';
import { DeferredWork, type RecordsRun } from '../../../../lib/core/runs/deferred-work.js';
import type { ClaimedRun } from '../../../../lib/core/loop/claim.js';

const run = (executionId: string): ClaimedRun => ({ executionId, runTime: new Date(0) });

describe('DeferredWork', () => {
  it('does nothing until the synchronous stretch ends, then everything in the order given', async () => {
    const done: string[] = [];
    const work = new DeferredWork(() => {});
    const owner: RecordsRun = { record: (r, startedAt, value) => void done.push(`${r.executionId}@${startedAt}=${String(value)}`) };
    work.record(owner, run('a'), 1, 'x', null);
    work.call(() => done.push('task'));
    work.record(owner, run('b'), 2, undefined, null);
    expect(done).toEqual([]);
    await work.settle();
    expect(done).toEqual(['a@1=x', 'task', 'b@2=undefined']);
  });

  it('hands each run its own start time, epoch ms to the fraction, in the next burst too', async () => {
    const seen: [string, number, unknown, Error | null][] = [];
    const work = new DeferredWork(() => {});
    const owner: RecordsRun = { record: (r, startedAt, value, failure) => void seen.push([r.executionId, startedAt, value, failure]) };
    const failure = new Error('no');
    work.record(owner, run('a'), 1_795_000_000_000.25, 1, null);
    work.record(owner, run('b'), 1_795_000_000_003, undefined, failure);
    await work.settle();
    work.record(owner, run('c'), 1_795_000_001_000.5, 'v', null);
    await work.settle();
    expect(seen).toEqual([
      ['a', 1_795_000_000_000.25, 1, null],
      ['b', 1_795_000_000_003, undefined, failure],
      ['c', 1_795_000_001_000.5, 'v', null],
    ]);
  });

  it('does work given while it flushes in the same flush, after what came before', async () => {
    const done: string[] = [];
    const work = new DeferredWork(() => {});
    work.call(() => {
      done.push('first');
      work.call(() => done.push('given during the flush'));
    });
    work.call(() => done.push('second'));
    await work.settle();
    expect(done).toEqual(['first', 'second', 'given during the flush']);
    work.call(() => done.push('next burst'));
    await work.settle();
    expect(done).toEqual(['first', 'second', 'given during the flush', 'next burst']);
  });

  it('reports what throws and goes on with the rest', async () => {
    const errors: unknown[] = [];
    const done: string[] = [];
    const work = new DeferredWork((error) => errors.push(error));
    work.call(() => {
      throw new Error('boom');
    });
    work.call(() => done.push('after'));
    await work.settle();
    expect(errors).toEqual([new Error('boom')]);
    expect(done).toEqual(['after']);
  });
});
