import type { SchedulerEvent } from '../../core/events/scheduler-events.js';

/**
 * The fields of a SchedulerEvent the event stream sends, named one by one: what the history
 * stores (times, durations, an error's name and message, its traceback) and nothing else. A job's
 * return value is not stored, so it is not sent; a store error carries only its name, because its
 * message may hold connection details the history never records.
 */
const FIELDS = [
  'type',
  'timestamp',
  'instanceId',
  'jobId',
  'store',
  'scheduledRunTime',
  'scheduledRunTimes',
  'startedAt',
  'finishedAt',
  'durationMs',
  'traceback',
  'lostInstanceId',
  'executionId',
] as const;

/** An event as JSON text: Dates as ISO-8601 strings, an Error as `{ name, message }`. */
export function eventJson(event: SchedulerEvent): string {
  const source = event as unknown as Record<string, unknown>;
  const view: Record<string, unknown> = {};
  for (const field of FIELDS) if (source[field] !== undefined) view[field] = source[field];
  const error = source.error;
  if (error instanceof Error) {
    view.error = event.type === 'jobstore_error' ? { name: error.name } : { name: error.name, message: error.message };
  }
  return JSON.stringify(view);
}
