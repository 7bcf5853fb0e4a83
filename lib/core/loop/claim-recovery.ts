import type { JobStore } from '../../stores/job-store.js';
import type { LiveSubmissions } from '../runs/live-submissions.js';
import type { OutcomeWriter } from '../runs/outcome-writer.js';
import type { SchedulerLogger } from '../scheduler-logger.js';

/**
 * A claim that failed may have failed after the store committed it (the connection dropped before
 * its answer): its runs are then recorded 'running' in this instance's name, yet nothing here will
 * ever start them, and through maxInstances they would block their job. Before the next claim of
 * such a store, ClaimRecovery finds them (this instance's 'running' records that no submission or
 * pending write here knows of) and hands them back as if never claimed, so the fire runs by the
 * misfire rules, or, where the store cannot take runs back, finishes them as errors.
 */
export class ClaimRecovery {
  /** Stores whose last claim failed. */
  private readonly storesInDoubt = new Set<string>();
  /** runJobNow calls between recording their run and submitting it: their records are not yet known. */
  private extraRunsStarting = 0;

  constructor(
    private readonly instanceId: string,
    private readonly outcomes: OutcomeWriter,
    private readonly live: LiveSubmissions,
    private readonly logger: SchedulerLogger,
  ) {}

  claimFailed(alias: string): void {
    this.storesInDoubt.add(alias);
  }

  /** Runs `start`, which records an extra run (runJobNow) before it is submitted. */
  async startingExtraRun<T>(start: () => Promise<T>): Promise<T> {
    this.extraRunsStarting++;
    try {
      return await start();
    } finally {
      this.extraRunsStarting--;
    }
  }

  /** The last claim of `alias` failed: recover() before the next. */
  inDoubt(alias: string): boolean {
    return this.storesInDoubt.has(alias);
  }

  /** Hands back the orphaned runs of `alias`. */
  async recover(alias: string, store: JobStore): Promise<void> {
    if (this.extraRunsStarting > 0) return;
    const known = new Set<string>(this.outcomes.pendingIds(alias));
    for (const submission of this.live.current()) if (submission.store === alias) for (const id of submission.executionIds()) known.add(id);
    const running = await store.getExecutions({ status: 'running', limit: 10_000 });
    const orphans = running.filter((r) => r.instanceId === this.instanceId && !known.has(r.id));
    if (orphans.length > 0) {
      const runs = orphans.map((r) => ({ jobId: r.jobId, executionId: r.id, runTime: r.scheduledRunTime, attempt: r.attempt }));
      if (store.releaseRuns) {
        await store.releaseRuns(runs);
      } else {
        const now = new Date();
        for (const run of runs) {
          this.outcomes.add(alias, run.executionId, {
            status: 'error',
            startedAt: null,
            finishedAt: now,
            durationMs: null,
            traceback: null,
            error: 'ClaimLostError: the claim that recorded this run failed before the scheduler could start it',
          });
        }
      }
      this.logger.warn(
        `Job store '${alias}': ${orphans.length} run(s) of a claim whose answer was lost were ${store.releaseRuns ? 'handed back' : 'recorded as errors'}`,
      );
    }
    this.storesInDoubt.delete(alias);
  }
}
