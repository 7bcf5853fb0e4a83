// @ts-check
import { openDialog } from './dialogs.mjs';
import { h } from './dom.mjs';

/**
 * The reschedule form: a crontab expression, an interval, a date, or any TriggerSpec as JSON.
 * It opens on the job's current trigger; the server validates (InvalidTriggerError's message is
 * shown in the form, which stays open).
 */

const INTERVAL_FIELDS = /** @type {const} */ (['weeks', 'days', 'hours', 'minutes', 'seconds']);

/**
 * @param {{ id: string, trigger: any }} job
 * @param {(trigger: unknown) => Promise<void>} submit
 * @returns {Promise<boolean>}
 */
export function rescheduleDialog(job, submit) {
  const current = job.trigger;
  const kind = initialKind(current);
  const type = h(
    'select',
    { name: 'kind', id: 'reschedule-kind' },
    option('cron', 'Cron expression', kind),
    option('interval', 'Interval', kind),
    option('date', 'Once, at a date', kind),
    option('json', 'JSON (any trigger)', kind),
  );
  const expression = h('input', {
    id: 'reschedule-cron',
    name: 'expression',
    value: typeof current === 'string' ? current : (current?.expression ?? ''),
    placeholder: '*/5 * * * *',
    spellcheck: 'false',
    autocomplete: 'off',
  });
  const interval = INTERVAL_FIELDS.map((field) =>
    h(
      'label',
      { class: 'inline' },
      field,
      h('input', { type: 'number', min: 0, step: 'any', name: field, value: current?.type === 'interval' ? (current[field] ?? '') : '' }),
    ),
  );
  const runDate = h('input', { type: 'datetime-local', step: 1, id: 'reschedule-date', name: 'runDate', value: localValue(current) });
  const json = h('textarea', { id: 'reschedule-json', name: 'json', rows: 6, spellcheck: 'false' }, JSON.stringify(current, null, 2));
  const panels = {
    cron: h('div', { class: 'field', 'data-kind': 'cron' }, h('label', { for: 'reschedule-cron' }, 'Cron expression'), expression),
    interval: h('fieldset', { class: 'field', 'data-kind': 'interval' }, h('legend', {}, 'Every'), interval),
    date: h(
      'div',
      { class: 'field', 'data-kind': 'date' },
      h('label', { for: 'reschedule-date' }, 'Run at (your browser’s time zone)'),
      runDate,
    ),
    json: h('div', { class: 'field', 'data-kind': 'json' }, h('label', { for: 'reschedule-json' }, 'Trigger (JSON)'), json),
  };
  const show = () => {
    for (const [name, panel] of Object.entries(panels)) panel.hidden = name !== type.value;
  };
  type.addEventListener('change', show);
  show();
  const error = h('p', { class: 'dialog-error', role: 'alert', hidden: true });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save schedule');
  const form = h(
    'form',
    { method: 'dialog', class: 'reschedule' },
    h('h2', { id: 'dialog-title' }, 'Reschedule ', h('code', {}, job.id)),
    h('div', { class: 'field' }, h('label', { for: 'reschedule-kind' }, 'Trigger type'), type),
    Object.values(panels),
    error,
    h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'cancel' }, 'Cancel'), save),
  );
  return openDialog(form, error, save, () => submit(buildTrigger(type.value, form)));
}

/**
 * @param {string} kind
 * @param {HTMLFormElement} form
 */
function buildTrigger(kind, form) {
  const data = new FormData(form);
  const text = (/** @type {string} */ name) => String(data.get(name) ?? '').trim();
  switch (kind) {
    case 'cron':
      if (!text('expression')) throw new Error('Enter a cron expression, e.g. */5 * * * *');
      return text('expression');
    case 'interval': {
      /** @type {Record<string, unknown>} */
      const spec = { type: 'interval' };
      for (const field of INTERVAL_FIELDS) if (text(field)) spec[field] = Number(text(field));
      if (Object.keys(spec).length === 1) throw new Error('Enter at least one of weeks, days, hours, minutes, seconds');
      return spec;
    }
    case 'date': {
      const at = new Date(text('runDate'));
      if (!text('runDate') || Number.isNaN(at.getTime())) throw new Error('Choose a date and time');
      return { type: 'date', runDate: at.toISOString() };
    }
    default:
      try {
        return JSON.parse(text('json'));
      } catch (err) {
        throw new Error(`Not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
      }
  }
}

/** @param {any} trigger */
function initialKind(trigger) {
  if (typeof trigger === 'string') return 'cron';
  if (trigger?.type === 'cron' && trigger.expression && Object.keys(trigger).every((k) => k === 'type' || k === 'expression'))
    return 'cron';
  if (trigger?.type === 'interval' && Object.keys(trigger).every((k) => k === 'type' || INTERVAL_FIELDS.includes(/** @type {any} */ (k))))
    return 'interval';
  if (trigger?.type === 'date') return 'date';
  return 'json';
}

/**
 * The trigger's run date for <input type=datetime-local> (browser-local), else an hour from now.
 * @param {any} trigger
 */
function localValue(trigger) {
  const date = trigger?.type === 'date' && trigger.runDate ? new Date(trigger.runDate) : new Date(Date.now() + 3_600_000);
  if (Number.isNaN(date.getTime())) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 19);
}

/**
 * @param {string} value
 * @param {string} label
 * @param {string} selected
 */
function option(value, label, selected) {
  return h('option', { value, selected: value === selected }, label);
}
