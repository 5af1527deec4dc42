// Number and time formatting for the wall: tabular digits, the park's own time zone.
import { lang } from './i18n.ts';

export const PARK_TZ = 'Asia/Shanghai';
const locale = lang === 'en' ? 'en-GB' : 'zh-CN';

export function num(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v.toLocaleString(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const timeFmt = new Intl.DateTimeFormat(locale, { timeZone: PARK_TZ, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const dateTimeFmt = new Intl.DateTimeFormat(locale, {
  timeZone: PARK_TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});
const weekdayFmt = new Intl.DateTimeFormat(locale, { timeZone: PARK_TZ, weekday: lang === 'en' ? 'short' : 'short' });

export function time(ms: number): string {
  return timeFmt.format(ms);
}

/** `YYYY-MM-DD HH:mm:ss 周X` in the park's time zone (24-hour). */
export function clock(ms: number): string {
  const parts = Object.fromEntries(dateTimeFmt.formatToParts(ms).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${weekdayFmt.format(ms)}`;
}

/** Signed percentage with ▲/▼ (涨红跌绿: up red, down green). */
export function yoy(v: number | null): { text: string; cls: string } {
  if (v === null) return { text: '', cls: '' };
  if (v === 0) return { text: '0%', cls: 'flat' };
  return v > 0 ? { text: `▲${num(v, 2)}%`, cls: 'up' } : { text: `▼${num(Math.abs(v), 2)}%`, cls: 'down' };
}

/** Tweens a number shown in an element from its current value (easeOutCubic, ~0.8 s). */
export function tweenNumber(el: HTMLElement, to: number, digits = 0, ms = 800): void {
  const from = Number(el.dataset.value ?? NaN);
  el.dataset.value = String(to);
  if (!Number.isFinite(from) || from === to || document.hidden) {
    el.textContent = num(to, digits);
    return;
  }
  const start = performance.now();
  const step = (now: number): void => {
    if (el.dataset.value !== String(to)) return; // a newer value took over
    const k = Math.min(1, (now - start) / ms);
    const e = 1 - (1 - k) ** 3;
    el.textContent = num(from + (to - from) * e, digits);
    if (k < 1) requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
