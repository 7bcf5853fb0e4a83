// @ts-check
import { actionButtons } from './actions.mjs';
import { ApiError, request } from './api.mjs';
import { h, replace } from './dom.mjs';
import { formatCount, formatRelative } from './format.mjs';
import { noticeRow, pager, selectField, setBusy, statusBadge, timeCell } from './ui.mjs';

/**
 * The jobs table: one page of `GET api/jobs` (searched and filtered on the server, so 10,000 jobs
 * cost one page of rows), one row per job with its id in the first cell; a row opens the job.
 */

const COLUMNS = 7;

/**
 * @typedef {{ q: string, paused: string, store: string, offset: number, limit: number }} ListParams
 * @typedef {import('./app.mjs').AppContext} AppContext
 */

/** @param {AppContext} ctx */
export function createJobsView(ctx) {
  /** @type {ListParams} */
  let params = { q: '', paused: '', store: '', offset: 0, limit: 50 };
  let sequence = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let typing;

  const search = h('input', { type: 'search', id: 'job-search', placeholder: 'id or name', autocomplete: 'off', spellcheck: 'false' });
  search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => go({ q: search.value.trim(), offset: 0 }), 250);
  });
  const paused = selectField(
    'job-paused',
    'Show',
    [
      ['', 'All jobs'],
      ['false', 'Scheduled'],
      ['true', 'Paused'],
    ],
    '',
    (value) => go({ paused: value, offset: 0 }),
  );
  const storeSlot = h('div', { class: 'store-slot' });
  const count = h('p', { class: 'count', 'aria-live': 'polite' });
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'jobs', 'aria-describedby': 'jobs-count' },
    h('caption', { class: 'visually-hidden' }, 'Jobs'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['ID', 'Name', 'Trigger', 'Next run', 'Paused', 'Last run', 'Actions'].map((c) =>
          h('th', { scope: 'col', class: c === 'Actions' ? 'actions-col' : null }, c),
        ),
      ),
    ),
    tbody,
  );
  const pagerSlot = h('div', { class: 'pager-slot' });
  count.id = 'jobs-count';
  const element = h(
    'section',
    { class: 'view jobs-view', 'aria-labelledby': 'jobs-title' },
    h('div', { class: 'view-head' }, h('h2', { id: 'jobs-title' }, 'Jobs'), count),
    h(
      'form',
      { class: 'toolbar', role: 'search', onsubmit: (/** @type {Event} */ e) => e.preventDefault() },
      h('div', { class: 'field inline grow' }, h('label', { for: 'job-search' }, 'Search jobs'), search),
      paused.field,
      storeSlot,
    ),
    h('div', { class: 'table-wrap' }, table),
    pagerSlot,
  );

  /** @param {Partial<ListParams>} change */
  function go(change) {
    ctx.navigate(listHash({ ...params, ...change }));
  }

  /** @param {ListParams} next */
  async function show(next) {
    const changed = JSON.stringify(next) !== JSON.stringify(params);
    params = next;
    if (document.activeElement !== search) search.value = params.q;
    paused.select.value = params.paused;
    if (changed || !tbody.hasChildNodes()) {
      replace(tbody, noticeRow(COLUMNS, 'loading', 'Loading jobs…'));
      replace(pagerSlot);
    }
    await load();
  }

  async function load() {
    const mine = ++sequence;
    setBusy(table, true);
    try {
      const page = await request('GET', 'jobs', {
        query: { q: params.q, paused: params.paused, store: params.store, limit: params.limit, offset: params.offset },
      });
      await ctx.ready;
      if (mine !== sequence) return;
      render(page);
    } catch (err) {
      if (mine !== sequence) return;
      const message = err instanceof ApiError ? err.message : String(err);
      replace(tbody, noticeRow(COLUMNS, 'error', `The jobs could not be loaded: ${message}`, retryButton()));
      replace(count);
    } finally {
      if (mine === sequence) setBusy(table, false);
    }
  }

  /** @param {{ items: any[], total: number }} page */
  function render(page) {
    renderStoreFilter();
    const filtered = Boolean(params.q || params.paused || params.store);
    replace(count, `${formatCount(page.total)} ${page.total === 1 ? 'job' : 'jobs'}${filtered ? ' match' : ''}`);
    if (page.items.length === 0 && page.total > 0 && params.offset > 0) return go({ offset: 0 });
    if (page.items.length === 0) {
      replace(
        tbody,
        filtered
          ? noticeRow(
              COLUMNS,
              'empty',
              params.q ? `No job matches “${params.q}”.` : 'No job matches this filter.',
              h('button', { type: 'button', onclick: () => go({ q: '', paused: '', store: '', offset: 0 }) }, 'Clear filters'),
            )
          : noticeRow(
              COLUMNS,
              'empty',
              'No jobs yet. Jobs appear here as the application adds them (@ScheduledJob, SchedulerService.addJob).',
            ),
      );
      replace(pagerSlot);
      return;
    }
    replace(tbody, page.items.map(row));
    replace(
      pagerSlot,
      pager({ ...params, total: page.total, shown: page.items.length, label: 'Jobs pages', onPage: (offset) => go({ offset }) }),
    );
  }

  /** @param {any} job */
  function row(job) {
    const href = jobHash(job);
    const last = job.lastExecution;
    const tr = h(
      'tr',
      { class: job.paused ? 'job paused' : 'job', 'data-job-id': job.id },
      h('td', { class: 'id' }, h('a', { href }, job.id)),
      h('td', { class: 'name' }, job.name),
      h('td', { class: 'trigger' }, job.triggerText),
      h('td', {}, job.paused ? h('span', { class: 'muted' }, '—') : timeCell(job.nextRunTime)),
      h('td', {}, job.paused ? h('span', { class: 'badge paused-badge' }, 'paused') : h('span', { class: 'muted' }, 'no')),
      h(
        'td',
        { class: 'last' },
        last
          ? [
              statusBadge(last.status),
              ' ',
              h('span', { class: 'relative', 'data-relative': lastTime(last) }, formatRelative(lastTime(last))),
            ]
          : h('span', { class: 'muted' }, 'never run'),
      ),
      h('td', { class: 'actions-col' }, ctx.readOnly ? null : actionButtons(job, ctx)),
    );
    tr.addEventListener('click', (event) => {
      const target = /** @type {Element} */ (event.target);
      if (target.closest('button, a, input, select')) return;
      ctx.navigate(href);
    });
    return tr;
  }

  function renderStoreFilter() {
    const stores = ctx.state?.stores ?? [];
    if (stores.length < 2) return replace(storeSlot);
    if (storeSlot.hasChildNodes()) return;
    const field = selectField(
      'job-store',
      'Store',
      [['', 'All stores'], ...stores.map((/** @type {string} */ s) => /** @type {[string, string]} */ ([s, s]))],
      params.store,
      (value) => go({ store: value, offset: 0 }),
    );
    replace(storeSlot, field.field);
  }

  function retryButton() {
    return h('button', { type: 'button', onclick: () => void load() }, 'Retry');
  }

  return { element, show, refresh: load };
}

/** @param {{ finishedAt: string | null, startedAt: string | null, scheduledRunTime: string }} e */
function lastTime(e) {
  return e.finishedAt ?? e.startedAt ?? e.scheduledRunTime;
}

/**
 * `#/?q=...&paused=...&offset=...`
 * @param {ListParams} params
 */
export function listHash(params) {
  const query = new URLSearchParams();
  if (params.q) query.set('q', params.q);
  if (params.paused) query.set('paused', params.paused);
  if (params.store) query.set('store', params.store);
  if (params.offset) query.set('offset', String(params.offset));
  if (params.limit !== 50) query.set('limit', String(params.limit));
  const text = query.toString();
  return text ? `#/?${text}` : '#/';
}

/**
 * `#/job/<id>?store=<store>`
 * @param {{ id: string, store: string }} job
 */
export function jobHash(job) {
  return `#/job/${encodeURIComponent(job.id)}?store=${encodeURIComponent(job.store)}`;
}
