// 5G综合安防: cameras online/offline/total as a ring, events in the last hour, latest events.
import { onRender } from '../app.ts';
import { COLORS, FONT } from '../echarts-setup.ts';
import { tweenNumber } from '../format.ts';
import { t } from '../i18n.ts';
import { chart, px } from '../scale.ts';
import { eventRows } from './events.ts';

export function setupSecurity(): void {
  const ring = chart('chart-camera-ring', (c) =>
    c.setOption({
      textStyle: { fontFamily: FONT },
      series: [
        {
          type: 'pie',
          radius: ['58%', '80%'],
          avoidLabelOverlap: false,
          label: { show: true, position: 'center', formatter: '', color: '#FFF', fontSize: px(26), fontWeight: 600 },
          labelLine: { show: false },
          itemStyle: { borderColor: '#03050C', borderWidth: px(2) },
          data: [],
        },
      ],
      color: [COLORS.online, COLORS.offline, COLORS.unknown],
    }),
  );
  const online = document.getElementById('cam-online')!;
  const offline = document.getElementById('cam-offline')!;
  const total = document.getElementById('cam-total')!;
  const perHour = document.getElementById('cam-events-hour')!;
  const list = document.getElementById('latest-events')!;
  let lastEvents = '';

  onRender((app, reason) => {
    const s = app.live.summary;
    if (!s || !(reason.live || reason.all)) return;
    const c = s.cameras;
    tweenNumber(online, c.online);
    tweenNumber(offline, c.offline);
    tweenNumber(total, c.total);
    tweenNumber(perHour, c.eventsLastHour);
    const pct = c.total > 0 ? Math.round((c.online / c.total) * 100) : 0;
    ring().setOption({
      series: [
        {
          label: { formatter: `${pct}%` },
          data: [
            { name: t('online'), value: c.online },
            { name: t('offline'), value: c.offline },
            { name: t('unknown'), value: c.unknown },
          ],
        },
      ],
    });
    const html = eventRows(app, c.latestEvents, 3, false);
    if (html !== lastEvents) list.innerHTML = lastEvents = html;
  });
}
