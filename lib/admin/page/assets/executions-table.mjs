// @ts-check
import { h } from './dom.mjs';
import { formatDuration, lateness } from './format.mjs';
import { noticeRow, statusBadge, timeCell } from './ui.mjs';

/**
 * A page of a job's executions: scheduled time, status as text in a badge, start, lateness
 * (startedAt − scheduledRunTime), duration, instance, and the error with its traceback folded.
 */

const COLUMNS = 7;

/**
 * @param {any[]} items
 * @param {string} status
 */
export function executionsTable(items, status) {
  const rows = items.length
    ? items.map((e) =>
        h(
          'tr',
          { class: `execution st-row-${e.status}`, 'data-execution-id': e.id },
          h('td', {}, timeCell(e.scheduledRunTime)),
          h('td', { class: 'status' }, statusBadge(e.status)),
          h('td', {}, timeCell(e.startedAt)),
          h('td', { class: 'num' }, formatDuration(lateness(e))),
          h('td', { class: 'num' }, e.status === 'running' ? 'running…' : formatDuration(e.durationMs)),
          h('td', { class: 'instance' }, e.instanceId),
          h('td', { class: 'error-cell' }, errorText(e)),
        ),
      )
    : [noticeRow(COLUMNS, 'empty', status ? `No ${status} runs.` : 'This job has not run yet. Runs appear here live.')];
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'executions' },
      h('caption', { class: 'visually-hidden' }, 'Executions'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Scheduled', 'Status', 'Started', 'Lateness', 'Duration', 'Instance', 'Error'].map((c) => h('th', { scope: 'col' }, c)),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}

/** @param {{ error: string | null, traceback: string | null }} e */
function errorText(e) {
  if (!e.error) return e.traceback ? null : h('span', { class: 'muted' }, '—');
  return [
    h('span', { class: 'error-text' }, e.error),
    e.traceback ? h('details', {}, h('summary', {}, 'Traceback'), h('pre', {}, e.traceback)) : null,
  ];
}
