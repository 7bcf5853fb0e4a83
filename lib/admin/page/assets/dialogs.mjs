// @ts-check
import { h, replace } from './dom.mjs';

/**
 * Modal <dialog>s: the confirmation every action asks for, and the reschedule form. The page never
 * uses window.confirm/alert: a modal of its own is styled, testable and cannot be suppressed.
 */

/**
 * Asks before an action. Resolves true when confirmed; `run` is awaited with the dialog open, and
 * an error it throws is shown in the dialog, which then stays open for another try or Cancel.
 * @param {{ title: string, message: string, confirmLabel?: string, danger?: boolean, run: () => Promise<void> }} options
 * @returns {Promise<boolean>}
 */
export function confirmAction(options) {
  const error = h('p', { class: 'dialog-error', role: 'alert', hidden: true });
  const confirm = h(
    'button',
    { type: 'submit', class: options.danger ? 'danger' : 'primary', value: 'confirm' },
    options.confirmLabel ?? 'Confirm',
  );
  const form = h(
    'form',
    { method: 'dialog' },
    h('h2', { id: 'dialog-title' }, options.title),
    h('p', {}, options.message),
    error,
    h('div', { class: 'dialog-actions' }, h('button', { type: 'button', value: 'cancel', class: 'cancel' }, 'Cancel'), confirm),
  );
  return openDialog(form, error, confirm, options.run);
}

/**
 * @param {HTMLFormElement} form
 * @param {HTMLElement} error
 * @param {HTMLButtonElement} submit
 * @param {() => Promise<void>} run
 * @returns {Promise<boolean>}
 */
export function openDialog(form, error, submit, run) {
  const dialog = h('dialog', { 'aria-labelledby': 'dialog-title', class: 'dialog' }, form);
  document.body.appendChild(dialog);
  return new Promise((resolve) => {
    let done = false;
    /** @param {boolean} result */
    const close = (result) => {
      if (done) return;
      done = true;
      dialog.close();
      dialog.remove();
      resolve(result);
    };
    form.querySelector('button.cancel')?.addEventListener('click', () => close(false));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      close(false);
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      submit.disabled = true;
      error.hidden = true;
      run().then(
        () => close(true),
        (err) => {
          submit.disabled = false;
          replace(error, err instanceof Error ? err.message : String(err));
          error.hidden = false;
        },
      );
    });
    dialog.showModal();
    submit.focus();
  });
}
