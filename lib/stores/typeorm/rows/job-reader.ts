import type { JobSpec } from '../../../core/jobs/job.js';
import type { StoreContextHolder } from '../store-context-holder.js';
import { toJobSpec, UnreadableJobRowError, type Row } from './job-row.js';
import { UnreadableJobs } from './unreadable-jobs.js';

/**
 * Turns jobs rows into JobSpecs for the store's reads and claims, and remembers the rows that
 * cannot become one (`unreadable`), so the queries that follow exclude them until they change.
 */
export class JobReader {
  readonly unreadable = new UnreadableJobs();

  constructor(private readonly context: StoreContextHolder) {}

  /** A row that cannot become a JobSpec is reported (once per version) and treated as absent. */
  read(row: Row, report: (error: Error, jobId: string) => void = (e, id) => this.context.report(e, id)): JobSpec | null {
    try {
      const job = toJobSpec(row);
      this.unreadable.forgetChanged(row);
      return job;
    } catch (error) {
      if (!(error instanceof UnreadableJobRowError)) throw error;
      if (this.unreadable.remember(row)) report(error, error.jobId);
      return null;
    }
  }
}
