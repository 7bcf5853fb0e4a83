import { readExecutionQuery } from '../../core/runs/execution-query.js';
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
  constructor(private readonly connection: StoreConnection) {}

  async finishExecution(executionId: string, outcome: Outcome): Promise<void> {
    const { session, executionSql: sql } = await this.connection.get();
    await session.run(single(sql.finishExecution(executionId, outcome)));
  }

  async finishExecutions(items: readonly { executionId: string; outcome: Outcome }[]): Promise<void> {
    if (items.length === 0) return;
    const { session, executionSql: sql } = await this.connection.get();
    const statements = sql.finishExecutions(items);
    await session.runInWriteTransaction(
      (function* (): SqlSteps<void> {
        for (const statement of statements) yield statement;
      })(),
    );
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
