// The action dialog: acknowledge (note required), shelve (duration and note), unshelve (optional
// note). It stays open with the server's reason when the action is refused.
import type { Alert } from '../../../../shared/schema.ts';
import { api, ApiError } from './api.ts';
import { h } from './dom.ts';
import { codeLabel, t } from './i18n.ts';

export type Verb = 'ack' | 'shelve' | 'unshelve';
const SHELVE_MINUTES = [15, 60, 240, 480, 1440];

export function openActionDialog(alert: Alert, verb: Verb, onDone: (a: Alert) => void): void {
  const note = h('textarea', { name: 'note', rows: 3, maxlength: 500, required: verb !== 'unshelve', placeholder: t('note') });
  const minutes = h('select', { name: 'minutes' }, ...SHELVE_MINUTES.map((m) => h('option', { value: m }, m < 60 ? t('minutes', { n: m }) : t('hours', { n: m / 60 }))));
  const error = h('p', { className: 'error', role: 'alert' });
  const submit = h('button', { type: 'submit', className: 'primary' }, t(verb));
  const form = h(
    'form',
    // Our own message for a missing note (the native bubble is easy to miss and not translated).
    { method: 'dialog', novalidate: true },
    h('h3', {}, `${t(verb)} · ${alert.title}`),
    verb === 'shelve' ? h('label', { className: 'field' }, t('duration'), minutes) : null,
    h('label', { className: 'field wide' }, t('note'), note),
    error,
    h('div', { className: 'buttons' }, h('button', { type: 'button', onclick: () => dialog.close() }, t('cancel')), submit),
  );
  const dialog = h('dialog', { className: 'action-dialog', 'data-verb': verb }, form);
  dialog.addEventListener('close', () => dialog.remove());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = note.value.trim();
    if (verb !== 'unshelve' && text === '') {
      error.textContent = t('noteRequired');
      note.focus();
      return;
    }
    submit.disabled = true;
    error.textContent = '';
    try {
      const res = verb === 'ack' ? await api.ack(alert.id, text) : verb === 'shelve' ? await api.shelve(alert.id, text, Number(minutes.value)) : await api.unshelve(alert.id, text);
      dialog.close();
      onDone(res.alert);
    } catch (err) {
      const code = err instanceof ApiError ? err.code : 'error';
      error.textContent = code === 'ingest-timeout' ? t('timeout') : `${t('error')}: ${codeLabel(code)}`;
      submit.disabled = false;
    }
  });
  document.body.append(dialog);
  dialog.showModal();
  note.focus();
}
