// The operator console (/console): sign-in, the live alert list with actions, history search and
// the audit trail. A separate page from the wall screen, in the same look.
import type { ParkModelData } from '../../../../shared/park-model.ts';
import { api, ApiError, whenSignedOut } from './api.ts';
import { connectAlertsFeed } from './alerts-feed.ts';
import { createAuditView } from './audit-view.ts';
import { h } from './dom.ts';
import { createHistoryView } from './history-view.ts';
import { codeLabel, lang, t, type TextKey } from './i18n.ts';
import { createLiveView } from './live-view.ts';
import { createTrendsView } from './trends-view.ts';
import { createDeviceView, type DeviceView } from '../device-view.ts';
import type { LiveClient } from '../live-client.ts';
import { setParkZone } from '../park-time.ts';
import './console.css';

document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
document.title = `${t('title')} · ${t('park')}`;
const app = document.getElementById('app')!;
let feed: LiveClient | null = null;
let deviceView: DeviceView | null = null;

function header(operator: string | null, conn?: HTMLElement): HTMLElement {
  const other = new URLSearchParams(location.search);
  if (lang === 'en') other.delete('lang');
  else other.set('lang', 'en');
  return h(
    'header',
    { className: 'console-header' },
    h('h1', {}, h('span', {}, t('title')), h('small', {}, t('park'))),
    h(
      'div',
      { className: 'header-side' },
      conn ?? null,
      operator ? h('span', { className: 'operator', id: 'operator' }, operator) : null,
      operator ? h('button', { type: 'button', id: 'sign-out', onclick: () => void signOut() }, t('signOut')) : null,
      h('a', { href: `?${other}`, className: 'lang' }, lang === 'en' ? '中文' : 'English'),
    ),
  );
}

function showSignIn(message = ''): void {
  feed?.close();
  feed = null;
  const error = h('p', { className: 'error', role: 'alert', id: 'sign-in-error' }, message);
  const submit = h('button', { type: 'submit', className: 'primary' }, t('signIn'));
  const form = h(
    'form',
    { className: 'sign-in', id: 'sign-in' },
    h('h2', {}, t('signIn')),
    h('label', { className: 'field wide' }, t('name'), h('input', { name: 'name', autocomplete: 'username', required: true, maxlength: 32 })),
    h('label', { className: 'field wide' }, t('password'), h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    error,
    submit,
    h('p', { className: 'hint' }, t('signInHint')),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    submit.disabled = true;
    try {
      const s = await api.signIn(String(f.get('name')), String(f.get('password')));
      await showConsole(s.operator);
    } catch (err) {
      error.textContent = codeLabel(err instanceof ApiError ? err.code : 'error');
      submit.disabled = false;
    }
  });
  app.replaceChildren(header(null), h('main', { className: 'center' }, form));
  (form.querySelector('input') as HTMLInputElement).focus();
}

async function signOut(): Promise<void> {
  await api.signOut().catch(() => {});
  showSignIn();
}

async function showConsole(operator: string): Promise<void> {
  const model: ParkModelData = await api.park();
  // Every time the console shows or reads is in the park's zone, whatever this browser's is.
  setParkZone(model.timezone);
  deviceView?.close();
  deviceView = createDeviceView({
    model,
    lang,
    container: document.body,
    live: (id) => ({ device: feed?.state.devices.get(id), serverNow: feed && feed.state.receivedAt > 0 ? feed.state.serverAt + (Date.now() - feed.state.receivedAt) : Date.now() }),
    autoCloseMs: null,
    px: (n) => n,
  });
  const openDevice = (id: string): void => void deviceView?.open(id);
  const live = createLiveView(model, openDevice);
  const history = createHistoryView(openDevice);
  const trends = createTrendsView(model);
  const audit = createAuditView(model, openDevice);
  const views: Record<'live' | 'history' | 'trends' | 'audit', { el: HTMLElement; show?(): void }> = { live, history, trends, audit };
  const tabs = h(
    'nav',
    { className: 'tabs' },
    ...(Object.keys(views) as (keyof typeof views)[]).map((name) =>
      h('button', { type: 'button', 'data-view': name, className: name === 'live' ? 'current' : '', onclick: () => switchTo(name) }, t(name as TextKey)),
    ),
  );
  function switchTo(name: keyof typeof views): void {
    for (const [k, v] of Object.entries(views)) v.el.hidden = k !== name;
    for (const b of tabs.querySelectorAll<HTMLElement>('button')) b.classList.toggle('current', b.dataset.view === name);
    views[name].show?.();
  }
  const conn = h('span', { className: 'conn', id: 'conn', 'data-state': 'connecting' }, h('span', { className: 'dot' }), h('span', {}, t('connecting')));
  app.replaceChildren(header(operator, conn), tabs, h('main', {}, live.el, history.el, trends.el, audit.el));
  feed?.close();
  feed = connectAlertsFeed({
    onAlerts: (alerts) => live.setAlerts(alerts),
    onState(state) {
      conn.dataset.state = state;
      conn.lastElementChild!.textContent = t(state);
    },
  });
}

whenSignedOut(() => showSignIn(t('sessionEnded')));
api.session().then(
  (s) => showConsole(s.operator),
  () => showSignIn(),
);
