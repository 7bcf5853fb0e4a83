// @ts-check
import { eventsUrl } from './api.mjs';

/**
 * Live updates from `{path}/api/events` (Server-Sent Events; EventSource reconnects by itself).
 * Events are read whether the server sends them unnamed (`data:` only) or named by their type.
 */

const TYPES = [
  'scheduler_started',
  'scheduler_shutdown',
  'scheduler_paused',
  'scheduler_resumed',
  'executor_added',
  'executor_removed',
  'jobstore_added',
  'jobstore_removed',
  'all_jobs_removed',
  'job_added',
  'job_removed',
  'job_modified',
  'job_submitted',
  'job_max_instances',
  'job_executed',
  'job_error',
  'job_missed',
  'job_lost',
  'jobstore_error',
];

/**
 * @typedef {{ type: string, jobId?: string, store?: string, timestamp?: string }} LiveEvent
 * @param {(event: LiveEvent) => void} onEvent called with `{ type: 'overflow' }` when the server dropped events for this client
 * @param {(status: 'connecting' | 'live' | 'reconnecting' | 'offline') => void} onStatus
 * @returns {() => void} closes the stream
 */
export function connectLive(onEvent, onStatus) {
  if (typeof EventSource === 'undefined') {
    onStatus('offline');
    return () => {};
  }
  onStatus('connecting');
  const source = new EventSource(eventsUrl());
  /** @param {MessageEvent} message */
  const read = (message) => {
    try {
      const event = JSON.parse(message.data);
      if (event && typeof event.type === 'string') onEvent(event);
    } catch {
      // A comment or keep-alive line; nothing to show.
    }
  };
  source.addEventListener('message', read);
  // The server fell behind for this client and dropped events: what is on screen may be stale.
  source.addEventListener('overflow', () => onEvent({ type: 'overflow' }));
  for (const type of TYPES) source.addEventListener(type, read);
  source.addEventListener('open', () => onStatus('live'));
  source.addEventListener('error', () => onStatus(source.readyState === EventSource.CLOSED ? 'offline' : 'reconnecting'));
  return () => source.close();
}

/**
 * Calls `fn` soon after the first request, then at most once per `interval` ms while requests keep
 * coming: a scheduler firing thousands of jobs a second costs the page one refresh a second.
 * @param {() => Promise<void> | void} fn
 * @param {number} interval
 * @returns {() => void}
 */
export function throttle(fn, interval, first = 150) {
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;
  let last = 0;
  let running = false;
  let again = false;
  const fire = async () => {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = true;
    last = Date.now();
    try {
      await fn();
    } finally {
      running = false;
      if (again) {
        again = false;
        request();
      }
    }
  };
  const request = () => {
    if (timer !== null) return;
    const wait = Math.max(first, last + interval - Date.now());
    timer = setTimeout(() => void fire(), wait);
  };
  return request;
}
