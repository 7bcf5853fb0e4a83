import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Logger, type INestApplication, type LoggerService, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CronJob, CronTime } from 'cron';
import { DateTime } from 'luxon';
import {
  InvalidJobOptionError,
  InvalidSchedulerOptionError,
  InvalidTriggerError,
  SchedulerService,
  createTrigger,
  type JobErrorEvent,
} from '../../../lib/index.js';
import { Cron, CronExpression, Interval, ScheduleModule, SchedulerRegistry, Timeout } from '../../../lib/schedule-compat/index.js';
import { cronTimeToTrigger } from '../../../lib/schedule-compat/cron-time.js';
import { sleep, waitFor } from './drop-in.suite.js';

/** The next `count` fire times of a crontab string after `from`, as the `cron` package computes them. */
function cronPackageTimes(expression: string, zone: string, from: Date, count: number): number[] {
  const time = new CronTime(expression, zone);
  let at: DateTime<boolean> = DateTime.fromJSDate(from, { zone });
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    at = time.getNextDateFrom(at, zone);
    times.push(at.toMillis());
  }
  return times;
}

/** The same from our trigger, built as @Cron builds it. */
function ourTimes(expression: string, zone: string, from: Date, count: number): number[] {
  const trigger = createTrigger(cronTimeToTrigger(expression, { timeZone: zone }));
  const times: number[] = [];
  let previous = from;
  for (let i = 0; i < count; i++) {
    previous = trigger.getNextFireTime(previous, from)!;
    times.push(previous.getTime());
  }
  return times;
}

describe('CronExpression', () => {
  const from = new Date('2026-01-14T10:17:23Z');
  // No DST change falls within the fire times compared (their DST rules are documented apart).
  for (const zone of ['UTC', 'Asia/Kolkata', 'America/New_York']) {
    it(`fires every value at the times the cron package computes (${zone})`, () => {
      const values = Object.entries(CronExpression);
      expect(values).toHaveLength(83);
      for (const [name, expression] of values) {
        expect({ name, times: ourTimes(expression, zone, from, 6) }).toEqual({ name, times: cronPackageTimes(expression, zone, from, 6) });
      }
    });
  }

  it("has @nestjs/schedule's names and values", async () => {
    const theirs = (await import('@nestjs/schedule')).CronExpression;
    expect({ ...CronExpression }).toEqual({ ...theirs });
  });
});

describe('@Cron options', () => {
  it('maps utcOffset and fixed-offset zone names to the Etc zone of that offset, as cron reads them', () => {
    for (const [zone, offset] of [
      ['Etc/GMT-2', 120],
      ['Etc/GMT+5', -300],
      ['UTC', 0],
    ] as const) {
      expect(cronTimeToTrigger('0 30 9 * * *', { utcOffset: offset })).toMatchObject({ timezone: zone });
      const cron = new CronJob('0 30 9 * * *', () => undefined, null, false, null, null, false, offset);
      const expected = cron.nextDate().toJSDate().getTime();
      const ours = createTrigger(cronTimeToTrigger('0 30 9 * * *', { utcOffset: offset })).getNextFireTime(null, new Date())!;
      expect(ours.getTime()).toBe(expected);
    }
    expect(cronTimeToTrigger('* * * * *', { timeZone: 'UTC+03:00' })).toMatchObject({ timezone: 'Etc/GMT-3' });
    expect(() => cronTimeToTrigger('* * * * *', { utcOffset: 330 })).toThrow(InvalidTriggerError);
    expect(() => cronTimeToTrigger('* * * * *', { timeZone: 'UTC', utcOffset: 60 })).toThrow(/not both/);
  });

  it('takes a Date or a luxon DateTime as a one-off date', () => {
    const at = new Date('2030-01-01T00:00:00Z');
    expect(cronTimeToTrigger(at)).toEqual({ type: 'date', runDate: at });
    expect(cronTimeToTrigger(DateTime.fromJSDate(at))).toEqual({ type: 'date', runDate: at });
  });

  it('refuses at class definition what it cannot honour', () => {
    expect(() => Cron('* * * * * *', { timezone: 'UTC' } as never)).toThrow(/did you mean 'timeZone'/);
    expect(() => Cron('61 * * * * *')).toThrow(InvalidTriggerError);
    expect(() => Cron('* * * * * *', { threshold: -1 })).toThrow(InvalidJobOptionError);
    expect(() => Cron('* * * * * *', { waitForCompletion: 'yes' as never })).toThrow(InvalidJobOptionError);
    expect(() => Interval('x', 0)).toThrow(InvalidJobOptionError);
    expect(() => Timeout(-1)).toThrow(InvalidJobOptionError);
  });

  it('refuses cronJobs / intervals / timeouts: false, which a shared store cannot honour per process', () => {
    expect(() => ScheduleModule.forRoot({ cronJobs: false })).toThrow(InvalidSchedulerOptionError);
    expect(() => ScheduleModule.forRoot({ intervals: true, timeouts: true, cronJobs: true })).not.toThrow();
  });
});

describe('ScheduleModule and SchedulerRegistry in an application', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
    Logger.overrideLogger(false);
  });

  async function boot(providers: Type[], logger: LoggerService | false = false): Promise<INestApplication> {
    const ref = await Test.createTestingModule({ imports: [ScheduleModule.forRoot({ timezone: 'UTC' })], providers }).compile();
    app = ref.createNestApplication({ logger });
    await app.init();
    return app;
  }

  it('names an unnamed job ClassName.methodName, holds off initialDelay, and honours threshold', async () => {
    @Injectable()
    class Jobs {
      readonly at: number[] = [];
      @Cron(CronExpression.EVERY_SECOND, { initialDelay: 1500, threshold: 50 })
      delayed() {
        this.at.push(Date.now());
      }
      @Interval(60_000)
      unnamed() {}
    }
    const before = Date.now();
    const booted = await boot([Jobs]);
    const registry = booted.get(SchedulerRegistry);
    const scheduler = booted.get(SchedulerService);
    expect(registry.getCronJob('Jobs.delayed').isActive).toBe(true);
    expect(registry.getIntervals()).toEqual(['Jobs.unnamed']);
    expect(await scheduler.getJob('Jobs.delayed')).toMatchObject({ name: 'Jobs.delayed', misfireGraceTime: 50 });
    const jobs = booted.get(Jobs);
    await waitFor('a run after the initial delay', () => jobs.at.length >= 1, 4000);
    expect(jobs.at[0]).toBeGreaterThanOrEqual(before + 1500);
  });

  it('logs what a decorated job throws, as @nestjs/schedule does, and goes on', async () => {
    @Injectable()
    class Failing {
      calls = 0;
      @Cron(CronExpression.EVERY_SECOND, { name: 'failing' })
      fail() {
        this.calls++;
        throw new Error('boom');
      }
    }
    const logged: { message: unknown; context?: string }[] = [];
    const logger: LoggerService = {
      log: () => undefined,
      warn: () => undefined,
      error: (message: unknown, ...rest: unknown[]) => logged.push({ message, context: rest[rest.length - 1] as string }),
    };
    const booted = await boot([Failing], logger);
    const errors: JobErrorEvent[] = [];
    booted.get(SchedulerService).error$.subscribe((e) => errors.push(e));
    await waitFor('two failed runs', () => booted.get(Failing).calls >= 2, 4000);
    await sleep(50);
    expect(errors[0].error.message).toBe('boom');
    expect(
      logged.some((entry) => entry.message instanceof Error && entry.message.message === 'boom' && entry.context === 'Scheduler'),
    ).toBe(true);
  });

  it('refuses two decorated jobs under one name, within a kind and across kinds', async () => {
    @Injectable()
    class A {
      @Cron(CronExpression.EVERY_HOUR, { name: 'shared' })
      one() {}
    }
    @Injectable()
    class B {
      @Cron(CronExpression.EVERY_HOUR, { name: 'shared' })
      two() {}
    }
    @Injectable()
    class C {
      @Timeout('shared', 1000)
      three() {}
    }
    await expect(boot([A, B])).rejects.toThrow('Cron Job with the given name (shared) already exists. Ignored.');
    app = undefined;
    await expect(boot([A, C])).rejects.toThrow(/share one set of ids/);
    app = undefined;
  });

  it('takes over a CronJob that was already started, with its errorHandler, without firing it twice', async () => {
    const booted = await boot([]);
    const registry = booted.get(SchedulerRegistry);
    const errors: unknown[] = [];
    let calls = 0;
    const job = CronJob.from({
      cronTime: CronExpression.EVERY_SECOND,
      onTick: () => {
        calls++;
        throw new Error('in onTick');
      },
      errorHandler: (error) => errors.push(error),
      start: true,
    });
    registry.addCronJob('started', job);
    expect(job.isActive).toBe(true);
    await registry.settled();
    expect(await booted.get(SchedulerService).getJob('started')).toMatchObject({ store: 'schedulerRegistry', misfireGraceTime: 250 });
    await sleep(2600);
    // Once a second, by the scheduler only: cron's own timer was stopped when it was added.
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThanOrEqual(3);
    expect(errors).toHaveLength(calls);
    expect((errors[0] as Error).message).toBe('in onTick');
    expect(job.lastDate()).toBeInstanceOf(Date);
    registry.deleteCronJob('started');
    await registry.settled();
    expect(await booted.get(SchedulerService).getJob('started')).toBeNull();
  });

  it('setTime() reschedules a cron job, and nextDates() follows the new time', async () => {
    @Injectable()
    class Jobs {
      @Cron(CronExpression.EVERY_DAY_AT_NOON, { name: 'noon' })
      noon() {}
    }
    const booted = await boot([Jobs]);
    const registry = booted.get(SchedulerRegistry);
    const job = registry.getCronJob('noon');
    expect(job.nextDates(2).map((d) => d.toUTC().hour)).toEqual([12, 12]);
    job.setTime(new CronTime('0 0 18 * * *', 'UTC'));
    expect(job.nextDate().toUTC().hour).toBe(18);
    await registry.settled();
    const stored = await booted.get(SchedulerService).getJob('noon');
    expect(stored!.nextRunTime!.getUTCHours()).toBe(18);
  });
});
