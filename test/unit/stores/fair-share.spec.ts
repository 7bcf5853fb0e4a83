import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { FOLLOW_UP_MS, FairShare } from '../../../lib/stores/typeorm/cluster/fair-share.js';

describe('FairShare', () => {
  const T = Date.UTC(2030, 0, 7, 12);
  beforeEach(() => {
    jest.useFakeTimers({ now: T });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('takes what is due divided by the live instances, rounded up, and never more than the claim could', () => {
    let peers = 2;
    const share = new FairShare(
      () => peers,
      () => {},
    );
    expect([share.limit(30, 1000, T), share.limit(10, 1000, T), share.limit(1, 1000, T), share.limit(3000, 500, T)]).toEqual([
      10, 4, 1, 500,
    ]);
    peers = 0;
    expect(share.shared).toBe(false);
    expect(share.limit(30, 1000, T)).toBe(30);
    share.stop();
  });

  it('looks again just after an instant it left runs of to its peers, once however many claims were cut', () => {
    let wakes = 0;
    const share = new FairShare(
      () => 2,
      () => void wakes++,
    );
    // Claimed 100 ms ahead of the instant T + 100, three batches cut.
    share.limit(30, 1000, T + 100);
    share.limit(20, 1000, T + 100);
    share.limit(13, 1000, T + 100);
    jest.advanceTimersByTime(100 + FOLLOW_UP_MS - 1);
    expect(wakes).toBe(0);
    jest.advanceTimersByTime(1);
    expect(wakes).toBe(1);
    jest.advanceTimersByTime(10_000);
    expect(wakes).toBe(1);
  });

  it('does not look again when it took everything due, or after stop()', () => {
    let wakes = 0;
    const alone = new FairShare(
      () => 2,
      () => void wakes++,
    );
    alone.limit(1, 1000, T);
    jest.advanceTimersByTime(1000);
    expect(wakes).toBe(0);
    alone.limit(30, 1000, T + 1000);
    alone.stop();
    jest.advanceTimersByTime(1000);
    expect(wakes).toBe(0);
  });
});
