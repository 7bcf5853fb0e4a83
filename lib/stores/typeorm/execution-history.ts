import { randomUUID } from 'node:crypto';
import { readExecutionQuery } from '../../core/runs/execution-query.js';
import type { ExecutionValues } from './claim-planner.js';
import type { RetryHint } from './retry-hint.js';
import type { StoreContextHolder } from './store-context-holder.js';
import type { ExecutionQuery, JobExecution, Outcome, RetryRecord } from '../../core/runs/execution.js';
import { InstanceFencedError } from '../../core/errors.js';
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
   * transaction: a crash between "failed" and "retry scheduled" is impossible. Fenced: an outcome
   * lands only on a record still 'running' in this instance's name; those that do not (another
   * instance took this one for dead and decided them) are left as they are, schedule no retry,
   * and are reported once per write (InstanceFencedError).
   */
  async finishExecutions(items: readonly { executionId: string; outcome: Outcome }[]): Promise<void> {
    if (items.length === 0) return;
    const { session, executionSql: sql } = await this.connection.get();
    const owner = this.context.instanceId;
    const statements = sql.finishExecutions(items, owner);
    const retryRow = (retry: RetryRecord): ExecutionValues => ({
      id: randomUUID(),
      jobId: retry.jobId,
      scheduledRunTime: retry.runTime.getTime(),
      attempt: retry.attempt,
      status: 'retry_pending',
      instanceId: owner,
      // A submission of its own: maxInstances counts distinct batches of open records.
      batchId: randomUUID(),
      startedAt: null,
      finishedAt: null,
      durationMs: null,
      error: null,
      traceback: null,
      retryAt: retry.at.getTime(),
    });
    const { fenced, retries } = await session.runInWriteTransaction(
      (function* (): SqlSteps<{ fenced: string[]; retries: ExecutionValues[] }> {
        const landed = new Set<string>();
        if (session.dialect.kind === 'postgres') {
          // PostgreSQL: one statement, RETURNING the ids it wrote.
          for (const row of (yield statements[0]!).rows) landed.add(String(row.id));
        } else {
          for (let i = 0; i < statements.length; i++) if ((yield statements[i]!).affected > 0) landed.add(items[i]!.executionId);
        }
        const missing: string[] = [];
        const rows: ExecutionValues[] = [];
        for (const { executionId, outcome } of items) {
          if (!landed.has(executionId)) missing.push(executionId);
          else if (outcome.retry != null) rows.push(retryRow(outcome.retry));
        }
        // Not written: fenced off (another instance decided the run), or written already by an
        // earlier try of this write whose answer was lost (still ours, finished), or deleted.
        const fencedIds: string[] = [];
        if (missing.length > 0) {
          for (const statement of sql.selectStates(missing)) {
            for (const row of (yield statement).rows) {
              if (String(row.status) === 'lost' || String(row.instance_id) !== owner) fencedIds.push(String(row.id));
            }
          }
        }
        for (const statement of sql.insertExecutions(rows, true)) yield statement;
        return { fenced: fencedIds, retries: rows };
      })(),
    );
    for (const retry of retries) this.retries.added(retry.retryAt!);
    if (fenced.length > 0) this.context.report(new InstanceFencedError(owner, fenced));
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
