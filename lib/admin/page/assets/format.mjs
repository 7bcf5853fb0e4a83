// @ts-check
/** Times in the scheduler's zone, durations and relative times, as people read them. */

/** @type {Intl.DateTimeFormat | null} */
let formatter = null;
let zone = '';

/**
 * Shows times in this IANA zone (the scheduler's), or the browser's when it is unknown here.
 * @param {string | undefined} timezone
 */
export function setTimezone(timezone) {
  const options = /** @type {const} */ ({
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  try {
    formatter = new Intl.DateTimeFormat('sv-SE', { ...options, timeZone: timezone });
    zone = timezone ?? '';
  } catch {
    formatter = new Intl.DateTimeFormat('sv-SE', options);
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  }
}

/** The zone times are shown in. */
export function timezoneShown() {
  return zone || Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/**
 * `2026-12-02 18:23:29` in the scheduler's zone; `—` for none.
 * @param {string | null | undefined} iso
 */
export function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  if (!formatter) setTimezone(undefined);
  return /** @type {Intl.DateTimeFormat} */ (formatter).format(date);
}

/**
 * `in 5 s`, `3 min ago`, `2 h ago`, `in 4 d`.
 * @param {string | null | undefined} iso
 * @param {number} [now]
 */
export function formatRelative(iso, now = Date.now()) {
  if (!iso) return '';
  const diff = new Date(iso).getTime() - now;
  if (Number.isNaN(diff)) return '';
  const abs = Math.abs(diff);
  const text = abs < 1000 ? 'now' : compact(abs);
  if (text === 'now') return text;
  return diff > 0 ? `in ${text}` : `${text} ago`;
}

/** @param {number} ms */
function compact(ms) {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}

/**
 * `850 ms`, `1.25 s`, `2 min 5 s`; `—` for none.
 * @param {number | null | undefined} ms
 */
export function formatDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  const sign = ms < 0 ? '−' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  if (abs < 60_000) return `${sign}${Number((abs / 1000).toFixed(abs < 10_000 ? 2 : 1))} s`;
  const minutes = Math.floor(abs / 60_000);
  if (minutes < 60) return `${sign}${minutes} min ${Math.round((abs % 60_000) / 1000)} s`;
  return `${sign}${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * How late a run started: startedAt − scheduledRunTime, in ms; null when it did not start.
 * @param {{ scheduledRunTime: string, startedAt: string | null }} execution
 */
export function lateness(execution) {
  if (!execution.startedAt) return null;
  return new Date(execution.startedAt).getTime() - new Date(execution.scheduledRunTime).getTime();
}

/**
 * `1,234`
 * @param {number} n
 */
export function formatCount(n) {
  return n.toLocaleString('en');
}
