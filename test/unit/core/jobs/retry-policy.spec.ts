import { describe, expect, it } from '@jest/globals';
import { InvalidJobOptionError } from '../../../../lib/core/errors.js';
import {
  DEFAULT_RETRY_DELAY,
  readRetryOptions,
  retryDelay,
  retryTime,
  shouldRetry,
  type RetryPolicy,
} from '../../../../lib/core/jobs/retry-policy.js';
import { MAX_TIMER_MS } from '../../../../lib/utils/option-checks.js';

const policy = (p: Partial<RetryPolicy>): RetryPolicy => ({ attempts: 3, delay: 1000, backoff: 'fixed', maxDelay: null, jitter: 0, ...p });

function refusal(value: unknown): InvalidJobOptionError {
  try {
    readRetryOptions(value);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidJobOptionError);
    return error as InvalidJobOptionError;
  }
  throw new Error('not refused');
}

describe('readRetryOptions', () => {
  it('fills in the defaults', () => {
    expect(readRetryOptions({ attempts: 2 })).toEqual({
      attempts: 2,
      delay: DEFAULT_RETRY_DELAY,
      backoff: 'fixed',
      maxDelay: null,
      jitter: 0,
    });
    expect(readRetryOptions({ attempts: 5, delay: 10, backoff: 'exponential', maxDelay: 100, jitter: 7 })).toEqual({
      attempts: 5,
      delay: 10,
      backoff: 'exponential',
      maxDelay: 100,
      jitter: 7,
    });
  });

  it('reads null as no retries and undefined members as not given', () => {
    expect(readRetryOptions(null)).toBeNull();
    expect(readRetryOptions({ attempts: 1, delay: undefined })?.delay).toBe(DEFAULT_RETRY_DELAY);
  });

  it('refuses with the field, the value and what is allowed', () => {
    const cases: [unknown, string, RegExp][] = [
      [{}, 'retry.attempts', /required/],
      [{ attempts: -1 }, 'retry.attempts', /from 0 to 1000/],
      [{ attempts: 1.5 }, 'retry.attempts', /whole number/],
      [{ attempts: 1001 }, 'retry.attempts', /from 0 to 1000/],
      [{ attempts: 1, delay: -5 }, 'retry.delay', /ms/],
      [{ attempts: 1, delay: MAX_TIMER_MS + 1 }, 'retry.delay', /ms/],
      [{ attempts: 1, backoff: 'linear' }, 'retry.backoff', /'fixed' or 'exponential'/],
      [{ attempts: 1, delay: 500, maxDelay: 100 }, 'retry.maxDelay', /at least delay \(500 ms\)/],
      [{ attempts: 1, jitter: '5' }, 'retry.jitter', /whole number of ms/],
      [{ attempts: 1, tries: 3 }, 'retry.tries', /not a retry option/],
      [3, 'retry', /attempts/],
      [[], 'retry', /attempts/],
    ];
    for (const [value, field, allowed] of cases) {
      const error = refusal(value);
      expect(error.field).toBe(field);
      expect(error.allowed).toMatch(allowed);
      expect(error.message).toContain(field);
    }
  });
});

describe('shouldRetry', () => {
  it('retries an error or a timeout, up to attempts times', () => {
    const p = policy({ attempts: 2 });
    expect(shouldRetry(p, 'error', 1)).toBe(true);
    expect(shouldRetry(p, 'timeout', 2)).toBe(true);
    expect(shouldRetry(p, 'error', 3)).toBe(false); // the first run and two retries: exhausted
  });

  it('never retries a success, a missed, max_instances or lost run, or a job without a policy', () => {
    const p = policy({ attempts: 5 });
    for (const end of ['executed', 'missed', 'max_instances', 'lost'] as const) expect(shouldRetry(p, end, 1)).toBe(false);
    expect(shouldRetry(null, 'error', 1)).toBe(false);
    expect(shouldRetry(policy({ attempts: 0 }), 'error', 1)).toBe(false);
  });
});

describe('retryDelay', () => {
  it('fixed: the same delay for every attempt', () => {
    const p = policy({ delay: 250 });
    expect([1, 2, 3, 10].map((n) => retryDelay(p, n))).toEqual([250, 250, 250, 250]);
  });

  it('exponential: doubles from delay, capped at maxDelay', () => {
    const p = policy({ backoff: 'exponential', delay: 100, maxDelay: 1000 });
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(p, n))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('exponential without maxDelay stops at the timer limit, even for a huge exponent', () => {
    const p = policy({ backoff: 'exponential', delay: 1000, attempts: 1000 });
    expect(retryDelay(p, 1000)).toBe(MAX_TIMER_MS);
    expect(retryDelay(policy({ backoff: 'exponential', delay: MAX_TIMER_MS, jitter: 1000 }), 2, () => 0.99)).toBe(MAX_TIMER_MS);
  });

  it('jitter adds 0..jitter ms on top of the capped delay', () => {
    const p = policy({ backoff: 'exponential', delay: 100, maxDelay: 300, jitter: 50 });
    expect(retryDelay(p, 1, () => 0)).toBe(100);
    expect(retryDelay(p, 1, () => 0.999999)).toBe(150);
    expect(retryDelay(p, 5, () => 0.999999)).toBe(350);
    let seed = 42;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let i = 0; i < 1000; i++) {
      const d = retryDelay(p, 1 + (i % 4), random);
      const base = Math.min(100 * 2 ** (i % 4), 300);
      expect(d).toBeGreaterThanOrEqual(base);
      expect(d).toBeLessThanOrEqual(base + 50);
    }
  });

  it('retryTime is the failure time plus the delay', () => {
    expect(retryTime(policy({ delay: 1500 }), 1, new Date(10_000)).getTime()).toBe(11_500);
  });
});
