import type { Job } from '../../core/jobs/job.js';
import type { SchedulerService } from '../../scheduler.service.js';
import { toJobView, type JobView } from './job-view.js';

/** Views of jobs with their latest records, fetched for the whole page at once (one query per store). */
export async function views(scheduler: SchedulerService, jobs: readonly Job[]): Promise<JobView[]> {
  const running = jobs.filter((job) => !job.pending);
  const last = running.length === 0 ? [] : await scheduler.lastExecutions(running);
  const byJob = new Map(running.map((job, i) => [job, last[i] ?? null]));
  return jobs.map((job) => toJobView(job, byJob.get(job) ?? null));
}
