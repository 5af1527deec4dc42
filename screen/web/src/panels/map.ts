// 园区态势: the park plan drawn from the park model as an SVG map (zones and enterprise plots),
// every device a marker coloured by its effective status (computed by the ingest), a pulsing
// marker wherever an unacknowledged alert is open, a still one where it is acknowledged, shelved
// or recovered.
import type { ParkModelData } from '../../../../shared/park-model.ts';
import type { Alert, DeviceLive } from '../../../../shared/schema.ts';
import { onRender, type App } from '../app.ts';
import { COLORS, echarts, FONT, tooltipStyle } from '../echarts-setup.ts';
import { escapeHtml, num } from '../format.ts';
import { pick, t } from '../i18n.ts';
import { chart, px } from '../scale.ts';
import { compareAlerts, isSettled } from './alert-order.ts';
const SYMBOL = { camera: 'circle', node5g: 'triangle', meter: 'rect' } as const;

/** The plan as SVG in map units; named elements become styleable regions. */
export function parkSvg(model: ParkModelData): string {
  const zones = model.zones
    .map((z) => `<path name="zone:${z.id}" d="M${z.polygon.map(([x, y]) => `${x} ${y}`).join(' L')} Z"/>`)
    .join('');
  const plots = model.enterprises.map((e) => `<rect name="ent:${e.id}" x="${e.plot[0]}" y="${e.plot[1]}" width="${e.plot[2]}" height="${e.plot[3]}" rx="4"/>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${model.map.width} ${model.map.height}" width="${model.map.width}" height="${model.map.height}"><g>${zones}</g><g>${plots}</g></svg>`;
}

function centroid(points: readonly (readonly [number, number])[]): [number, number] {
  const n = points.length;
  return [points.reduce((s, p) => s + p[0], 0) / n, points.reduce((s, p) => s + p[1], 0) / n];
}

const STATUS_COLOR = { online: COLORS.online, offline: COLORS.offline, unknown: COLORS.unknown } as const;

function statusColor(live: DeviceLive | undefined): string {
  return STATUS_COLOR[live?.status ?? 'unknown'];
}

function describe(app: App, id: string): string {
  const d = app.deviceById.get(id);
  const live = app.live.devices.get(id);
  if (!d) return id;
  const status = t(live?.status ?? 'unknown');
  const values = live?.t
    ? Object.entries(live.t)
        .filter(([, v]) => typeof v === 'number')
        .slice(0, 4)
        .map(([k, v]) => `${k} ${num(v as number, 1)}`)
        .join('<br/>')
    : '';
  return `<b>${escapeHtml(pick(d.name, d.nameEn))}</b> (${escapeHtml(d.id)})<br/>${escapeHtml(status)}${values ? `<br/>${values}` : ''}`;
}

/** `openDevice`: a click or touch on a device's marker opens its device view. */
export function setupMap(app: App, openDevice: (id: string) => void = () => {}): void {
  echarts.registerMap('park', { svg: parkSvg(app.model) });
  // Zone names along the zone's bottom edge, enterprise names along their plot's top: apart, never on top of each other.
  const zoneLabels = app.model.zones.map((z) => ({ name: pick(z.name, z.nameEn), value: [centroid(z.polygon)[0], Math.max(...z.polygon.map((p) => p[1])) - 12] }));
  const entLabels = app.model.enterprises.map((e) => ({ name: pick(e.short, e.shortEn), value: [e.plot[0] + e.plot[2] / 2, e.plot[1] + 12] }));
  const regions = [
    ...app.model.zones.map((z) => ({ name: `zone:${z.id}`, itemStyle: { areaColor: 'rgba(9,202,243,.06)', borderColor: '#93EBF8', borderWidth: 1.2 } })),
    ...app.model.enterprises.map((e) => ({
      name: `ent:${e.id}`,
      itemStyle: { areaColor: e.stage === 'construction' ? 'rgba(252,144,16,.10)' : 'rgba(56,155,183,.22)', borderColor: e.stage === 'construction' ? 'rgba(252,144,16,.6)' : 'rgba(147,235,248,.55)', borderWidth: 0.8 },
    })),
  ];

  const map = chart('chart-map', (c) => {
    c.off('click');
    c.on('click', (p: { seriesId?: string; data?: unknown }) => {
      const name = (p.data as { name?: string } | undefined)?.name;
      if (name && (p.seriesId === 'devices' || p.seriesId === 'alerts' || p.seriesId === 'alerts-settled')) openDevice(name);
    });
    c.setOption({
      textStyle: { fontFamily: FONT },
      tooltip: { ...tooltipStyle(), trigger: 'item', formatter: (p: { seriesId?: string; data?: { name: string } }) => (p.seriesId === 'devices' || p.seriesId === 'alerts' ? describe(app, p.data!.name) : '') },
      geo: {
        map: 'park',
        roam: false,
        // Fill the panel, keeping the plan's proportions (layoutSize would size to the shorter side).
        left: px(8),
        right: px(8),
        top: px(8),
        bottom: px(30),
        selectedMode: false,
        silent: true,
        itemStyle: {
          areaColor: { type: 'radial', x: 0.5, y: 0.5, r: 0.8, colorStops: [{ offset: 0, color: 'rgba(147,235,248,0)' }, { offset: 1, color: 'rgba(147,235,248,.2)' }] },
          borderColor: '#93EBF8',
          shadowColor: 'rgba(128,217,248,.3)',
          shadowOffsetX: -2,
          shadowOffsetY: 2,
          shadowBlur: 10,
        },
        emphasis: { disabled: true },
        regions,
      },
      series: [
        {
          id: 'zones', type: 'scatter', coordinateSystem: 'geo', symbolSize: 0, silent: true, data: zoneLabels,
          label: { show: true, formatter: '{b}', color: 'rgba(147,235,248,.85)', fontSize: px(15), fontWeight: 600 },
        },
        {
          id: 'enterprises', type: 'scatter', coordinateSystem: 'geo', symbolSize: 0, silent: true, data: entLabels,
          label: { show: true, formatter: '{b}', color: '#D3D6DD', fontSize: px(14) },
        },
        { id: 'devices', type: 'scatter', coordinateSystem: 'geo', symbolSize: px(7), data: [], z: 3 },
        {
          id: 'alerts', type: 'effectScatter', coordinateSystem: 'geo', symbolSize: px(11), data: [], z: 4,
          rippleEffect: { scale: 6, brushType: 'fill', period: 2.5 },
        },
        // Acknowledged, shelved or recovered: marked, not pulsing.
        { id: 'alerts-settled', type: 'scatter', coordinateSystem: 'geo', symbol: 'circle', symbolSize: px(11), data: [], z: 4, itemStyle: { opacity: 0.55, borderColor: '#FFF', borderWidth: 1 } },
      ],
    });
  });
  const legend = document.getElementById('map-legend')!;

  onRender((a, reason) => {
    if (!(reason.live || reason.all)) return;
    // Per device the alert that matters most (unacknowledged before settled, then severity).
    const worst = new Map<string, Alert>();
    for (const al of a.live.alerts) {
      if (al.state === 'cleared') continue;
      const cur = worst.get(al.device);
      if (!cur || compareAlerts(al, cur) < 0) worst.set(al.device, al);
    }
    const devices = a.model.devices.map((d) => ({
      name: d.id,
      value: [d.x, d.y],
      symbol: SYMBOL[d.kind],
      itemStyle: { color: statusColor(a.live.devices.get(d.id)), borderColor: '#03050C', borderWidth: 0.5 },
    }));
    const marker = (al: Alert): { name: string; value: number[]; itemStyle: { color: string } }[] => {
      const d = a.deviceById.get(al.device);
      return d ? [{ name: d.id, value: [d.x, d.y], itemStyle: { color: COLORS[al.severity] } }] : [];
    };
    const alerts = [...worst.values()].filter((al) => !isSettled(al)).flatMap(marker);
    const settled = [...worst.values()].filter(isSettled).flatMap(marker);
    map().setOption({ series: [{ id: 'devices', data: devices }, { id: 'alerts', data: alerts }, { id: 'alerts-settled', data: settled }] });
    const counts = { online: 0, offline: 0, unknown: 0 };
    for (const d of a.model.devices) counts[a.live.devices.get(d.id)?.status ?? 'unknown']++;
    legend.innerHTML = `<span data-legend="online" data-count="${counts.online}"><i class="sw" style="background:${COLORS.online}"></i>${t('online')} ${counts.online}</span>
      <span data-legend="offline" data-count="${counts.offline}"><i class="sw" style="background:${COLORS.offline}"></i>${t('offline')} ${counts.offline}</span>
      ${counts.unknown ? `<span data-legend="unknown" data-count="${counts.unknown}"><i class="sw" style="background:${COLORS.unknown}"></i>${t('unknown')} ${counts.unknown}</span>` : ''}
      <span data-legend="alerts"><i class="sw pulse" style="background:${COLORS.critical}"></i>${t('alerts')} ${alerts.length + settled.length}</span>
      <span class="shapes">● ${t('legendCamera')} ▲ ${t('legendNode')} ■ ${t('legendMeter')}</span>`;
  });
}
