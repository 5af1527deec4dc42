// The action dialog: acknowledge (note required), shelve (duration and note), unshelve (optional
// note), for one alert or for many at once (a group, a selection: one note, one request, one audit
// record per alert). It stays open with the server's reason when the action is refused; for many,
// it closes with a summary of what was done and what was refused, and why.
import type { Alert } from '../../../../shared/schema.ts';
import { api, ApiError } from './api.ts';
import { h } from './dom.ts';
import { alertTitle, codeLabel, t } from './i18n.ts';

export type Verb = 'ack' | 'shelve' | 'unshelve';
const SHELVE_MINUTES = [15, 60, 240, 480, 1440];

export interface BatchSummary {
  done: number;
  refused: { id: string; code: string }[];
}

/**
 * `alerts`: one alert (single action), or several (group action). `title`: what the many are
 * (e.g. the group's rule and zone). `onDone` gets the updated alert for one, a summary for many.
 */
export function openActionDialog(alerts: Alert | readonly Alert[], verb: Verb, onDone: (result: Alert | BatchSummary) => void, title?: string): void {
  const list = Array.isArray(alerts) ? (alerts as readonly Alert[]) : [alerts as Alert];
  const many = Array.isArray(alerts);
  const note = h('textarea', { name: 'note', rows: 3, maxlength: 500, required: verb !== 'unshelve', placeholder: t('note') });
  const minutes = h('select', { name: 'minutes' }, ...SHELVE_MINUTES.map((m) => h('option', { value: m }, m < 60 ? t('minutes', { n: m }) : t('hours', { n: m / 60 }))));
  const error = h('p', { className: 'error', role: 'alert' });
  const submit = h('button', { type: 'submit', className: 'primary' }, many ? t('verbMany', { verb: t(verb), n: list.length }) : t(verb));
  const heading = many ? `${t('verbMany', { verb: t(verb), n: list.length })}${title ? ` · ${title}` : ''}` : `${t(verb)} · ${alertTitle(list[0]!)}`;
  const form = h(
    'form',
    // Our own message for a missing note (the native bubble is easy to miss and not translated).
    { method: 'dialog', novalidate: true },
    h('h3', {}, heading),
    many ? h('p', { className: 'hint' }, t('oneNoteEach')) : null,
    verb === 'shelve' ? h('label', { className: 'field' }, t('duration'), minutes) : null,
    h('label', { className: 'field wide' }, t('note'), note),
    error,
    h('div', { className: 'buttons' }, h('button', { type: 'button', onclick: () => dialog.close() }, t('cancel')), submit),
  );
  const dialog = h('dialog', { className: 'action-dialog', 'data-verb': verb, 'data-count': list.length }, form);
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
      if (many) {
        const res = await api.batch(verb, list.map((a) => a.id), text, verb === 'shelve' ? Number(minutes.value) : undefined);
        dialog.close();
        onDone({ done: res.done, refused: res.results.filter((r) => !r.ok).map((r) => ({ id: r.id, code: r.code ?? 'error' })) });
        return;
      }
      const a = list[0]!;
      const res = verb === 'ack' ? await api.ack(a.id, text) : verb === 'shelve' ? await api.shelve(a.id, text, Number(minutes.value)) : await api.unshelve(a.id, text);
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
