import { InvalidQueryError } from '../errors.js';
import type { ExecutionQuery, ExecutionStatus } from './execution.js';
import { JOB_LIMITS } from '../jobs/job-validation.js';
import { MAX_INT32, isValidDate, checkName, checkWhole, readOptions, type OptionErrorFactory } from '../../utils/option-checks.js';

const QUERY_KEYS: ReadonlySet<string> = new Set(['jobId', 'status', 'since', 'until', 'limit', 'offset']);
const STATUSES: ReadonlySet<string> = new Set<ExecutionStatus>([
  'running',
  'executed',
  'error',
  'missed',
  'max_instances',
  'lost',
  'retry_pending',
]);
/** The most records one getExecutions call returns: page with offset beyond it. */
export const MAX_EXECUTIONS_PAGE = 100_000;
export const DEFAULT_EXECUTIONS_PAGE = 100;
/**
 * queryExecutions counts matching records this far per store, and says when it stopped
 * (totalExact false): COUNT(*) over a million rows takes ~100 ms on PostgreSQL, 100,000 ~8 ms.
 */
export const MAX_COUNTED_EXECUTIONS = 100_000;

const queryError: OptionErrorFactory = (field, value, allowed) => new InvalidQueryError(field, value, allowed);

/**
 * getExecutions' query, checked before any store sees it (a limit of 1e21 would reach SQL as
 * '1e+21'), with its defaults filled in. `undefined` is "not given".
 */
export function readExecutionQuery(
  input: ExecutionQuery | undefined,
  maxLimit = MAX_EXECUTIONS_PAGE,
): Required<Pick<ExecutionQuery, 'limit' | 'offset'>> & ExecutionQuery {
  const query = readOptions(input, QUERY_KEYS, 'getExecutions', queryError, 'query') as ExecutionQuery;
  if (query.jobId !== undefined) checkName(queryError, 'jobId', query.jobId, JOB_LIMITS.id);
  if (query.status !== undefined && !(typeof query.status === 'string' && STATUSES.has(query.status))) {
    throw queryError('status', query.status, `allowed: ${[...STATUSES].join(', ')}`);
  }
  if (query.since !== undefined && !isValidDate(query.since)) {
    throw queryError('since', query.since, 'allowed: a valid Date');
  }
  if (query.until !== undefined && !isValidDate(query.until)) {
    throw queryError('until', query.until, 'allowed: a valid Date');
  }
  const limit = query.limit === undefined ? DEFAULT_EXECUTIONS_PAGE : checkWhole(queryError, 'limit', query.limit, 0, maxLimit);
  const offset = query.offset === undefined ? 0 : checkWhole(queryError, 'offset', query.offset, 0, MAX_INT32);
  return { ...query, limit, offset };
}
