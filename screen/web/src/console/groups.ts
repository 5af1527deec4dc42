// An alert storm, grouped: open alerts of one rule in one zone form a group (forty intrusions at
// the key-project sites are one line to take on, not forty). Groups come in the order of their
// most urgent alert, members in the wall's order (panels/alert-order.ts).
import type { Alert, AlertState } from '../../../../shared/schema.ts';
import { compareAlerts } from '../panels/alert-order.ts';

export interface AlertGroup {
  /** `${rule}|${zone}` */
  key: string;
  rule: Alert['rule'];
  zone: string;
  alerts: Alert[];
  byState: Partial<Record<AlertState, number>>;
}

export function groupAlerts(alerts: readonly Alert[]): AlertGroup[] {
  const groups = new Map<string, AlertGroup>();
  for (const a of alerts) {
    const key = `${a.rule}|${a.zone}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, rule: a.rule, zone: a.zone, alerts: [], byState: {} }));
    g.alerts.push(a);
    g.byState[a.state] = (g.byState[a.state] ?? 0) + 1;
  }
  const list = [...groups.values()];
  for (const g of list) g.alerts.sort(compareAlerts);
  return list.sort((x, y) => compareAlerts(x.alerts[0]!, y.alerts[0]!));
}
