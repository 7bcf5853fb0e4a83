// The first two are @nestjs/schedule's messages, word for word: code that matches on them keeps working.
export const NO_SCHEDULER_FOUND = (kind: string, name?: string) =>
  name
    ? `No ${kind} was found with the given name (${name}). Check that you created one with a decorator or with the create API.`
    : `No ${kind} was found. Check your configuration.`;
export const DUPLICATE_SCHEDULER = (kind: string, name: string) => `${kind} with the given name (${name}) already exists. Ignored.`;

export const SHARED_JOB_ID = (name: string, first: string, second: string) =>
  `The name '${name}' is given to ${first} and to ${second}: a name is the job's id, and @Cron, @Interval, @Timeout and ` +
  '@ScheduledJob share one set of ids. Rename one of them.';
export const KIND_DISABLED = (option: string) =>
  `ScheduleModule option ${option}: false is not supported: a job is kept in the scheduler's store and may run on any ` +
  'replica sharing it, so one process cannot leave out one kind. Keep a process from running jobs with autoStart: false, ' +
  'or a job with @ScheduledJob({ enabled: false }) or the module options jobs[id].enabled.';
export const REGISTRY_CHANGE_FAILED = (what: string, reason: string) => `SchedulerRegistry: ${what} failed: ${reason}`;
export const MISSED_RUN = (kind: string, name: string, scheduled: Date) =>
  `Missed execution deadline of ${kind} "${name}" (due ${scheduled.toISOString()}); skipped, as its misfire grace time had passed.`;
export const UNKNOWN_CRON_JOB = (name: string) =>
  `SchedulerRegistry.addCronJob('${name}'): the object given is not a CronJob of the 'cron' package (it needs cronTime.source and fireOnTick()).`;
