import { jest } from '@jest/globals';
import { Scheduler } from '../../../lib/core/scheduler.js';
import type { SchedulerOptions } from '../../../lib/core/scheduler-options.js';
import type { SchedulerEvent } from '../../../lib/core/events/scheduler-events.js';

export const T0 = new Date('2030-01-07T12:00:00.000Z');

export const silentLogger = { log: () => {}, warn: () => {}, error: () => {} };

/** A scheduler on fake timers, in UTC, recording every event it emits. */
export function makeScheduler(options: SchedulerOptions = {}) {
  const scheduler = new Scheduler({ timezone: 'UTC', instanceId: 'test', logger: silentLogger, ...options });
  const events: SchedulerEvent[] = [];
  scheduler.events$.subscribe((event) => events.push(event));
  const of = (type: SchedulerEvent['type']) => events.filter((e) => e.type === type);
  return { scheduler, events, of };
}

export function useFakeClock(now: Date = T0): void {
  jest.useFakeTimers({ now, doNotFake: ['nextTick', 'queueMicrotask'] });
}

/** Advances the fake clock, letting promises settle between timers. */
export async function advance(ms: number): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
}

/** A promise with its resolve function, for handlers the test releases. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
