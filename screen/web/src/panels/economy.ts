// Economic KPIs from the seed: the KPI strip (headline figures), 经济运行 (innovation and R&D) and
// 项目推进 (the project pipeline and the enterprise spotlight). Every figure shows its YoY change
// where the source gives one, its reporting period and its source.
import type { KpiFigure, KpiSet } from '../../../../shared/schema.ts';
import { onRender, type App } from '../app.ts';
import { escapeHtml, figure, num, tweenNumber, yoy } from '../format.ts';
import { lang, pick, t } from '../i18n.ts';

const STRIP = ['budget-revenue', 'fixed-asset-investment', 'manufacturing-investment', 'industrial-output', 'taxable-sales', 'foreign-capital'];
const SPOTLIGHT_EVERY_MS = 6_000;

/** A value with its unit (English: CNY 258 M), the number in a <b> (tweened where data-target is set). */
function valueHtml(value: number, unit: string, unitEn: string, opts: { tween?: boolean; signed?: boolean; unitClass?: string } = {}): string {
  const f = figure(value, unit, unitEn);
  const cls = opts.unitClass ? ` class="${opts.unitClass}"` : '';
  const b = opts.tween ? `<b data-target="${f.value}" data-digits="${f.digits}">` : '<b>';
  return `${f.pre ? `<span${cls}>${escapeHtml(f.pre)}</span>` : ''}${b}${opts.signed ? '+' : ''}${num(f.value, f.digits)}</b>${f.post ? `<span${cls}>${escapeHtml(f.post)}</span>` : ''}`;
}

/** "2024-01..06" -> "2024年1—6月" / "Jan–Jun 2024". */
export function periodText(p: string): string {
  const m = /^(\d{4})-(\d{2})\.\.(\d{2})$/.exec(p);
  if (!m) return p;
  const [, y, a, b] = m;
  if (lang === 'en') {
    const mon = (x: string): string => new Date(2000, Number(x) - 1, 1).toLocaleString('en-GB', { month: 'short' });
    return `${mon(a!)}–${mon(b!)} ${y}`;
  }
  return `${y}年${Number(a)}—${Number(b)}月`;
}

/** A card names its period only where it differs from the set's (shown once, with the source). */
function card(f: KpiFigure, setPeriod: string): string {
  const y = yoy(f.yoyPct);
  return `<div class="kpi" data-kpi="${escapeHtml(f.id)}">
    <div class="kpi-label" title="${escapeHtml(pick(f.label, f.labelEn))}">${escapeHtml(pick(f.label, f.labelEn))}</div>
    <div class="kpi-value">${valueHtml(f.value, f.unit, f.unitEn, { tween: true, unitClass: 'unit' })}</div>
    <div class="kpi-foot">${y.text ? `<span class="yoy ${y.cls}">${escapeHtml(t('yoy'))} ${y.text}</span>` : `<span class="yoy none">${escapeHtml(t('yoy'))} —</span>`}${f.period !== setPeriod ? `<span class="kpi-period">${escapeHtml(periodText(f.period))}</span>` : ''}</div>
  </div>`;
}

/**
 * The period and the source, short enough for one line: a Chinese headline's clauses are spaced,
 * so the first clause stands for the whole, which the tooltip gives in full.
 */
function sourceLine(k: KpiSet): string {
  const [first, ...rest] = k.source.title.split(/\s+/);
  const title = rest.length > 0 ? `${first}…` : k.source.title;
  const full = `《${k.source.title}》${k.source.authors}`;
  return `<span title="${escapeHtml(full)}">${escapeHtml(t('period'))} ${escapeHtml(periodText(k.period))} · ${escapeHtml(t('source'))}${lang === 'en' ? ': ' : '：'}${escapeHtml(k.source.authors)}《${escapeHtml(title)}》</span>`;
}

function renderStrip(k: KpiSet): void {
  const el = document.getElementById('kpi-strip')!;
  const figures = STRIP.map((id) => k.figures.find((f) => f.id === id)).filter((f): f is KpiFigure => f !== undefined);
  el.innerHTML = `<div class="kpi-cards">${figures.map((f) => card(f, k.period)).join('')}</div><div class="kpi-source">${sourceLine(k)}</div>`;
  for (const b of el.querySelectorAll<HTMLElement>('b[data-target]')) {
    b.dataset.value = '0';
    tweenNumber(b, Number(b.dataset.target), Number(b.dataset.digits));
  }
}

function renderEconomy(k: KpiSet): void {
  document.getElementById('economy-period')!.textContent = `${t('period')} ${periodText(k.period)}`;
  const rest = k.figures.filter((f) => !STRIP.includes(f.id));
  // One row per figure, label left and value right; a figure names its period only where it
  // differs from the set's (in the panel's title). The source is the KPI strip's, shown there.
  const row = (f: KpiFigure, cls: string): string => {
    const y = yoy(f.yoyPct);
    const period = cls === 'eco-fig' && f.period !== k.period ? ` <small>${escapeHtml(periodText(f.period))}</small>` : '';
    return `<div class="eco-row ${cls}" data-kpi="${escapeHtml(f.id)}"><span class="eco-label">${escapeHtml(pick(f.label, f.labelEn))}${period}</span>
      <span class="eco-value">${valueHtml(f.value, f.unit, f.unitEn)}${y.text ? ` <span class="yoy ${y.cls}">${y.text}</span>` : ''}</span></div>`;
  };
  document.getElementById('economy')!.innerHTML = `${rest.map((f) => row(f, 'eco-fig')).join('')}${k.innovation.map((f) => row(f, 'inno')).join('')}`;
}

function renderProjects(k: KpiSet, app: App): void {
  const p = k.pipeline;
  document.getElementById('projects-period')!.textContent = `${t('period')} ${periodText(p.period)}`;
  const big = (n: number, label: string, sub: string, approx = false): string =>
    `<div class="pipe"><b>${approx ? `<small>${escapeHtml(t('approx'))}</small>` : ''}${n}</b><span>${escapeHtml(label)}</span><em>${escapeHtml(sub)}</em></div>`;
  const chips = p.started.names
    .map((name, i) => {
      const id = p.started.enterprises[i];
      return `<span class="chip" data-enterprise="${escapeHtml(id ?? '')}">${escapeHtml(lang === 'en' && id ? (app.enterpriseById.get(id)?.shortEn ?? name) : name)}<i class="chip-kw"></i></span>`;
    })
    .join('');
  document.getElementById('projects')!.innerHTML = `
    <div class="pipes">
      ${big(p.signed.count, pick(p.signed.label, p.signed.labelEn), t('over10yi', { n: p.signed.over10yi }))}
      ${big(p.inTalks.count, pick(p.inTalks.label, p.inTalks.labelEn), `${t('over10yi', { n: p.inTalks.over10yi })} · ${t('over30yi', { n: p.inTalks.over30yi })}`, p.inTalks.approx)}
      ${big(p.key.count, pick(p.key.label, p.key.labelEn), t('cityDistrict', { c: p.key.city, k: p.key.cityContinued, d: p.key.district }))}
      ${big(p.started.count, pick(p.started.label, p.started.labelEn), '')}
    </div>
    <div class="chips">${chips}</div>
    <div class="spotlight" id="spotlight"></div>`;
}

/**
 * The spotlight's slides: an enterprise's figures together on one, each text fact (a sentence or
 * a list of projects) on its own, so every slide fits the panel at wall-legible size.
 */
function spotlightSlides(k: KpiSet): { name: string; html: string }[] {
  const slides: { name: string; html: string }[] = [];
  for (const s of k.spotlights) {
    const name = pick(s.name, s.nameEn);
    const values = s.facts.filter((f) => 'value' in f);
    if (values.length > 0) {
      slides.push({ name, html: values.map((f) => ('value' in f ? `<div class="fact">${valueHtml(f.value, f.unit, f.unitEn, { signed: 'signed' in f && f.signed === true })}<em>${escapeHtml(pick(f.label, f.labelEn))}</em></div>` : '')).join('') });
    }
    for (const f of s.facts) if (!('value' in f)) slides.push({ name, html: `<div class="fact text"><em>${escapeHtml(pick(f.label, f.labelEn))}</em><span>${escapeHtml(pick(f.text, f.textEn))}</span></div>` });
  }
  return slides;
}

let spotIndex = 0;
function renderSpotlight(k: KpiSet): void {
  const el = document.getElementById('spotlight');
  const slides = spotlightSlides(k);
  if (!el || slides.length === 0) return;
  const s = slides[spotIndex % slides.length]!;
  el.innerHTML = `<div class="spot-title">${escapeHtml(t('spotlight'))} · ${escapeHtml(s.name)}</div><div class="facts">${s.html}</div>`;
}

export function setupEconomy(): void {
  let kpis: KpiSet | null = null;
  window.setInterval(() => {
    if (!kpis) return;
    spotIndex++;
    renderSpotlight(kpis);
  }, SPOTLIGHT_EVERY_MS);

  onRender((app, reason) => {
    if ((reason.kpis || reason.all) && app.kpis) {
      kpis = app.kpis;
      renderStrip(app.kpis);
      renderEconomy(app.kpis);
      renderProjects(app.kpis, app);
      renderSpotlight(app.kpis);
    }
    // The started projects are construction sites with meters: show that they are working now.
    const s = app.live.summary;
    if (s && (reason.live || reason.all)) {
      for (const chip of document.querySelectorAll<HTMLElement>('.chip[data-enterprise]')) {
        const e = s.energy.enterprises.find((x) => x.id === chip.dataset.enterprise);
        const kw = chip.querySelector('.chip-kw');
        if (kw) kw.textContent = e ? `${num(e.kw)} kW` : '';
      }
    }
  });
}
