// The audit trail: every state change and every refused attempt, newest first, with a CSV export
// of a time range and a check of the hash chain.
import type { ParkModelData } from '../../../../shared/park-model.ts';
import type { AuditRecord } from '../../../../shared/schema.ts';
import { api } from './api.ts';
import { h } from './dom.ts';
import { msOf, timeField } from './time-field.ts';
import { actionLabel, alertTitle, codeLabel, formatTime, lang, reasonLabel, stateLabel, t } from './i18n.ts';

export function createAuditView(model: ParkModelData, openDevice?: (id: string) => void): { el: HTMLElement; show(): void } {
  const deviceName = (id: string): string => {
    const d = model.devices.find((x) => x.id === id);
    return d ? (lang === 'en' ? d.nameEn : d.name) : id;
  };
  let known: Record<string, { title: string; titleEn: string; device: string }> = {};
  const alertCell = (id: string | null): HTMLElement => {
    if (!id) return h('td', {});
    const a = known[id];
    if (!a) return h('td', {}, h('small', {}, id));
    return h(
      'td',
      { className: 'audit-alert', 'data-alert-id': id, title: id },
      h('span', { className: 'title' }, alertTitle(a)),
      ' · ',
      h('button', { type: 'button', className: 'link device-link', 'data-device': a.device, onclick: () => openDevice?.(a.device), title: deviceName(a.device) }, a.device),
    );
  };
  const form = h(
    'form',
    { className: 'filters', id: 'audit-form' },
    timeField('from', t('from')),
    timeField('to', t('to')),
    h('label', { className: 'field' }, t('actor'), h('input', { name: 'actor', type: 'search', maxlength: 64 })),
    h('label', { className: 'check' }, h('input', { name: 'refused', type: 'checkbox' }), t('refusedOnly')),
    h('button', { type: 'submit', className: 'primary' }, t('search')),
  );
  const exportLink = h('a', { className: 'button', id: 'audit-export', href: '/api/audit.csv', download: '' }, t('exportCsv'));
  const verdict = h('span', { className: 'verdict', id: 'audit-verdict' });
  const verify = h('button', { type: 'button', id: 'audit-verify' }, t('verify'));
  const body = h('tbody');
  const more = h('button', { type: 'button', hidden: true }, t('more'));
  const el = h(
    'section',
    { className: 'view', id: 'view-audit', hidden: true },
    h('div', { className: 'toolbar' }, form, h('div', { className: 'tools' }, exportLink, verify, verdict)),
    h('table', { className: 'alerts', id: 'audit-records' }, h('thead', {}, h('tr', {}, ...['#', t('time'), t('actor'), t('action'), t('alert'), t('state'), t('result'), t('note')].map((c) => h('th', {}, c)))), body),
    more,
  );
  let oldest: number | null = null;

  function params(): URLSearchParams {
    const f = new FormData(form);
    const q = new URLSearchParams();
    if (msOf(f.get('from'))) q.set('from', msOf(f.get('from')));
    if (msOf(f.get('to'))) q.set('to', msOf(f.get('to')));
    exportLink.href = `/api/audit.csv?${q}`;
    if (f.get('actor')) q.set('actor', String(f.get('actor')));
    if (f.get('refused')) q.set('ok', 'false');
    q.set('limit', '200');
    return q;
  }

  const row = (r: AuditRecord): HTMLTableRowElement =>
    h(
      'tr',
      { className: r.ok ? '' : 'refused', 'data-seq': r.seq },
      h('td', { className: 'num' }, r.seq),
      h('td', { className: 'num' }, formatTime(r.at)),
      h('td', {}, r.actor),
      h('td', {}, actionLabel(r.action)),
      alertCell(r.alertId),
      h('td', {}, r.fromState && r.toState && r.fromState !== r.toState ? `${stateLabel(r.fromState)} → ${stateLabel(r.toState)}` : stateLabel(r.toState ?? r.fromState ?? '')),
      h('td', {}, r.ok ? (r.code ? reasonLabel(r.code) : t('ok')) : `${t('refused')}: ${codeLabel(r.code ?? '')}`),
      h('td', {}, r.note ?? ''),
    );

  async function load(append: boolean): Promise<void> {
    const q = params();
    if (append && oldest !== null) q.set('beforeSeq', String(oldest));
    const { records, alerts } = await api.audit(q);
    known = { ...known, ...alerts };
    if (append) body.append(...records.map(row));
    else body.replaceChildren(...records.map(row));
    oldest = records.at(-1)?.seq ?? oldest;
    more.hidden = records.length < 200;
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    oldest = null;
    void load(false);
  });
  form.addEventListener('change', () => params());
  more.addEventListener('click', () => void load(true));
  verify.addEventListener('click', async () => {
    verdict.textContent = '…';
    const v = await api.verify();
    verdict.className = `verdict ${v.ok ? 'good' : 'bad'}`;
    verdict.textContent = v.ok ? t('verified', { n: v.records }) : t('broken', { seq: v.brokenAt ?? '?', reason: v.reason ?? '' });
  });
  return {
    el,
    show() {
      if (oldest === null) void load(false);
    },
  };
}
