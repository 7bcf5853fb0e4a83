// @ts-check
import { jobPath, request } from './api.mjs';
import { confirmAction } from './dialogs.mjs';
import { h } from './dom.mjs';
import { rescheduleDialog } from './reschedule.mjs';
import { toast } from './ui.mjs';

/**
 * The job actions, each behind a confirmation: run now, pause, resume, reschedule, remove. The
 * buttons are not rendered at all when the API says it is read-only. `changed` is called after a
 * successful action (the views refresh; the event stream would also tell them).
 */

/**
 * @typedef {{ id: string, name: string, store: string, paused: boolean, trigger: unknown }} JobLike
 * @typedef {{ changed: (job: JobLike, action: string) => void }} ActionContext
 */

/**
 * @param {JobLike} job
 * @param {ActionContext} ctx
 * @param {{ reschedule?: boolean }} [options]
 */
export function actionButtons(job, ctx, options = {}) {
  const button = (/** @type {string} */ label, /** @type {() => void} */ onclick, cls = '') =>
    h('button', { type: 'button', class: `action ${cls}`.trim(), onclick }, label);
  return h(
    'div',
    { class: 'actions' },
    button('Run now', () => void runNow(job, ctx)),
    job.paused ? button('Resume', () => void resume(job, ctx)) : button('Pause', () => void pause(job, ctx)),
    options.reschedule ? button('Reschedule', () => void reschedule(job, ctx)) : null,
    button('Remove', () => void remove(job, ctx), 'danger'),
  );
}

/** @param {JobLike} job */
const query = (job) => ({ store: job.store });

/** @param {JobLike} job @param {ActionContext} ctx */
async function runNow(job, ctx) {
  const ok = await confirmAction({
    title: `Run ${job.id} now?`,
    message: 'One extra run starts now; the schedule is unchanged.',
    confirmLabel: 'Run it',
    run: () => request('POST', jobPath(job.id, 'run'), { query: query(job) }),
  });
  if (ok) done(job, ctx, 'run', `Run of ${job.id} requested`);
}

/** @param {JobLike} job @param {ActionContext} ctx */
async function pause(job, ctx) {
  const ok = await confirmAction({
    title: `Pause ${job.id}?`,
    message: 'It will not run until resumed.',
    confirmLabel: 'Pause it',
    run: () => request('POST', jobPath(job.id, 'pause'), { query: query(job) }),
  });
  if (ok) done(job, ctx, 'pause', `${job.id} paused`);
}

/** @param {JobLike} job @param {ActionContext} ctx */
async function resume(job, ctx) {
  let finished = false;
  const ok = await confirmAction({
    title: `Resume ${job.id}?`,
    message: 'Its next run is computed from its trigger, from now.',
    confirmLabel: 'Resume it',
    run: async () => {
      // 204: the trigger has no further fire time, so the scheduler removed the job.
      finished = (await request('POST', jobPath(job.id, 'resume'), { query: query(job) })) === null;
    },
  });
  if (ok)
    done(job, ctx, finished ? 'remove' : 'resume', finished ? `${job.id} had no further run time and was removed` : `${job.id} resumed`);
}

/** @param {JobLike} job @param {ActionContext} ctx */
async function reschedule(job, ctx) {
  const ok = await rescheduleDialog(job, (trigger) =>
    request('POST', jobPath(job.id, 'reschedule'), { query: query(job), body: { trigger } }),
  );
  if (ok) done(job, ctx, 'reschedule', `${job.id} rescheduled`);
}

/** @param {JobLike} job @param {ActionContext} ctx */
async function remove(job, ctx) {
  const ok = await confirmAction({
    title: `Remove ${job.id}?`,
    message: 'The job is deleted from its store; its execution history is kept. This cannot be undone.',
    confirmLabel: 'Remove it',
    danger: true,
    run: () => request('DELETE', jobPath(job.id), { query: query(job) }),
  });
  if (ok) done(job, ctx, 'remove', `${job.id} removed`);
}

/**
 * @param {JobLike} job
 * @param {ActionContext} ctx
 * @param {string} action
 * @param {string} message
 */
function done(job, ctx, action, message) {
  toast(message);
  ctx.changed(job, action);
}
