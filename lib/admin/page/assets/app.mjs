// @ts-check
import { ApiError, request } from './api.mjs';
import { byId, h, replace } from './dom.mjs';
import { setTimezone } from './format.mjs';
import { createJobView } from './job-view.mjs';
import { createJobsView } from './jobs-view.mjs';
import { connectLive, throttle } from './live.mjs';
import { renderOverview, renderOverviewError } from './overview.mjs';
import { tickRelativeTimes } from './ui.mjs';

/**
 * The dashboard's entry point: loads the scheduler's state, routes on the URL's hash (`#/` the
 * jobs, `#/job/<id>` one job), and refreshes what is on screen when the event stream says
 * something changed. No polling: between events only the "3 s ago" texts move, from the local clock.
 */

/**
 * @typedef {{
 *   state: import('./overview.mjs').SchedulerState | null,
 *   readOnly: boolean,
 *   ready: Promise<void>,
 *   navigate: (hash: string) => void,
 *   changed: (job: { id: string }, action: string) => void,
 * }} AppContext
 */

const overviewEl = byId('overview');
const viewEl = byId('view');
const liveEl = byId('live');

/** @type {(() => void) | null} */
let stateReady = null;
/** @type {AppContext} */
const ctx = {
  state: null,
  readOnly: true,
  ready: new Promise((resolve) => (stateReady = () => resolve(undefined))),
  navigate: (hash) => {
    if (location.hash === hash) void route();
    else location.hash = hash;
  },
  changed: (job, action) => {
    if (action === 'remove' && current === jobView && jobView.current()?.id === job.id) ctx.navigate('#/');
    else void current?.refresh();
  },
};

const jobsView = createJobsView(ctx);
const jobView = createJobView(ctx);
/** @type {typeof jobsView | typeof jobView | null} */
let current = null;

async function loadState() {
  try {
    const state = await request('GET', 'state');
    const readAt = Date.now();
    ctx.state = state;
    ctx.readOnly = Boolean(state.readOnly);
    setTimezone(state.timezone);
    document.documentElement.classList.toggle('read-only', ctx.readOnly);
    renderOverview(overviewEl, state, readAt, () => void loadState());
  } catch (err) {
    renderOverviewError(overviewEl, err instanceof ApiError ? err.message : String(err), () => void loadState());
  } finally {
    stateReady?.();
    stateReady = null;
  }
}

async function route() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, search = ''] = hash.split('?');
  const query = new URLSearchParams(search);
  const job = /^\/job\/(.+)$/.exec(path);
  if (job) {
    mount(jobView);
    await jobView.show({
      id: safeDecode(job[1]),
      store: query.get('store') ?? '',
      status: query.get('status') ?? '',
      offset: Number(query.get('offset')) || 0,
    });
  } else {
    mount(jobsView);
    await jobsView.show({
      q: query.get('q') ?? '',
      paused: query.get('paused') ?? '',
      store: query.get('store') ?? '',
      offset: Number(query.get('offset')) || 0,
      limit: Math.min(500, Number(query.get('limit')) || 50),
    });
  }
}

/** @param {typeof jobsView | typeof jobView} view */
function mount(view) {
  if (current === view) return;
  current = view;
  replace(viewEl, view.element);
}

/** @param {string} text */
function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const refreshView = throttle(() => current?.refresh(), 1000);
const refreshStateSoon = throttle(loadState, 1000);
// Heartbeats are not events: the instances card catches up whenever events flow, at most every 15 s.
const refreshStateLater = throttle(loadState, 15_000, 15_000);

/** @param {import('./live.mjs').LiveEvent} event */
function onEvent(event) {
  if (event.type === 'overflow') {
    refreshStateSoon();
    refreshView();
    return;
  }
  if (/^(scheduler|executor|jobstore)_/.test(event.type)) refreshStateSoon();
  else refreshStateLater();
  if (current === jobsView && (event.type.startsWith('job_') || event.type === 'all_jobs_removed')) refreshView();
  if (current === jobView) {
    const shown = jobView.current();
    if (shown && (event.jobId === shown.id || event.type === 'all_jobs_removed')) refreshView();
  }
}

let wasLive = false;
/** @param {'connecting' | 'live' | 'reconnecting' | 'offline'} status */
function onStatus(status) {
  const text = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', offline: 'Live updates unavailable' }[status];
  liveEl.className = `live live-${status}`;
  replace(liveEl, h('span', { class: 'dot', 'aria-hidden': 'true' }), text);
  // Back after a drop: what happened meanwhile was not streamed, so reload once.
  if (status === 'live' && wasLive) {
    refreshStateSoon();
    refreshView();
  }
  if (status === 'live') wasLive = true;
}

window.addEventListener('hashchange', () => void route());
setInterval(tickRelativeTimes, 1000);
void loadState();
void route();
connectLive(onEvent, onStatus);
