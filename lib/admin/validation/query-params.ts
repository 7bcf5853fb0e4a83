import { BadRequestException } from '@nestjs/common';
import { describeValue } from '../../core/errors.js';
import type { ExecutionStatus } from '../../core/runs/execution.js';
import { MAX_INT32 } from '../../utils/option-checks.js';
import { DEFAULT_ADMIN_PAGE, MAX_ADMIN_PAGE } from '../scheduler-admin.constants.js';
import { invalidParameter } from '../scheduler-admin.messages.js';

/** A query string as Express and Fastify parse it: repeated names become arrays. */
export type RawQuery = Record<string, unknown>;

const STATUSES: readonly ExecutionStatus[] = ['running', 'executed', 'error', 'missed', 'max_instances', 'lost', 'retry_pending'];
/** ISO-8601 date-times as the API writes them (2026-12-02T10:00:00Z, with an offset, or a bare date in UTC). */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export function badParameter(field: string, value: unknown, allowed: string): BadRequestException {
  return new BadRequestException(invalidParameter('query parameter', field, describeValue(value), allowed));
}

/**
 * A route's query, each parameter a single string: an unknown name or a repeated one is refused
 * rather than ignored, so a typo (`?limt=10`) is told instead of silently answering 50 rows.
 */
export function readQuery(raw: RawQuery | undefined, allowed: readonly string[]): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (!allowed.includes(name)) throw badParameter(name, value, `not a parameter of this route; allowed: ${allowed.join(', ')}`);
    if (typeof value !== 'string') throw badParameter(name, value, 'allowed: one value (the parameter was given more than once)');
    query[name] = value;
  }
  return query;
}

/** A whole number within [min, max] written in decimal digits. */
export function readInteger(field: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw badParameter(field, value, `allowed: a whole number from ${min} to ${max}`);
  return n;
}

/** The page window: `limit` ≤ 500 (default 50), `offset` ≥ 0. */
export function readPage(query: Record<string, string>): { limit: number; offset: number } {
  return {
    limit: readInteger('limit', query.limit, DEFAULT_ADMIN_PAGE, 0, MAX_ADMIN_PAGE),
    offset: readInteger('offset', query.offset, 0, 0, MAX_INT32),
  };
}

export function readBooleanParameter(field: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  throw badParameter(field, value, 'allowed: true or false');
}

export function readStatus(value: string | undefined): ExecutionStatus | undefined {
  if (value === undefined) return undefined;
  if ((STATUSES as readonly string[]).includes(value)) return value as ExecutionStatus;
  throw badParameter('status', value, `allowed: ${STATUSES.join(', ')}`);
}

export function readDate(field: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = ISO_DATE.test(value) ? new Date(value) : null;
  if (!date || isNaN(date.getTime())) throw badParameter(field, value, 'allowed: an ISO-8601 date-time such as 2026-12-02T10:00:00Z');
  return date;
}

/** A non-empty text parameter of at most `max` characters. */
export function readText(field: string, value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (value.length === 0 || value.length > max) throw badParameter(field, value, `allowed: 1 to ${max} characters`);
  return value;
}
