export const JOB_WITHOUT_TRIGGER = (source: string, id: string) =>
  `@ScheduledJob on ${source} has no trigger: give one in the decorator or in the module options' jobs['${id}'].trigger`;
export const ORPHANED_JOBS = (jobs: string[]) =>
  `${jobs.length} stored job(s) name a handler no provider has (a decorated method renamed or removed?); ` +
  `each fails at its next fire: ${jobs.join(', ')}. Remove them, or set removeOrphanedJobs: true to have them removed at start.`;
export const ORPHANED_JOBS_REMOVED = (jobs: string[]) =>
  `Removed ${jobs.length} stored job(s) whose handler no provider has (removeOrphanedJobs): ${jobs.join(', ')}`;
