// @ts-check
import { actionButtons } from './actions.mjs';
import { ApiError, jobPath, request } from './api.mjs';
import { executionsChart } from './chart.mjs';
import { executionsTable } from './executions-table.mjs';
import { h, replace } from './dom.mjs';
import { formatCount, formatDuration } from './format.mjs';
import { facts, pager, selectField, setBusy, timeCell } from './ui.mjs';

/**
 * One job: its settings, the actions, a chart of its last runs and its executions page by page
 * (`GET api/executions?jobId=`), each with its status as text, lateness and duration.
 */

const PAGE = 25;
const CHART_RUNS = 200;

/**
 * @typedef {{ id: string, store: string, status: string, offset: number }} JobParams
 * @typedef {import('./app.mjs').AppContext} AppContext
 */

/** @param {AppContext} ctx */
export function createJobView(ctx) {
  /** @type {JobParams} */
  let params = { id: '', store: '', status: '', offset: 0 };
  let sequence = 0;
  /** @type {any} */
  let job = null;
  const element = h('section', { class: 'view job-view', 'aria-labelledby': 'job-title' });

  /** @param {JobParams} next */
  async function show(next) {
    const same = next.id === params.id && next.store === params.store;
    params = next;
    if (!same) {
      job = null;
      replace(element, back(), h('h2', { id: 'job-title' }, next.id), h('p', { class: 'loading', role: 'status' }, 'Loading job…'));
    }
    await load();
  }

  async function load() {
    const mine = ++sequence;
    setBusy(element, true);
    const executionsQuery = { jobId: params.id, status: params.status, limit: PAGE, offset: params.offset };
    try {
      const [found, page, recent] = await Promise.all([
        request('GET', jobPath(params.id), { query: { store: params.store } }).catch((err) => {
          if (err instanceof ApiError && err.status === 404) return null;
          throw err;
        }),
        request('GET', 'executions', { query: executionsQuery }),
        request('GET', 'executions', { query: { jobId: params.id, limit: CHART_RUNS } }),
      ]);
      await ctx.ready;
      if (mine !== sequence) return;
      job = found;
      render(found, page, recent);
    } catch (err) {
      if (mine !== sequence) return;
      const message = err instanceof ApiError ? err.message : String(err);
      replace(
        element,
        back(),
        h('h2', { id: 'job-title' }, params.id),
        h(
          'div',
          { class: 'notice notice-error', role: 'alert' },
          h('p', {}, `This job could not be loaded: ${message}`),
          h('button', { type: 'button', onclick: () => void load() }, 'Retry'),
        ),
      );
    } finally {
      if (mine === sequence) setBusy(element, false);
    }
  }

  /**
   * @param {any} found null when the job is gone (its history may remain)
   * @param {{ items: any[], total: number }} page
   * @param {{ items: any[], total: number }} recent
   */
  function render(found, page, recent) {
    const head = found
      ? [
          h(
            'div',
            { class: 'view-head' },
            h(
              'h2',
              { id: 'job-title' },
              h('code', {}, found.id),
              found.paused ? h('span', { class: 'badge paused-badge' }, 'paused') : null,
            ),
            ctx.readOnly ? null : actionButtons(found, ctx, { reschedule: true }),
          ),
          h('p', { class: 'job-name' }, found.name),
          details(found),
        ]
      : [
          h('h2', { id: 'job-title' }, h('code', {}, params.id)),
          h(
            'div',
            { class: 'notice notice-empty', role: 'status' },
            h('p', {}, 'This job no longer exists (removed, or finished); its past runs are below.'),
          ),
        ];
    const status = selectField(
      'execution-status',
      'Status',
      [
        ['', 'All'],
        ...['executed', 'error', 'missed', 'max_instances', 'lost', 'running', 'retry_pending'].map(
          (s) => /** @type {[string, string]} */ ([s, s]),
        ),
      ],
      params.status,
      (value) => ctx.navigate(jobHashWith({ ...params, status: value, offset: 0 })),
    );
    // A live refresh keeps the tracebacks the reader opened.
    const open = new Set(
      [...element.querySelectorAll('tr.execution details[open]')].map((d) => d.closest('tr')?.getAttribute('data-execution-id')),
    );
    replace(
      element,
      back(),
      head,
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'chart-title' },
        h('h3', { id: 'chart-title' }, 'Recent runs'),
        executionsChart(recent.items),
      ),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'executions-title' },
        h(
          'div',
          { class: 'view-head' },
          h('h3', { id: 'executions-title' }, 'Executions'),
          h('p', { class: 'count' }, `${formatCount(page.total)} ${page.total === 1 ? 'run' : 'runs'}`),
          status.field,
        ),
        executionsTable(page.items, params.status),
        page.items.length
          ? pager({
              offset: params.offset,
              limit: PAGE,
              total: page.total,
              shown: page.items.length,
              label: 'Executions pages',
              onPage: (offset) => ctx.navigate(jobHashWith({ ...params, offset })),
            })
          : null,
      ),
    );
    for (const row of element.querySelectorAll('tr.execution')) {
      if (open.has(row.getAttribute('data-execution-id'))) row.querySelector('details')?.setAttribute('open', '');
    }
  }

  /** @param {any} j */
  function details(j) {
    return facts([
      ['Trigger', j.triggerText],
      ['Next run', j.paused ? 'paused' : timeCell(j.nextRunTime)],
      ['Handler', h('code', {}, j.handler)],
      ['Arguments', h('code', {}, JSON.stringify(j.args))],
      ['Store', j.store],
      ['Executor', j.executor],
      ['Coalesce', j.coalesce ? 'yes' : 'no'],
      ['Max instances', String(j.maxInstances)],
      ['Misfire grace time', j.misfireGraceTime === null ? 'no limit' : formatDuration(j.misfireGraceTime)],
      ['Retries', retryText(j.retry)],
    ]);
  }

  function back() {
    return h('p', { class: 'back' }, h('a', { href: '#/' }, '← All jobs'));
  }

  return {
    element,
    show,
    refresh: load,
    /** The job on screen, for live events. */
    current: () => (params.id ? { id: params.id, store: params.store, job } : null),
  };
}

/** @param {JobParams} p */
function jobHashWith(p) {
  const query = new URLSearchParams();
  if (p.store) query.set('store', p.store);
  if (p.status) query.set('status', p.status);
  if (p.offset) query.set('offset', String(p.offset));
  return `#/job/${encodeURIComponent(p.id)}?${query}`;
}

/**
 * A job's retry policy in words: "none", or "3 × after 2 s, doubling up to 1 min, + up to 500 ms".
 * @param {{ attempts: number, delay: number, backoff: string, maxDelay: number | null, jitter: number } | null | undefined} retry
 */
function retryText(retry) {
  if (!retry || retry.attempts === 0) return 'none';
  let text = `${retry.attempts} × after ${formatDuration(retry.delay)}`;
  if (retry.backoff === 'exponential')
    text += retry.maxDelay === null ? ', doubling' : `, doubling up to ${formatDuration(retry.maxDelay)}`;
  if (retry.jitter > 0) text += `, + up to ${formatDuration(retry.jitter)}`;
  return text;
}
