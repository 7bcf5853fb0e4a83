import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type * as FixtureModule from './fixture/app.module.js';

export type Fixture = typeof FixtureModule;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 25 ms until it holds, for at most `ms`; fails naming what it waited for. */
export async function waitFor(what: string, condition: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

export interface DropInOptions {
  /** The options the application passes to ScheduleModule.forRoot (none for @nestjs/schedule). */
  scheduleOptions?: () => object;
  /** More tests on the booted application, run after the shared ones and before it closes. */
  also?: (app: () => INestApplication) => void;
}

/**
 * What a user of @nestjs/schedule relies on, asserted on the fixture application: run once against
 * @nestjs/schedule itself (the reference) and once with its import changed to this package. The
 * application is booted once; every cron fires each second, so the tests wait on conditions with
 * generous bounds rather than on exact times.
 */
export function describeDropIn(load: () => Promise<Fixture>, options: DropInOptions = {}): void {
  let app: INestApplication;
  let crons: InstanceType<Fixture['CronTasks']>;
  let timers: InstanceType<Fixture['TimerTasks']>;
  let bootedAt: number;

  beforeAll(async () => {
    const fixture = await load();
    const ref = await Test.createTestingModule({
      imports: [fixture.AppModule.register(options.scheduleOptions?.() as never)],
    }).compile();
    app = ref.createNestApplication({ logger: false });
    crons = app.get(fixture.CronTasks);
    timers = app.get(fixture.TimerTasks);
    bootedAt = Date.now();
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
  });

  describe('@Timeout and @Interval', () => {
    it('runs a @Interval every ms, and clearInterval(registry.getInterval(name)) stops it', async () => {
      await waitFor('3 interval runs', () => timers.interval.calls >= 3, 4000);
      await sleep(900);
      expect(timers.interval.calls).toBe(3);
      expect(timers.registry.getIntervals()).toContain('every-300ms');
      expect(timers.registry.doesExist('interval', 'every-300ms')).toBe(true);
    });

    it('runs a @Timeout once, ms after bootstrap', async () => {
      await waitFor('the timeout', () => timers.timeout.calls >= 1, 3000);
      expect(timers.timeout.at[0]).toBeGreaterThanOrEqual(bootedAt + 495);
      await sleep(700);
      expect(timers.timeout.calls).toBe(1);
      expect(timers.registry.getTimeouts()).toContain('after-500ms');
    });

    it('keeps the timers given to addInterval / addTimeout by name, and deleteInterval / deleteTimeout clear them', async () => {
      timers.addUserTimers();
      const { registry } = timers;
      expect(registry.getIntervals()).toContain('user-interval');
      expect(registry.getTimeouts()).toContain('user-timeout');
      expect(() => registry.addInterval('user-interval', 1)).toThrow(
        'Interval with the given name (user-interval) already exists. Ignored.',
      );
      await waitFor('a user interval run', () => timers.userInterval.calls >= 1, 2000);
      registry.deleteInterval('user-interval');
      registry.deleteTimeout('user-timeout');
      const calls = timers.userInterval.calls;
      await sleep(500);
      expect(timers.userInterval.calls).toBe(calls);
      expect(registry.doesExist('interval', 'user-interval')).toBe(false);
      expect(() => registry.getTimeout('user-timeout')).toThrow(
        'No Timeout was found with the given name (user-timeout). Check that you created one with a decorator or with the create API.',
      );
    });
  });

  describe('@Cron', () => {
    it('fires a 6-field (seconds) cron every second', async () => {
      await waitFor('2 runs of every-second', () => crons.everySecond.calls >= 2, 4000);
      const [first, second] = crons.everySecond.at;
      expect(second - first).toBeGreaterThan(700);
      expect(second - first).toBeLessThan(1300);
      const next = crons.registry.getCronJob('every-second').nextDate().toJSDate().getTime();
      expect(next).toBeGreaterThan(Date.now() - 50);
      expect(next).toBeLessThanOrEqual(Date.now() + 1050);
    });

    it('stops a job for good with getCronJob(name).stop()', async () => {
      await waitFor('2 runs of stops-itself', () => crons.stopsItself.calls >= 2, 4000);
      const job = crons.registry.getCronJob('stops-itself');
      expect(job.isActive).toBe(false);
      await sleep(2200);
      expect(crons.stopsItself.calls).toBe(2);
      expect(job.lastDate()).toBeInstanceOf(Date);
    });

    it('registers a disabled job without running it, until it is started through the registry', async () => {
      const job = crons.registry.getCronJob('disabled');
      expect(job.isActive).toBe(false);
      expect(crons.disabled.calls).toBe(0);
      job.start();
      expect(job.isActive).toBe(true);
      await waitFor('a run of the started job', () => crons.disabled.calls >= 1, 3000);
      await job.stop();
      expect(job.isActive).toBe(false);
    });

    it('lets runs overlap without waitForCompletion, and skips the fires during a run with it', async () => {
      await waitFor('2 runs of waiting', () => crons.waiting.calls >= 2, 7000);
      expect(crons.overlapping.maxRunning).toBeGreaterThanOrEqual(2);
      expect(crons.waiting.maxRunning).toBe(1);
      const [first, second] = crons.waiting.at;
      expect(second - first).toBeGreaterThanOrEqual(2500);
    });

    it('removes a job with deleteCronJob(name)', async () => {
      await waitFor('a run of deleted', () => crons.deleted.calls >= 1, 3000);
      const { registry } = crons;
      registry.deleteCronJob('deleted');
      expect(registry.doesExist('cron', 'deleted')).toBe(false);
      expect(() => registry.getCronJob('deleted')).toThrow(
        'No Cron Job was found with the given name (deleted). Check that you created one with a decorator or with the create API.',
      );
      const calls = crons.deleted.calls;
      await sleep(2200);
      expect(crons.deleted.calls).toBe(calls);
    });

    it('runs a CronJob given to addCronJob once it is started, and stop() stops it', async () => {
      const { registry } = crons;
      const job = crons.addDynamicCron();
      expect(registry.getCronJob('dynamic')).toBe(job);
      expect(registry.getCronJobs().get('dynamic')).toBe(job);
      expect(job.isActive).toBe(false);
      expect(() => registry.addCronJob('dynamic', job)).toThrow('Cron Job with the given name (dynamic) already exists. Ignored.');
      await sleep(1200);
      expect(crons.dynamic.calls).toBe(0);
      job.start();
      expect(job.isActive).toBe(true);
      await waitFor('2 runs of the dynamic job', () => crons.dynamic.calls >= 2, 4000);
      await job.stop();
      expect(job.isActive).toBe(false);
      const calls = crons.dynamic.calls;
      await sleep(1500);
      expect(crons.dynamic.calls).toBe(calls);
      expect(job.lastDate()).toBeInstanceOf(Date);
    });
  });

  options.also?.(() => app);

  it('empties the registry when the application closes', async () => {
    const { registry } = crons;
    expect([...registry.getCronJobs().keys()].sort()).toEqual([
      'disabled',
      'dynamic',
      'every-second',
      'overlapping',
      'stops-itself',
      'waiting',
    ]);
    await app.close();
    expect(registry.getCronJobs().size).toBe(0);
    expect(registry.getIntervals()).toEqual([]);
    expect(registry.getTimeouts()).toEqual([]);
    app = undefined as never;
  });
}
