/// <reference lib="dom" />
// What a person at the wall would see as broken text, measured in the page: every visible text
// node whose box runs past the element that clips it (a label cut with "…" or simply cut off), every
// text smaller than the minimum, and every font size in the charts' options under the minimum
// (canvas text is not in the DOM). Sizes are in design px: display px divided by the wall's unit.
import type { Page } from 'playwright-core';

export interface TextAudit {
  /** Display px per design px (the wall's --u; 1 on the console). */
  unit: number;
  /** Visible text nodes checked. */
  checked: number;
  cut: { text: string; where: string }[];
  small: { text: string; where: string; px: number }[];
  chartSmall: { chart: string; path: string; px: number }[];
}

/** Runs in the page: `minPx` in design px, `skip` a selector whose subtree is not audited (the marquee scrolls on purpose). */
function audit(args: { minPx: number; skip: string }): TextAudit {
  const unitVar = getComputedStyle(document.documentElement).getPropertyValue('--u').trim();
  const unit = unitVar.endsWith('px') ? Number.parseFloat(unitVar) : 1;
  const where = (el: Element): string => {
    const parts: string[] = [];
    for (let e: Element | null = el; e && parts.length < 3; e = e.parentElement) parts.unshift(e.id ? `#${e.id}` : `${e.tagName.toLowerCase()}${e.classList[0] ? `.${e.classList[0]}` : ''}`);
    return parts.join(' > ');
  };
  const out: TextAudit = { unit, checked: 0, cut: [], small: [], chartSmall: [] };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent?.trim() ?? '';
    const el = n.parentElement;
    if (!text || !el || el.closest(args.skip) || el.closest('script,style,[hidden]')) continue;
    const style = getComputedStyle(el);
    if (style.visibility !== 'visible' || style.display === 'none' || Number(style.opacity) === 0) continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    const box = range.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    // Not shown at all: inside a closed <details>, a zero-size box, off the page.
    if (el.getClientRects().length === 0) continue;
    out.checked++;
    const fontPx = Number.parseFloat(style.fontSize) / unit;
    if (fontPx < args.minPx - 0.05) out.small.push({ text: text.slice(0, 40), where: where(el), px: Math.round(fontPx * 10) / 10 });
    // The text's own extent against every ancestor that clips.
    for (let a: Element | null = el; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      const clipsX = s.overflowX !== 'visible' || s.textOverflow === 'ellipsis';
      const clipsY = s.overflowY !== 'visible';
      if (!clipsX && !clipsY) continue;
      const r = a.getBoundingClientRect();
      const tol = 1.5;
      const ellipsed = a === el && s.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1;
      if (ellipsed || (clipsX && (box.left < r.left - tol || box.right > r.right + tol)) || (clipsY && (box.top < r.top - tol || box.bottom > r.bottom + tol))) {
        out.cut.push({ text: text.slice(0, 40), where: where(el) });
        break;
      }
    }
  }
  // Canvas text: the charts' options (ECharts draws 12 px where an option gives no size).
  const diag = (window as unknown as { __parkpulse?: { chart?(id: string): { getOption(): unknown } | null } }).__parkpulse;
  for (const el of document.querySelectorAll<HTMLElement>('[_echarts_instance_]')) {
    if (el.offsetWidth === 0 || getComputedStyle(el).visibility !== 'visible') continue;
    const c = el.id ? diag?.chart?.(el.id) : null;
    if (!c) continue;
    const walk = (v: unknown, path: string): void => {
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
      else if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        if (typeof o.fontSize === 'number' && o.fontSize / unit < args.minPx - 0.05 && o.show !== false) out.chartSmall.push({ chart: el.id, path, px: Math.round((o.fontSize / unit) * 10) / 10 });
        for (const [k, x] of Object.entries(o)) {
          if (k === 'data' || k === 'regions') continue;
          if (k === 'selectorLabel' && !o.selector) continue; // a legend's selector buttons, not shown unless enabled
          walk(x, path ? `${path}.${k}` : k);
        }
      }
    };
    walk(c.getOption(), '');
  }
  return out;
}

export function auditText(page: Page, minPx = 14, skip = '.marquee-track'): Promise<TextAudit> {
  return page.evaluate(audit, { minPx, skip });
}
