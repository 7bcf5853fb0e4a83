import { describe, expect, it } from '@jest/globals';
import * as schedule from '@nestjs/schedule';
import * as api from '../../lib/index.js';

/** The runtime names ../shared/API.md promises from the package root. */
const promised = [
  'SchedulerModule',
  'SchedulerService',
  'ScheduledJob',
  'JobHandler',
  'createTrigger',
  'DateTrigger',
  'IntervalTrigger',
  'CronTrigger',
  'AndTrigger',
  'OrTrigger',
  'Job',
  'ofType',
  'MemoryJobStore',
  'TypeOrmJobStore',
  'SCHEDULER_ENTITIES',
  'SchedulerMigrations',
  'AsyncExecutor',
  'SchedulerError',
  'ConflictingIdError',
  'JobLookupError',
  'InvalidTriggerError',
  'HandlerNotFoundError',
  'SerializationError',
  'SchedulerNotRunningError',
  'SchedulerAlreadyRunningError',
  'StoreLookupError',
  'ExecutorLookupError',
] as const;

describe('package root', () => {
  it.each(promised)('exports %s', (name) => {
    expect((api as Record<string, unknown>)[name]).toBeDefined();
  });

  it('makes every error a SchedulerError', () => {
    for (const name of promised.filter((n) => n.endsWith('Error'))) {
      const ErrorClass = (api as unknown as Record<string, new (...args: never[]) => Error>)[name];
      expect(ErrorClass.prototype).toBeInstanceOf(api.SchedulerError === ErrorClass ? Error : api.SchedulerError);
    }
  });

  it('lists the scheduler entities and migrations for the default prefix', () => {
    expect(api.SCHEDULER_ENTITIES.map((e) => e.options.tableName).sort()).toEqual([
      'scheduler_executions',
      'scheduler_instances',
      'scheduler_jobs',
    ]);
    expect(api.SchedulerMigrations.length).toBeGreaterThan(0);
  });

  it('exports the names an application imports from @nestjs/schedule, so changing the import moves it over', () => {
    // ScheduleExplorer is @nestjs/schedule's internal provider, exported but not for applications.
    const theirs = Object.keys(schedule).filter((name) => name !== 'ScheduleExplorer');
    expect(theirs.sort()).toEqual(['Cron', 'CronExpression', 'Interval', 'ScheduleModule', 'SchedulerRegistry', 'Timeout']);
    for (const name of theirs) expect((api as Record<string, unknown>)[name]).toBeDefined();
    expect(api.CronExpression).toEqual(schedule.CronExpression);
  });
});
