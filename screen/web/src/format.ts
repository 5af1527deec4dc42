// Number and time formatting for the wall: tabular digits; times in the park's own time zone
// (park-time.ts), never the browser's.
import { lang, t } from './i18n.ts';
import { hms, weekday, ymd } from './park-time.ts';

const locale = lang === 'en' ? 'en-GB' : 'zh-CN';

export function num(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v.toLocaleString(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `HH:mm:ss` in the park's zone. */
export function time(ms: number): string {
  return hms(ms);
}

const WEEKDAYS = lang === 'en' ? ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] : ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];

/** `YYYY-MM-DD HH:mm:ss 周X` in the park's time zone (24-hour). */
export function clock(ms: number): string {
  return `${ymd(ms)} ${hms(ms)} ${WEEKDAYS[weekday(ms)]}`;
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

/** "12 秒前" / "3 分钟前" / "2 小时前". */
export function ageText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return t('ago', { n: s });
  if (s < 7200) return t('agoMin', { n: Math.round(s / 60) });
  return t('agoHour', { n: Math.round(s / 3600) });
}

/**
 * Chinese magnitude units written as English readers expect (docs/screen.md, "Units"): 亿元
 * (10^8 yuan) and 万元 become CNY millions, 万美元 USD millions, 万吨 tonnes. The value keeps the
 * source's precision (2.58 亿元 -> CNY 258 M, 211 万美元 -> USD 2.11 M). In Chinese, or for any
 * other unit, the source's value and unit are shown as given.
 */
const EN_UNITS: Record<string, { factor: number; pre: string; post: string }> = {
  亿元: { factor: 100, pre: 'CNY', post: 'M' },
  万元: { factor: 0.01, pre: 'CNY', post: 'M' },
  亿美元: { factor: 100, pre: 'USD', post: 'M' },
  万美元: { factor: 0.01, pre: 'USD', post: 'M' },
  万吨: { factor: 10_000, pre: '', post: 't' },
};

export interface Figure {
  /** Currency before the number (English), or ''. */
  pre: string;
  value: number;
  digits: number;
  /** Unit after the number. */
  post: string;
}

function decimalsOf(v: number): number {
  const s = String(v);
  return s.includes('.') ? s.split('.')[1]!.length : 0;
}

export function figure(value: number, unit: string, unitEn: string): Figure {
  const digits = decimalsOf(value);
  const conv = lang === 'en' ? EN_UNITS[unit] : undefined;
  if (!conv) return { pre: '', value, digits, post: lang === 'en' ? unitEn : unit };
  const shift = Math.round(Math.log10(conv.factor));
  const d = Math.max(0, digits - shift);
  return { pre: conv.pre, value: Number((value * conv.factor).toFixed(d)), digits: d, post: conv.post };
}
