// The live list of open alerts, fed by the WebSocket, with filters by severity, state, device
// type and zone, and the actions an operator takes: on one alert (its row), on a group (the open
// alerts of one rule in one zone, groups.ts), or on a selection, each with one note.
import type { Alert } from '../../../../shared/schema.ts';
import type { ParkModelData } from '../../../../shared/park-model.ts';
import { openActionDialog, type BatchSummary, type Verb } from './dialogs.ts';
import { h, select } from './dom.ts';
import { groupAlerts, type AlertGroup } from './groups.ts';
import { alertTitle, codeLabel, formatTime, kindLabel, ruleLabel, severityLabel, stateLabel, t } from './i18n.ts';

const SEVERITIES = ['critical', 'major', 'minor', 'warning'];
const OPEN_STATES = ['active', 'flapping', 'acknowledged', 'shelved'];
const KINDS = ['camera', 'node5g', 'meter'];
/** Groups larger than this start folded (their header row says what they hold). */
const FOLD_ABOVE = 3;

export interface LiveView {
  el: HTMLElement;
  setAlerts(alerts: readonly Alert[]): void;
}

export function alertNotes(a: Alert): HTMLElement {
  const lines: string[] = [];
  if (a.ack) lines.push(t('ackBy', { by: a.ack.by, at: formatTime(a.ack.at), note: a.ack.note }));
  if (a.shelf && a.shelvedUntil) lines.push(t('shelvedBy', { by: a.shelf.by, until: formatTime(a.shelvedUntil), note: a.shelf.note }));
  if (a.recoveredAt) lines.push(t('recovered'));
  if (a.normalSince) lines.push(t('normalSince', { at: formatTime(a.normalSince) }));
  if (a.escalations > 0) lines.push(t('escalated', { n: a.escalations }));
  return h('small', {}, ...lines.flatMap((l, i) => (i === 0 ? [l] : [h('br'), l])));
}

/** Which alerts of `list` a verb applies to (the rest would only be refused). */
export function applicable(list: readonly Alert[], verb: Verb): Alert[] {
  if (verb === 'ack') return list.filter((a) => a.ack === null);
  if (verb === 'shelve') return list.filter((a) => a.state !== 'shelved');
  return list.filter((a) => a.state === 'shelved');
}

export function createLiveView(model: ParkModelData, openDevice: (id: string) => void = () => {}): LiveView {
  const zoneName = (id: string): string => {
    const z = model.zones.find((x) => x.id === id);
    return z ? (document.documentElement.lang === 'en' ? z.nameEn : z.name) : id;
  };
  const deviceName = (id: string): string => ((d) => (d ? (document.documentElement.lang === 'en' ? d.nameEn : d.name) : id))(model.devices.find((d) => d.id === id));
  const all: [string, string] = ['', t('all')];
  const filters = h(
    'form',
    { className: 'filters', id: 'live-filters' },
    select('severity', t('severity'), [all, ...SEVERITIES.map((s): [string, string] => [s, severityLabel(s)])]),
    select('state', t('state'), [all, ...OPEN_STATES.map((s): [string, string] => [s, stateLabel(s)])]),
    select('kind', t('kind'), [all, ...KINDS.map((k): [string, string] => [k, kindLabel(k)])]),
    select('zone', t('zone'), [all, ...model.zones.map((z): [string, string] => [z.id, zoneName(z.id)])]),
    h('label', { className: 'check' }, h('input', { type: 'checkbox', name: 'grouped', checked: true }), t('grouped')),
  );
  const counts = h('div', { className: 'counts' });
  const selectionText = h('span', { id: 'selection-count' });
  const selectionBar = h(
    'div',
    { className: 'selection-bar', id: 'selection-bar', hidden: true },
    selectionText,
    ...(['ack', 'shelve', 'unshelve'] as const).map((verb) => h('button', { type: 'button', 'data-selection-action': verb, onclick: () => actOnSelection(verb) }, t(verb))),
    h('button', { type: 'button', id: 'selection-clear', onclick: () => clearSelection() }, t('clearSelection')),
  );
  const result = h('p', { className: 'batch-result', id: 'batch-result', role: 'status' });
  const body = h('tbody');
  const empty = h('p', { className: 'empty' });
  const pickAll = h('input', { type: 'checkbox', id: 'pick-all', 'aria-label': t('selectAll') });
  const table = h(
    'table',
    { className: 'alerts', id: 'live-alerts' },
    h('thead', {}, h('tr', {}, h('th', {}, pickAll), ...[t('severity'), t('alert'), t('device'), t('zone'), t('opened'), t('lastSeen'), t('count'), t('state'), t('actions')].map((c) => h('th', {}, c)))),
    body,
  );
  const el = h('section', { className: 'view', id: 'view-live' }, h('div', { className: 'toolbar' }, filters, counts), selectionBar, result, table, empty);
  let alerts: readonly Alert[] = [];
  let shown: Alert[] = [];
  const selected = new Set<string>();
  // Groups the operator opened or closed; the others are open when small.
  const unfolded = new Set<string>();
  const folded = new Set<string>();
  const isOpen = (g: AlertGroup): boolean => unfolded.has(g.key) || (!folded.has(g.key) && g.alerts.length <= FOLD_ABOVE);

  function report(verb: Verb, r: BatchSummary): void {
    const why = [...new Set(r.refused.map((x) => x.code))].map(codeLabel).join('、');
    result.className = `batch-result ${r.refused.length > 0 ? 'partial' : 'good'}`;
    result.textContent = t('batchDone', { verb: t(verb), n: r.done }) + (r.refused.length > 0 ? ` ${t('batchRefused', { n: r.refused.length, why })}` : '');
  }

  function actOn(list: readonly Alert[], verb: Verb, title?: string): void {
    const targets = applicable(list, verb);
    if (targets.length === 0) return;
    openActionDialog(targets, verb, (r) => {
      if ('done' in r) {
        report(verb, r);
        for (const a of targets) selected.delete(a.id);
        render();
      }
    }, title);
  }

  function actOnSelection(verb: Verb): void {
    actOn(alerts.filter((a) => selected.has(a.id)), verb);
  }

  function clearSelection(): void {
    selected.clear();
    render();
  }

  function button(a: Alert, verb: Verb): HTMLButtonElement {
    return h('button', { type: 'button', className: `act act-${verb}`, 'data-action': verb, onclick: () => openActionDialog(a, verb, () => {}) }, t(verb));
  }

  function pick(ids: readonly string[], on: boolean): void {
    for (const id of ids) if (on) selected.add(id);
    else selected.delete(id);
    render();
  }

  function row(a: Alert, group: string | null): HTMLTableRowElement {
    const box = h('input', { type: 'checkbox', className: 'pick', 'data-id': a.id, checked: selected.has(a.id), 'aria-label': alertTitle(a) });
    box.addEventListener('change', () => pick([a.id], box.checked));
    return h(
      'tr',
      {
        'data-alert-id': a.id, 'data-state': a.state, 'data-severity': a.severity, 'data-group-member': group,
        className: `sev-${a.severity} state-${a.state}${a.normalSince ? ' recovering' : ''}${group ? ' member' : ''}`,
      },
      h('td', {}, box),
      h('td', {}, h('span', { className: `sev sev-${a.severity}` }, severityLabel(a.severity))),
      h('td', { className: 'title' }, h('span', {}, alertTitle(a)), h('br'), alertNotes(a)),
      h('td', {}, h('button', { type: 'button', className: 'link device-link', 'data-device': a.device, onclick: () => openDevice(a.device) }, deviceName(a.device)), h('br'), h('small', {}, a.device)),
      h('td', {}, zoneName(a.zone)),
      h('td', { className: 'num' }, formatTime(a.openedAt)),
      h('td', { className: 'num' }, formatTime(a.lastSeenAt)),
      h('td', { className: 'num' }, a.count),
      h('td', {}, h('span', { className: `state state-${a.state}` }, stateLabel(a.state))),
      h('td', { className: 'row-actions' }, a.ack === null ? button(a, 'ack') : null, a.state === 'shelved' ? button(a, 'unshelve') : button(a, 'shelve')),
    );
  }

  function groupRow(g: AlertGroup): HTMLTableRowElement {
    const ids = g.alerts.map((a) => a.id);
    const picked = ids.filter((id) => selected.has(id)).length;
    const box = h('input', { type: 'checkbox', className: 'pick-group', checked: picked === ids.length, 'aria-label': t('selectGroup') });
    box.indeterminate = picked > 0 && picked < ids.length;
    box.addEventListener('change', () => pick(ids, box.checked));
    const open = isOpen(g);
    const toggle = (): void => {
      if (open) {
        unfolded.delete(g.key);
        folded.add(g.key);
      } else {
        folded.delete(g.key);
        unfolded.add(g.key);
      }
      render();
    };
    const states = (['active', 'flapping', 'acknowledged', 'shelved'] as const).filter((s) => g.byState[s]).map((s) => `${stateLabel(s)} ${g.byState[s]}`).join(' · ');
    const title = `${ruleLabel(g.rule)} · ${zoneName(g.zone)}`;
    const groupButton = (verb: Verb): HTMLButtonElement | null => {
      const n = applicable(g.alerts, verb).length;
      return n === 0 ? null : h('button', { type: 'button', className: `act act-${verb}`, 'data-group-action': verb, onclick: () => actOn(g.alerts, verb, title) }, t('verbGroup', { verb: t(verb), n }));
    };
    return h(
      'tr',
      { className: `group sev-${g.alerts[0]!.severity}`, 'data-group': g.key, 'data-size': g.alerts.length },
      h('td', {}, box),
      h('td', {}, h('span', { className: `sev sev-${g.alerts[0]!.severity}` }, severityLabel(g.alerts[0]!.severity))),
      h('td', { colSpan: 7, className: 'group-title' },
        h('button', { type: 'button', className: 'fold', 'aria-expanded': String(open), onclick: toggle }, open ? '▾' : '▸'),
        h('b', {}, title), ` ${t('groupSize', { n: g.alerts.length })} `, h('small', {}, states)),
      h('td', { className: 'row-actions' }, groupButton('ack'), groupButton('shelve'), groupButton('unshelve')),
    );
  }

  function render(): void {
    const f = new FormData(filters);
    const want = (k: string, v: string): boolean => !f.get(k) || f.get(k) === v;
    shown = alerts.filter((a) => want('severity', a.severity) && want('state', a.state) && want('kind', a.kind) && want('zone', a.zone));
    const present = new Set(alerts.map((a) => a.id));
    for (const id of selected) if (!present.has(id)) selected.delete(id);
    counts.replaceChildren(...SEVERITIES.map((s) => h('span', { className: `count sev-${s}` }, `${severityLabel(s)} ${alerts.filter((a) => a.severity === s).length}`)));
    const rows: HTMLTableRowElement[] = [];
    if (f.get('grouped')) {
      for (const g of groupAlerts(shown)) {
        if (g.alerts.length === 1) {
          rows.push(row(g.alerts[0]!, null));
          continue;
        }
        rows.push(groupRow(g));
        if (isOpen(g)) rows.push(...g.alerts.map((a) => row(a, g.key)));
      }
    } else rows.push(...groupAlerts(shown).flatMap((g) => g.alerts).map((a) => row(a, null)));
    body.replaceChildren(...rows);
    pickAll.checked = shown.length > 0 && shown.every((a) => selected.has(a.id));
    selectionBar.hidden = selected.size === 0;
    selectionText.textContent = t('selectedCount', { n: selected.size });
    for (const b of selectionBar.querySelectorAll<HTMLButtonElement>('button[data-selection-action]')) {
      const n = applicable(alerts.filter((a) => selected.has(a.id)), b.dataset.selectionAction as Verb).length;
      b.disabled = n === 0;
      b.textContent = t('verbMany', { verb: t(b.dataset.selectionAction as Verb), n });
    }
    empty.textContent = shown.length > 0 ? '' : alerts.length === 0 ? t('none') : t('noneMatch');
  }

  pickAll.addEventListener('change', () => pick(shown.map((a) => a.id), pickAll.checked));
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
