import { randomUUID } from 'node:crypto';
import { readExecutionQuery } from '../../core/runs/execution-query.js';
import type { ExecutionValues } from './claim-planner.js';
import type { RetryHint } from './retry-hint.js';
import type { StoreContextHolder } from './store-context-holder.js';
import type { ExecutionQuery, JobExecution, Outcome } from '../../core/runs/execution.js';
import { toExecution } from './rows/job-row.js';
import type { StoreConnection } from './store-connection.js';
import { single, type SqlSteps } from './sql/sql-session.js';

/**
 * The executions table as history: how each claimed run ended (the outcome writes), the records
 * getExecutions pages through, and pruning by age. The records themselves are created by the
 * claims (run-claims.ts).
 */
export class ExecutionHistory {
  constructor(
    private readonly connection: StoreConnection,
    private readonly context: StoreContextHolder,
    private readonly retries: RetryHint,
  ) {}

  async finishExecution(executionId: string, outcome: Outcome): Promise<void> {
    return this.finishExecutions([{ executionId, outcome }]);
  }

  /**
   * The outcomes, and the retries failed runs schedule as 'retry_pending' records, in one
   * transaction: a crash between "failed" and "retry scheduled" is impossible.
   */
  async finishExecutions(items: readonly { executionId: string; outcome: Outcome }[]): Promise<void> {
    if (items.length === 0) return;
    const { session, executionSql: sql } = await this.connection.get();
    const retries: ExecutionValues[] = [];
    for (const { outcome } of items) {
      const retry = outcome.retry;
      if (retry == null) continue;
      retries.push({
        id: randomUUID(),
        jobId: retry.jobId,
        scheduledRunTime: retry.runTime.getTime(),
        attempt: retry.attempt,
        status: 'retry_pending',
        instanceId: this.context.instanceId,
        // A submission of its own: maxInstances counts distinct batches of open records.
        batchId: randomUUID(),
        startedAt: null,
        finishedAt: null,
        durationMs: null,
        error: null,
        traceback: null,
        retryAt: retry.at.getTime(),
      });
    }
    const statements = [...sql.finishExecutions(items), ...sql.insertExecutions(retries, true)];
    await session.runInWriteTransaction(
      (function* (): SqlSteps<void> {
        for (const statement of statements) yield statement;
      })(),
    );
    for (const retry of retries) this.retries.added(retry.retryAt!);
  }

  async getExecutions(query: ExecutionQuery): Promise<JobExecution[]> {
    // Checked here too, for direct callers: a store may be paged beyond the scheduler's own limit.
    const { limit, offset } = readExecutionQuery(query, Number.MAX_SAFE_INTEGER);
    if (limit === 0) return [];
    const { session, executionSql: sql } = await this.connection.get();
    const { rows } = await session.run(single(sql.selectExecutions(query, limit, offset)));
    return rows.map(toExecution);
  }

  async pruneExecutions(olderThan: number): Promise<number> {
    const { session, executionSql: sql } = await this.connection.get();
    const { affected } = await session.run(single(sql.pruneExecutions(Date.now() - olderThan)));
    return affected;
  }
}
