import { describe, expect, it } from '@jest/globals';
import { assessSchedulerHealth } from '../../../../lib/admin/health/scheduler-health.rules.js';
import type { SchedulerHealth } from '../../../../lib/core/scheduler.js';
import type { StoreHealth } from '../../../../lib/core/store-health.js';

const NOW = Date.parse('2030-01-07T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW - ms);

function store(over: Partial<StoreHealth> = {}): StoreHealth {
  return { alias: 'default', shared: false, failing: false, lastError: null, lastSuccessAt: ago(100), heartbeat: null, ...over };
}

function health(over: Partial<SchedulerHealth> = {}, loop: Partial<SchedulerHealth['loop']> = {}): SchedulerHealth {
  return {
    state: 'running',
    starting: false,
    instanceId: 'test',
    pollInterval: 1000,
    loop: { passStartedAt: null, lastPassAt: ago(500), nextPassAt: new Date(NOW + 1000), ...loop },
    stores: [store()],
    executors: [{ alias: 'default', running: 0, queued: 0, maxConcurrency: Infinity }],
    ...over,
  };
}

const problems = (h: SchedulerHealth, options = {}) => assessSchedulerHealth(h, NOW, options).problems;

describe('the health rules', () => {
  it('is up for a running scheduler whose loop, stores and heartbeat are fine', () => {
    const verdict = assessSchedulerHealth(health(), NOW);
    expect(verdict).toMatchObject({ healthy: true, problems: [] });
    expect(verdict.details).toMatchObject({ state: 'running', instanceId: 'test', lastPassAt: ago(500).toISOString() });
  });

  it('is down when stopped or starting', () => {
    expect(problems(health({ state: 'stopped' }))).toEqual(['the scheduler is not running (stopped)']);
    expect(problems(health({ starting: true }))).toEqual(['the scheduler is starting']);
  });

  it('counts a paused scheduler as up unless pausedIsDown', () => {
    expect(problems(health({ state: 'paused' }, { nextPassAt: ago(3_600_000) }))).toEqual([]);
    expect(problems(health({ state: 'paused' }), { pausedIsDown: true })).toEqual(['the scheduler is paused']);
  });

  it('is down when a pass has run for longer than stuckAfter (default max(30 s, 3 × pollInterval))', () => {
    expect(problems(health({}, { passStartedAt: ago(29_000), nextPassAt: null }))).toEqual([]);
    expect(problems(health({}, { passStartedAt: ago(31_000), nextPassAt: null }))[0]).toMatch(
      /^the scheduler loop is stuck: a pass started 31000 ms ago and has not ended \(limit 30000 ms\)$/,
    );
    expect(problems(health({ pollInterval: 20_000 }, { passStartedAt: ago(31_000), nextPassAt: null }))).toEqual([]);
    expect(problems(health({}, { passStartedAt: ago(600), nextPassAt: null }), { stuckAfter: 500 })).toHaveLength(1);
  });

  it('is down when the next pass is overdue by more than stuckAfter, not when the loop is merely quiet', () => {
    expect(problems(health({}, { nextPassAt: ago(31_000) }))[0]).toMatch(/next pass was due 31000 ms ago and has not started/);
    expect(problems(health({}, { nextPassAt: ago(5_000) }))).toEqual([]);
    // Nothing due for a day: the loop sleeps, and that is healthy.
    expect(problems(health({}, { lastPassAt: ago(86_400_000), nextPassAt: null }))).toEqual([]);
  });

  it('is down while a store has failed since its last success', () => {
    const failing = store({ failing: true, lastError: { at: ago(50), message: 'connect ECONNREFUSED' } });
    expect(problems(health({ stores: [failing] }))).toEqual([
      `store 'default' has failed since its last success (${ago(50).toISOString()}: connect ECONNREFUSED)`,
    ]);
    expect(problems(health({ stores: [{ ...failing, failing: false }] }))).toEqual([]);
  });

  it('is down when the heartbeat is stale (default max(2 × interval, instanceTimeout / 2)) or missing', () => {
    const beat = (age: number | null) =>
      health({
        stores: [
          store({ shared: true, heartbeat: { lastBeatAt: age === null ? null : ago(age), interval: 5000, instanceTimeout: 30_000 } }),
        ],
      });
    expect(problems(beat(14_000))).toEqual([]);
    expect(problems(beat(16_000))[0]).toMatch(
      /heartbeat in store 'default' is stale: 16000 ms old \(limit 15000 ms; other instances take it for dead after 30000 ms\)/,
    );
    expect(problems(beat(null))).toEqual(["this instance has no heartbeat in store 'default' yet"]);
    expect(problems(beat(3000), { heartbeatStaleAfter: 2000 })).toHaveLength(1);
    expect(assessSchedulerHealth(beat(14_000), NOW).details.stores).toEqual([expect.objectContaining({ heartbeatAgeMs: 14_000 })]);
  });

  it('refuses bad limits, naming them', () => {
    expect(() => problems(health(), { stuckAfter: -1 })).toThrow(/'isHealthy.stuckAfter': -1; allowed: a whole number of ms from 1/);
    expect(() => problems(health(), { stuckafter: 100 })).toThrow(/'isHealthy.stuckafter'.*did you mean 'stuckAfter'/);
    expect(() => problems(health(), { pausedIsDown: 'yes' })).toThrow(/'isHealthy.pausedIsDown': "yes"; allowed: true or false/);
  });

  it('reports only "not running" for a stopped scheduler', () => {
    const failing = store({ failing: true, lastError: { at: ago(50), message: 'x' } });
    expect(problems(health({ state: 'stopped', stores: [failing] }, { passStartedAt: ago(60_000) }))).toEqual([
      'the scheduler is not running (stopped)',
    ]);
  });
});
