// @ts-check
import { byId, h } from './dom.mjs';
import { formatCount, formatRelative, formatTime } from './format.mjs';

/** Small pieces shared by the views: badges, times, the pager, notices and toasts. */

const KNOWN_STATUSES = new Set(['executed', 'error', 'missed', 'max_instances', 'lost', 'running', 'retry_pending']);

/**
 * An execution's status as text in a coloured badge (`executed`, `error`, ...).
 * @param {string} status
 */
export function statusBadge(status) {
  return h('span', { class: `badge st-${KNOWN_STATUSES.has(status) ? status : 'other'}` }, status);
}

/**
 * A time in the scheduler's zone with, beside it, how long ago or until (kept current by `tickRelativeTimes`).
 * @param {string | null | undefined} iso
 */
export function timeCell(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h(
    'span',
    { class: 'time' },
    h('time', { datetime: iso }, formatTime(iso)),
    ' ',
    h('span', { class: 'relative', 'data-relative': iso }, formatRelative(iso)),
  );
}

/** Refreshes the "3 s ago" texts from the local clock (no request). */
export function tickRelativeTimes() {
  for (const el of document.querySelectorAll('[data-relative]')) {
    const text = formatRelative(el.getAttribute('data-relative'));
    if (el.textContent !== text) el.textContent = text;
  }
}

/**
 * "1–50 of 10,000" with Previous / Next.
 * @param {{ offset: number, limit: number, total: number, shown: number, label: string, onPage: (offset: number) => void }} options
 */
export function pager({ offset, limit, total, shown, label, onPage }) {
  const from = total === 0 ? 0 : offset + 1;
  return h(
    'nav',
    { class: 'pager', 'aria-label': label },
    h('span', { class: 'pager-range' }, `${formatCount(from)}–${formatCount(offset + shown)} of ${formatCount(total)}`),
    h('button', { type: 'button', disabled: offset === 0, onclick: () => onPage(Math.max(0, offset - limit)) }, 'Previous'),
    h('button', { type: 'button', disabled: offset + shown >= total, onclick: () => onPage(offset + limit) }, 'Next'),
  );
}

/**
 * A full-width table row saying why there is nothing (loading, empty, error), with optional buttons.
 * @param {number} columns
 * @param {'loading' | 'empty' | 'error'} kind
 * @param {string} text
 * @param {...Node} extra
 */
export function noticeRow(columns, kind, text, ...extra) {
  return h(
    'tr',
    { class: `notice notice-${kind}` },
    h('td', { colspan: columns }, h('div', { class: 'notice-body', role: kind === 'error' ? 'alert' : null }, h('p', {}, text), extra)),
  );
}

/**
 * A message that appears for a few seconds (success) or until dismissed (error).
 * @param {string} message
 * @param {'ok' | 'error'} [kind]
 */
export function toast(message, kind = 'ok') {
  const item = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, h('span', {}, message));
  const close = () => item.remove();
  item.appendChild(h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss', onclick: close }, '×'));
  byId('toasts').appendChild(item);
  if (kind === 'ok') setTimeout(close, 5000);
}

/**
 * Marks a region busy (aria-busy) while it loads.
 * @param {Element} el
 * @param {boolean} busy
 */
export function setBusy(el, busy) {
  if (busy) el.setAttribute('aria-busy', 'true');
  else el.removeAttribute('aria-busy');
}

/**
 * A labelled select.
 * @param {string} id
 * @param {string} label
 * @param {[string, string][]} options value, text
 * @param {string} value
 * @param {(value: string) => void} onChange
 */
export function selectField(id, label, options, value, onChange) {
  const select = h(
    'select',
    { id, onchange: () => onChange(select.value) },
    options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
  );
  return { field: h('div', { class: 'field inline' }, h('label', { for: id }, label), select), select };
}

/**
 * A key/value list (<dl>).
 * @param {[string, import('./dom.mjs').Child][]} entries
 */
export function facts(entries) {
  return h(
    'dl',
    { class: 'facts' },
    entries.map(([key, value]) => h('div', {}, h('dt', {}, key), h('dd', {}, value))),
  );
}
