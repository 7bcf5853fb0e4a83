// @ts-check
import { h, replace } from './dom.mjs';
import { formatRelative, formatTime, timezoneShown } from './format.mjs';

/**
 * The scheduler at a glance (`GET api/state`): its state, this instance, the zone times are shown
 * in, its stores and executors, and the instances of the cluster with their last heartbeats.
 */

/**
 * @typedef {{ state: string, instanceId: string, timezone: string, stores: string[], executors: string[],
 *   instances: { id: string, lastHeartbeat: string | null, alive: boolean }[], readOnly?: boolean }} SchedulerState
 */

/**
 * Heartbeats are not events, so the instances card says when it was read (and has a Refresh
 * button) instead of letting "3 s ago" grow as if the instance had stopped beating.
 * @param {HTMLElement} el
 * @param {SchedulerState} state
 * @param {number} readAt when the state was fetched (ms)
 * @param {() => void} refresh
 */
export function renderOverview(el, state, readAt, refresh) {
  const instances = state.instances ?? [];
  replace(
    el,
    h('h2', { id: 'overview-title', class: 'visually-hidden' }, 'Scheduler'),
    h(
      'div',
      { class: 'cards' },
      card(
        'State',
        h('p', {}, h('span', { class: `badge state-${state.state}`, 'data-testid': 'scheduler-state' }, state.state)),
        h('p', { class: 'muted small' }, 'Instance ', h('code', {}, state.instanceId)),
        h('p', { class: 'muted small' }, `Times in ${timezoneShown()}`),
        state.readOnly ? h('p', { class: 'small read-only' }, 'Read-only: actions are disabled') : null,
      ),
      card('Stores', list(state.stores)),
      card('Executors', list(state.executors)),
      card(
        'Instances',
        h(
          'p',
          { class: 'muted small as-of' },
          `as of ${formatTime(new Date(readAt).toISOString())} `,
          h('button', { type: 'button', class: 'link', onclick: refresh }, 'Refresh'),
        ),
        instances.length === 0
          ? h('p', { class: 'muted small' }, 'No heartbeats recorded (no shared store).')
          : h(
              'table',
              { class: 'instances' },
              h('caption', { class: 'visually-hidden' }, 'Cluster instances'),
              h(
                'thead',
                {},
                h('tr', {}, h('th', { scope: 'col' }, 'Instance'), h('th', { scope: 'col' }, 'Heartbeat'), h('th', { scope: 'col' }, '')),
              ),
              h(
                'tbody',
                {},
                instances.map((i) =>
                  h(
                    'tr',
                    {},
                    h('td', {}, h('code', {}, i.id), i.id === state.instanceId ? h('span', { class: 'muted small' }, ' (this one)') : null),
                    h(
                      'td',
                      {},
                      h('time', { datetime: i.lastHeartbeat ?? '' }, formatTime(i.lastHeartbeat)),
                      ' ',
                      h('span', { class: 'relative' }, i.lastHeartbeat ? formatRelative(i.lastHeartbeat, readAt) : ''),
                    ),
                    h('td', {}, h('span', { class: `badge ${i.alive ? 'alive' : 'dead'}` }, i.alive ? 'alive' : 'stale')),
                  ),
                ),
              ),
            ),
      ),
    ),
  );
}

/**
 * @param {HTMLElement} el
 * @param {string} message
 * @param {() => void} retry
 */
export function renderOverviewError(el, message, retry) {
  replace(
    el,
    h(
      'div',
      { class: 'notice notice-error', role: 'alert' },
      h('p', {}, `The scheduler's state could not be loaded: ${message}`),
      h('button', { type: 'button', onclick: retry }, 'Retry'),
    ),
  );
}

/**
 * @param {string} title
 * @param {...import('./dom.mjs').Child} body
 */
function card(title, ...body) {
  return h('section', { class: 'card' }, h('h3', {}, title), body);
}

/** @param {string[] | undefined} items */
function list(items) {
  if (!items || items.length === 0) return h('p', { class: 'muted small' }, 'none');
  return h(
    'ul',
    { class: 'plain' },
    items.map((item) => h('li', {}, h('code', {}, item))),
  );
}
