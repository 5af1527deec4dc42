// History search over every alert (open and cleared): keyword, time range, severity, state, rule;
// a row opens the alert's own audit trail.
import { ALERT_RULE_IDS } from '../../../../shared/alert-rules-meta.ts';
import type { Alert } from '../../../../shared/schema.ts';
import { api } from './api.ts';
import { h, select } from './dom.ts';
import { actionLabel, alertTitle, codeLabel, formatTime, reasonLabel, ruleLabel, severityLabel, stateLabel, t } from './i18n.ts';
import { alertNotes } from './live-view.ts';
import { msOf, timeField } from './time-field.ts';

export function createHistoryView(openDevice: (id: string) => void = () => {}): { el: HTMLElement; show(): void } {
  const all: [string, string] = ['', t('all')];
  const form = h(
    'form',
    { className: 'filters', id: 'history-form' },
    h('label', { className: 'field' }, t('keyword'), h('input', { name: 'q', type: 'search', maxlength: 100 })),
    timeField('from', t('from')),
    timeField('to', t('to')),
    select('severity', t('severity'), [all, ...['critical', 'major', 'minor', 'warning'].map((s): [string, string] => [s, severityLabel(s)])]),
    select('state', t('state'), [all, ...['active', 'flapping', 'acknowledged', 'shelved', 'cleared'].map((s): [string, string] => [s, stateLabel(s)])]),
    select('rule', t('rule'), [all, ...ALERT_RULE_IDS.map((r): [string, string] => [r, ruleLabel(r)])]),
    h('button', { type: 'submit', className: 'primary' }, t('search')),
  );
  const body = h('tbody');
  const more = h('button', { type: 'button', hidden: true }, t('more'));
  const detail = h('aside', { className: 'detail', hidden: true });
  const el = h(
    'section',
    { className: 'view', id: 'view-history', hidden: true },
    form,
    h('div', { className: 'split' }, h('div', {}, h('table', { className: 'alerts', id: 'history-alerts' }, h('thead', {}, h('tr', {}, ...[t('severity'), t('alert'), t('opened'), t('state'), t('result')].map((c) => h('th', {}, c)))), body), more), detail),
  );
  let last: Alert | null = null;

  function params(): URLSearchParams {
    const f = new FormData(form);
    const q = new URLSearchParams();
    for (const k of ['q', 'severity', 'state', 'rule']) if (f.get(k)) q.set(k, String(f.get(k)));
    if (msOf(f.get('from'))) q.set('from', msOf(f.get('from')));
    if (msOf(f.get('to'))) q.set('to', msOf(f.get('to')));
    q.set('limit', '100');
    return q;
  }

  async function load(append: boolean): Promise<void> {
    const q = params();
    if (append && last) {
      q.set('beforeOpenedAt', String(last.openedAt));
      q.set('beforeId', last.id);
    }
    const { alerts } = await api.history(q);
    const rows = alerts.map((a) =>
      h(
        'tr',
        { 'data-alert-id': a.id, 'data-state': a.state, className: `sev-${a.severity} clickable`, onclick: () => void showDetail(a.id) },
        h('td', {}, h('span', { className: `sev sev-${a.severity}` }, severityLabel(a.severity))),
        h('td', { className: 'title' }, alertTitle(a)),
        h('td', { className: 'num' }, formatTime(a.openedAt)),
        h('td', {}, h('span', { className: `state state-${a.state}` }, stateLabel(a.state))),
        h('td', {}, a.clearedAt ? t('cleared', { at: formatTime(a.clearedAt), reason: reasonLabel(a.clearReason ?? '') }) : alertNotes(a)),
      ),
    );
    if (append) body.append(...rows);
    else body.replaceChildren(...rows);
    last = alerts.at(-1) ?? last;
    more.hidden = alerts.length < 100;
  }

  async function showDetail(id: string): Promise<void> {
    const { alert, audit } = await api.alert(id);
    detail.hidden = false;
    detail.replaceChildren(
      h('h3', {}, alertTitle(alert)),
      h('p', {}, `${severityLabel(alert.severity)} · ${stateLabel(alert.state)} · `, h('button', { type: 'button', className: 'link device-link', 'data-device': alert.device, onclick: () => openDevice(alert.device) }, alert.device), ` · ${alert.key}`),
      h('pre', {}, JSON.stringify(alert.detail, null, 1)),
      h(
        'ol',
        { className: 'timeline' },
        ...audit.map((r) =>
          h('li', { className: r.ok ? '' : 'refused' }, h('b', {}, formatTime(r.at)), ` ${r.actor} · ${actionLabel(r.action)}`, r.ok ? '' : ` · ${t('refused')}: ${codeLabel(r.code ?? '')}`, r.note ? ` · ${r.note}` : '', r.code && r.ok ? ` · ${reasonLabel(r.code)}` : ''),
        ),
      ),
      h('button', { type: 'button', onclick: () => (detail.hidden = true) }, t('close')),
    );
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    last = null;
    void load(false);
  });
  more.addEventListener('click', () => void load(true));
  return {
    el,
    show() {
      if (!last) void load(false);
    },
  };
}
