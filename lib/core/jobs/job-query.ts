import { InvalidQueryError } from '../errors.js';
import { MAX_INT32, checkBoolean, checkName, checkWhole, readOptions, type OptionErrorFactory } from '../../utils/option-checks.js';
import type { Job, JobSpec } from './job.js';
import { JOB_LIMITS } from './job-validation.js';

/**
 * A filtered page of jobs (queryJobs), for lists that must not load every job: a dashboard over
 * 10,000 jobs asks for 50 at a time and how many match.
 * @publicApi
 */
export interface JobQuery {
  /** Jobs whose id or name contains this text, ignoring case. */
  q?: string;
  /** Only this store's jobs. */
  store?: string;
  /** true: only paused jobs (nextRunTime null); false: only scheduled ones. */
  paused?: boolean;
  /** Default 50. */
  limit?: number;
  /** Jobs to skip, for paging. Default 0. */
  offset?: number;
}

/** A page of jobs and how many match the query in all. @publicApi */
export interface JobPage {
  items: Job[];
  total: number;
}

/** What a store is asked for (JobStore.queryJobs): the query checked, with its defaults filled in. */
export interface StoreJobQuery {
  q?: string;
  paused?: boolean;
  limit: number;
  offset: number;
}

/** A store's answer to queryJobs, in getAllJobs' order (then by id, so pages never overlap). */
export interface StoreJobPage {
  items: JobSpec[];
  total: number;
}

const QUERY_KEYS: ReadonlySet<string> = new Set(['q', 'store', 'paused', 'limit', 'offset']);
export const DEFAULT_JOBS_PAGE = 50;
/** The most jobs one queryJobs call returns. */
export const MAX_JOBS_PAGE = 100_000;

const queryError: OptionErrorFactory = (field, value, allowed) => new InvalidQueryError(field, value, allowed);

/** queryJobs' query, checked before any store sees it, with its defaults filled in. */
export function readJobQuery(input: JobQuery | undefined): JobQuery & StoreJobQuery {
  const query = readOptions(input, QUERY_KEYS, 'queryJobs', queryError, 'query') as JobQuery;
  if (query.q !== undefined) checkName(queryError, 'q', query.q, JOB_LIMITS.name, true);
  if (query.store !== undefined) checkName(queryError, 'store', query.store, JOB_LIMITS.name);
  if (query.paused !== undefined) checkBoolean(queryError, 'paused', query.paused);
  const limit = query.limit === undefined ? DEFAULT_JOBS_PAGE : checkWhole(queryError, 'limit', query.limit, 0, MAX_JOBS_PAGE);
  const offset = query.offset === undefined ? 0 : checkWhole(queryError, 'offset', query.offset, 0, MAX_INT32);
  // An empty search text matches everything: it is "no filter", not "no job".
  const q = query.q === '' ? undefined : query.q;
  return { ...query, q, limit, offset };
}

/**
 * Whether a job passes the query's filters. Stores that filter in memory use it, so every store
 * agrees with the SQL one on what matches (`LOWER(x) LIKE '%q%'`).
 */
export function jobMatches(job: Pick<JobSpec, 'id' | 'name' | 'nextRunTime'>, query: Pick<JobQuery, 'q' | 'paused'>): boolean {
  if (query.paused !== undefined && (job.nextRunTime === null) !== query.paused) return false;
  if (query.q === undefined) return true;
  const q = query.q.toLowerCase();
  return job.id.toLowerCase().includes(q) || job.name.toLowerCase().includes(q);
}

/** The order of job pages: by nextRunTime, paused jobs last, then by id. */
export function byNextRunTimeThenId(a: Pick<JobSpec, 'id' | 'nextRunTime'>, b: Pick<JobSpec, 'id' | 'nextRunTime'>): number {
  const at = a.nextRunTime === null ? Infinity : a.nextRunTime.getTime();
  const bt = b.nextRunTime === null ? Infinity : b.nextRunTime.getTime();
  if (at !== bt) return at < bt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** A page of `jobs` (already filtered), sorted into page order. */
export function pageOf<T extends Pick<JobSpec, 'id' | 'nextRunTime'>>(
  jobs: T[],
  limit: number,
  offset: number,
): { items: T[]; total: number } {
  jobs.sort(byNextRunTimeThenId);
  return { items: jobs.slice(offset, offset + limit), total: jobs.length };
}
