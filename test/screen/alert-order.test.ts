// The wall board's rules as a pure function: what is on the five rows and what is only counted.
import { describe, expect, it } from 'vitest';
import { compareAlerts, layoutBoard, NEW_MS } from '../../screen/web/src/panels/alert-order.ts';
import type { Alert } from '../../shared/schema.ts';

let n = 0;
const alert = (over: Partial<Alert>): Alert => ({
  id: `a-${++n}`, key: `k-${n}`, rule: 'camera-intrusion', severity: 'critical', state: 'active', device: 'cam-001', kind: 'camera', zone: 'prj', enterprise: null,
  title: 't', titleEn: 't', detail: {}, openedAt: n, updatedAt: n, lastSeenAt: n, count: 1, ack: null, shelvedUntil: null, shelf: null, clearedAt: null,
  clearReason: null, escalations: 0, escalatedAt: null, recoveredAt: null, flips: 0, normalSince: null, ...over,
});

describe('alert board order and layout', () => {
  it('orders unacknowledged before recovered before acknowledged before shelved, then severity, then newest', () => {
    const list = [
      alert({ state: 'shelved', severity: 'critical' }),
      alert({ state: 'acknowledged', severity: 'critical', ack: { by: 'a', at: 1, note: 'x' } }),
      alert({ severity: 'minor' }),
      alert({ severity: 'critical', normalSince: 5 }),
      alert({ severity: 'critical', openedAt: 1 }),
      alert({ severity: 'critical', openedAt: 99 }),
      alert({ severity: 'major', state: 'flapping' }),
    ];
    const sorted = [...list].sort(compareAlerts).map((a) => [a.state, a.severity, a.openedAt, a.normalSince !== null]);
    expect(sorted).toEqual([
      ['active', 'critical', 99, false], ['active', 'critical', 1, false], ['flapping', 'major', 7, false], ['active', 'minor', 3, false],
      ['active', 'critical', 4, true], ['acknowledged', 'critical', 2, false], ['shelved', 'critical', 1, false],
    ]);
  });

  it('pins new critical and major alerts over 60 older ones and counts the rest by severity', () => {
    const old = Array.from({ length: 60 }, (_, i) => alert({ severity: (['critical', 'major', 'minor', 'warning'] as const)[i % 4] }));
    const fresh = [alert({ severity: 'major', openedAt: 1000 }), alert({ severity: 'minor', openedAt: 1001 }), alert({ severity: 'critical', openedAt: 1002 })];
    const seen = new Map([...old.map((a) => [a.id, 0] as const), ...fresh.map((a) => [a.id, 10_000] as const)]);
    const board = layoutBoard([...old, ...fresh], seen, 10_500, 5, 0);
    expect(board.rows.slice(0, 2).map((r) => [r.alert.severity, r.pinned])).toEqual([['critical', true], ['major', true]]);
    expect(board.rows.slice(2).every((r) => !r.pinned && r.alert.severity === 'critical')).toBe(true);
    expect(board.moreTotal).toBe(63 - 5);
    expect(board.more).toEqual({ critical: 15 - 3 + 0, major: 15, minor: 16, warning: 15 });
    // A minute later nothing is new any more; a page further the next unacknowledged follow.
    const later = layoutBoard([...old, ...fresh], seen, 10_000 + NEW_MS, 5, 1);
    expect(later.rows.every((r) => !r.pinned)).toBe(true);
    expect(later.page).toBe(2);
  });

  it('never pages the unacknowledged away for settled ones', () => {
    const urgent = [alert({ severity: 'major' }), alert({ severity: 'minor' })];
    const settled = Array.from({ length: 12 }, () => alert({ state: 'acknowledged', ack: { by: 'a', at: 1, note: 'x' } }));
    const seen = new Map([...urgent, ...settled].map((a) => [a.id, 0]));
    for (let page = 0; page < 5; page++) {
      const b = layoutBoard([...urgent, ...settled], seen, 1, 5, page);
      expect(b.rows.slice(0, 2).map((r) => r.alert.id)).toEqual(urgent.map((a) => a.id));
      expect(b.rows.slice(2).every((r) => r.alert.state === 'acknowledged')).toBe(true);
      expect(b.pages).toBe(4);
    }
  });
});
