import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { WakeTimer } from '../../../../lib/core/loop/wake-timer.js';
import { T0, advance, useFakeClock } from '../scheduler-fixture.js';

describe('WakeTimer', () => {
  afterEach(() => {
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  /** Arms a timer for `at` and resolves with the wall clock at its wake. */
  function wakeAt(at: number, precise: boolean): Promise<number> {
    return new Promise((resolve) => new WakeTimer(() => resolve(Date.now())).arm(at, precise));
  }

  it.each([false, true])('never wakes before its target on the real clock (precise: %s)', async (precise) => {
    for (let i = 0; i < 5; i++) {
      const target = Date.now() + 5 + i * 3;
      const woke = await wakeAt(target, precise);
      expect(woke).toBeGreaterThanOrEqual(target);
      // Generous: a loaded machine may be late, but not by a whole timer period.
      expect(woke - target).toBeLessThan(200);
    }
  });

  it('wakes a precise arming exactly at its target, once, when the clock does not move by itself', async () => {
    useFakeClock();
    const wakes: number[] = [];
    new WakeTimer(() => wakes.push(Date.now())).arm(T0.getTime() + 100, true);
    await advance(99);
    expect(wakes).toEqual([]);
    await advance(1);
    expect(wakes).toEqual([T0.getTime() + 100]);
    await advance(1000);
    expect(wakes).toEqual([T0.getTime() + 100]);
  });

  it('blocks for the last milliseconds only when wakes are rare, so frequent ones never hold the thread for long', async () => {
    useFakeClock();
    const wait = jest.spyOn(Atomics, 'wait');
    const timer = new WakeTimer(() => {});
    timer.arm(T0.getTime() + 100, true);
    await advance(100);
    // A clock that does not move: the blocking wait gives up after a few slices and an ordinary
    // timeout takes over.
    const first = wait.mock.calls.length;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(30);
    timer.arm(T0.getTime() + 110, true);
    await advance(10);
    expect(wait.mock.calls.length).toBe(first);
    timer.arm(T0.getTime() + 10_000, false);
    await advance(10_000);
    expect(wait.mock.calls.length).toBe(first);
  });

  it('does not wake once cancelled', async () => {
    useFakeClock();
    const wakes: number[] = [];
    const timer = new WakeTimer(() => wakes.push(Date.now()));
    timer.arm(T0.getTime() + 50, true);
    await advance(49);
    timer.cancel();
    await advance(100);
    expect(wakes).toEqual([]);
    expect(timer.armedFor).toBeNull();
  });
});
