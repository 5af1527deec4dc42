// The live list of open alerts, fed by the WebSocket, with filters by severity, state, device
// type and zone, and the actions an operator takes on each row.
import type { Alert } from '../../../../shared/schema.ts';
import type { ParkModelData } from '../../../../shared/park-model.ts';
import { openActionDialog, type Verb } from './dialogs.ts';
import { h, select } from './dom.ts';
import { formatTime, kindLabel, severityLabel, stateLabel, t } from './i18n.ts';

const SEVERITIES = ['critical', 'major', 'minor', 'warning'];
const OPEN_STATES = ['active', 'flapping', 'acknowledged', 'shelved'];
const KINDS = ['camera', 'node5g', 'meter'];

export interface LiveView {
  el: HTMLElement;
  setAlerts(alerts: readonly Alert[]): void;
}

export function alertNotes(a: Alert): HTMLElement {
  const lines: string[] = [];
  if (a.ack) lines.push(t('ackBy', { by: a.ack.by, at: formatTime(a.ack.at), note: a.ack.note }));
  if (a.shelf && a.shelvedUntil) lines.push(t('shelvedBy', { by: a.shelf.by, until: formatTime(a.shelvedUntil), note: a.shelf.note }));
  if (a.recoveredAt) lines.push(t('recovered'));
  if (a.escalations > 0) lines.push(t('escalated', { n: a.escalations }));
  return h('small', {}, ...lines.flatMap((l, i) => (i === 0 ? [l] : [h('br'), l])));
}

export function createLiveView(model: ParkModelData): LiveView {
  const zoneName = (id: string): string => {
    const z = model.zones.find((x) => x.id === id);
    return z ? (document.documentElement.lang === 'en' ? z.nameEn : z.name) : id;
  };
  const deviceName = (id: string): string => model.devices.find((d) => d.id === id)?.name ?? id;
  const all: [string, string] = ['', t('all')];
  const filters = h(
    'form',
    { className: 'filters', id: 'live-filters' },
    select('severity', t('severity'), [all, ...SEVERITIES.map((s): [string, string] => [s, severityLabel(s)])]),
    select('state', t('state'), [all, ...OPEN_STATES.map((s): [string, string] => [s, stateLabel(s)])]),
    select('kind', t('kind'), [all, ...KINDS.map((k): [string, string] => [k, kindLabel(k)])]),
    select('zone', t('zone'), [all, ...model.zones.map((z): [string, string] => [z.id, zoneName(z.id)])]),
  );
  const counts = h('div', { className: 'counts' });
  const body = h('tbody');
  const empty = h('p', { className: 'empty' });
  const table = h(
    'table',
    { className: 'alerts', id: 'live-alerts' },
    h('thead', {}, h('tr', {}, ...[t('severity'), t('alert'), t('device'), t('zone'), t('opened'), t('lastSeen'), t('count'), t('state'), t('actions')].map((c) => h('th', {}, c)))),
    body,
  );
  const el = h('section', { className: 'view', id: 'view-live' }, h('div', { className: 'toolbar' }, filters, counts), table, empty);
  let alerts: readonly Alert[] = [];

  function button(a: Alert, verb: Verb): HTMLButtonElement {
    return h('button', { type: 'button', className: `act act-${verb}`, 'data-action': verb, onclick: () => openActionDialog(a, verb, () => {}) }, t(verb));
  }

  function render(): void {
    const f = new FormData(filters);
    const want = (k: string, v: string): boolean => !f.get(k) || f.get(k) === v;
    const shown = alerts.filter((a) => want('severity', a.severity) && want('state', a.state) && want('kind', a.kind) && want('zone', a.zone));
    counts.replaceChildren(...SEVERITIES.map((s) => h('span', { className: `count sev-${s}` }, `${severityLabel(s)} ${alerts.filter((a) => a.severity === s).length}`)));
    body.replaceChildren(
      ...shown.map((a) =>
        h(
          'tr',
          { 'data-alert-id': a.id, 'data-state': a.state, 'data-severity': a.severity, className: `sev-${a.severity} state-${a.state}` },
          h('td', {}, h('span', { className: `sev sev-${a.severity}` }, severityLabel(a.severity))),
          h('td', { className: 'title' }, h('span', {}, a.title), h('br'), alertNotes(a)),
          h('td', {}, h('span', {}, deviceName(a.device)), h('br'), h('small', {}, a.device)),
          h('td', {}, zoneName(a.zone)),
          h('td', { className: 'num' }, formatTime(a.openedAt)),
          h('td', { className: 'num' }, formatTime(a.lastSeenAt)),
          h('td', { className: 'num' }, a.count),
          h('td', {}, h('span', { className: `state state-${a.state}` }, stateLabel(a.state))),
          h('td', { className: 'row-actions' }, a.ack === null ? button(a, 'ack') : null, a.state === 'shelved' ? button(a, 'unshelve') : button(a, 'shelve')),
        ),
      ),
    );
    empty.textContent = shown.length > 0 ? '' : alerts.length === 0 ? t('none') : t('noneMatch');
  }

  filters.addEventListener('change', render);
  render();
  return {
    el,
    setAlerts(list) {
      alerts = list;
      render();
    },
  };
}
