// The alert state machine on its own, with a hand-driven clock: one alert per key, delays,
// flapping, latching, acknowledgement, shelving, escalation, refusals, and what the trail records.
import { describe, expect, it } from 'vitest';
import { createLifecycle, type Observation, type Subject } from '../../../ingest/alerts/lifecycle.ts';
import { parseAlertRules, type AlertRulesInput } from '../../../ingest/alerts/rules-config.ts';
import { alertTitle, PULSE_RULES } from '../../../ingest/alerts/rules.ts';
import type { AlertRuleId } from '../../../shared/schema.ts';

const cam: Subject = { id: 'cam-001', device: 'cam-001', kind: 'camera', zone: 'mfg', enterprise: 'longyuan', name: '摄像机1', nameEn: 'cam-001' };

function setup(overrides: Partial<AlertRulesInput> = {}) {
  const rules = parseAlertRules({
    version: 1,
    flapping: { flips: 4, windowMs: 60_000, quietMs: 20_000 },
    escalation: { afterMs: 10_000, repeatMs: 5_000 },
    rules: {
      'camera-offline': { offDelayMs: 2_000 },
      'camera-intrusion': { offDelayMs: 5_000, latch: true },
      'camera-loitering': { offDelayMs: 5_000, latch: false },
      'node5g-degraded': { onDelayMs: 3_000, offDelayMs: 1_000 },
    },
    ...overrides,
  });
  let n = 0;
  const lc = createLifecycle({ rules, pulseRules: PULSE_RULES, title: (r, s) => alertTitle(r, s), newId: () => `a-${++n}` });
  const obs = (rule: AlertRuleId, value: boolean, at: number, extra: Partial<Observation> = {}): void =>
    lc.observe({ rule, subject: cam, value, confirmed: true, detail: { v: at }, reason: 'back-online', at, pulse: PULSE_RULES.has(rule), ...extra });
  return { lc, obs, rules };
}

const actions = (audit: { action: string }[]): string[] => audit.map((a) => a.action);

describe('alert lifecycle', () => {
  it('opens one alert per key; a persisting condition updates it; recovery clears it after the off-delay with the reason', () => {
    const { lc, obs } = setup();
    obs('camera-offline', true, 1000);
    const raised = lc.takeChanges();
    expect(raised.urgent).toBe(true);
    expect(raised.alerts).toHaveLength(1);
    expect(raised.alerts[0]).toMatchObject({ id: 'a-1', key: 'camera-offline:cam-001', state: 'active', severity: 'major', count: 1, title: '摄像机离线 · 摄像机1' });
    expect(actions(raised.audit)).toEqual(['raise']);
    for (let t = 2000; t <= 5000; t += 1000) obs('camera-offline', true, t);
    const updated = lc.takeChanges();
    expect(updated.urgent).toBe(false); // re-confirmations are not state changes
    expect(updated.audit).toEqual([]);
    expect(lc.open()).toHaveLength(1);
    expect(lc.open()[0]).toMatchObject({ id: 'a-1', count: 5, lastSeenAt: 5000 });
    obs('camera-offline', false, 6000);
    lc.tick(7000);
    expect(lc.open()[0]?.state).toBe('active'); // within the off-delay
    lc.tick(8000);
    expect(lc.open()).toHaveLength(0);
    const cleared = lc.takeChanges();
    expect(cleared.alerts[0]).toMatchObject({ id: 'a-1', state: 'cleared', clearedAt: 8000, clearReason: 'back-online' });
    expect(cleared.audit[0]).toMatchObject({ action: 'clear', fromState: 'active', toState: 'cleared', code: 'back-online', actor: 'system' });
    // The same condition later is a new occurrence with a new id.
    obs('camera-offline', true, 100_000);
    expect(lc.open()[0]?.id).toBe('a-2');
  });

  it('raises a sustained condition only after its on-delay', () => {
    const { lc, obs } = setup();
    obs('node5g-degraded', true, 1000);
    lc.tick(3000);
    expect(lc.open()).toHaveLength(0);
    obs('node5g-degraded', false, 3500); // a blip does not alert
    lc.tick(10_000);
    expect(lc.open()).toHaveLength(0);
    obs('node5g-degraded', true, 11_000);
    lc.tick(14_000);
    expect(lc.open()[0]).toMatchObject({ rule: 'node5g-degraded', openedAt: 11_000, state: 'active' });
  });

  it('turns a condition that keeps flipping into one flapping alert, cleared only after the quiet time', () => {
    const { lc, obs } = setup();
    let t = 0;
    for (let i = 0; i < 10; i++) {
      obs('camera-offline', true, (t += 500));
      obs('camera-offline', false, (t += 500));
    }
    const ch = lc.takeChanges();
    expect(new Set(ch.alerts.map((a) => a.id))).toEqual(new Set(['a-1']));
    expect(actions(ch.audit)).toEqual(['raise', 'flapping']);
    expect(lc.open()[0]).toMatchObject({ state: 'flapping', count: 10 });
    lc.tick(t + 5_000); // past the off-delay, not the flapping quiet time
    expect(lc.open()).toHaveLength(1);
    lc.tick(t + 20_000);
    expect(lc.open()).toHaveLength(0);
  });

  it('keeps a latched alert open after recovery until acknowledged; acknowledging then clears it', () => {
    const { lc, obs } = setup();
    obs('camera-intrusion', true, 1000);
    obs('camera-intrusion', true, 3000);
    expect(lc.open()[0]).toMatchObject({ count: 2, lastSeenAt: 3000 });
    lc.tick(9000);
    expect(lc.open()[0]).toMatchObject({ state: 'active', recoveredAt: 9000 });
    lc.takeChanges();
    const res = lc.act({ action: 'ack', requestId: 'r1', alertId: 'a-1', by: '张三', note: '已到现场查看', at: 9500 }, 9500);
    expect(res.ok).toBe(true);
    const ch = lc.takeChanges();
    expect(actions(ch.audit)).toEqual(['ack', 'clear']);
    expect(ch.audit[1]).toMatchObject({ actor: '张三', code: 'acknowledged-after-recovery' });
    expect(lc.open()).toHaveLength(0);
  });

  it('clears an unlatched event alert after the quiet time', () => {
    const { lc, obs } = setup();
    obs('camera-loitering', true, 1000);
    lc.tick(6000);
    expect(lc.open()).toHaveLength(0);
    expect(lc.takeChanges().alerts.at(-1)).toMatchObject({ state: 'cleared', clearReason: 'quiet' });
  });

  it('acknowledges with who, when and note, and refuses what makes no sense', () => {
    const { lc, obs } = setup();
    obs('camera-offline', true, 1000);
    const ack = lc.act({ action: 'ack', requestId: 'r1', alertId: 'a-1', by: 'li', note: '  checking  ', at: 2000 }, 2000);
    expect(ack).toMatchObject({ ok: true, alert: { state: 'acknowledged', ack: { by: 'li', at: 2000, note: 'checking' } } });
    expect(lc.act({ action: 'ack', requestId: 'r2', alertId: 'a-1', by: 'li', note: 'again', at: 2100 }, 2100)).toMatchObject({ ok: false, code: 'already-acknowledged' });
    expect(lc.act({ action: 'ack', requestId: 'r3', alertId: 'nope', by: 'li', note: 'x', at: 2100 }, 2100)).toMatchObject({ ok: false, code: 'alert-not-found' });
    expect(lc.act({ action: 'unshelve', requestId: 'r4', alertId: 'a-1', by: 'li', note: '', at: 2100 }, 2100)).toMatchObject({ ok: false, code: 'not-shelved' });
    expect(lc.act({ action: 'shelve', requestId: 'r5', alertId: 'a-1', by: 'li', note: 'x', until: 2000, at: 2100 }, 2100)).toMatchObject({ ok: false, code: 'shelve-until-invalid' });
    expect(lc.act({ action: 'shelve', requestId: 'r6', alertId: 'a-1', by: 'li', note: 'x', until: 2100 + 2 * 86_400_000, at: 2100 }, 2100)).toMatchObject({ ok: false, code: 'shelve-too-long' });
  });

  it('shelves until a time, then returns the alert to its state', () => {
    const { lc, obs } = setup();
    obs('camera-offline', true, 1000);
    const res = lc.act({ action: 'shelve', requestId: 'r1', alertId: 'a-1', by: 'li', note: 'maintenance', until: 61_000, at: 1000 }, 1000);
    expect(res).toMatchObject({ ok: true, alert: { state: 'shelved', shelvedUntil: 61_000, shelf: { by: 'li', note: 'maintenance' } } });
    expect(lc.act({ action: 'shelve', requestId: 'r2', alertId: 'a-1', by: 'li', note: 'x', until: 70_000, at: 1000 }, 1000)).toMatchObject({ ok: false, code: 'already-shelved' });
    lc.tick(60_000);
    expect(lc.open()[0]?.state).toBe('shelved');
    lc.takeChanges();
    lc.tick(61_000);
    expect(lc.open()[0]).toMatchObject({ state: 'active', shelvedUntil: null, shelf: null });
    expect(lc.takeChanges().audit[0]).toMatchObject({ action: 'shelve-expired', fromState: 'shelved', toState: 'active', actor: 'system' });
    // unshelve by hand returns an acknowledged alert to acknowledged
    lc.act({ action: 'ack', requestId: 'r3', alertId: 'a-1', by: 'li', note: 'ok', at: 62_000 }, 62_000);
    lc.act({ action: 'shelve', requestId: 'r4', alertId: 'a-1', by: 'li', note: 'x', until: 100_000, at: 62_000 }, 62_000);
    expect(lc.act({ action: 'unshelve', requestId: 'r5', alertId: 'a-1', by: 'wang', note: '', at: 63_000 }, 63_000)).toMatchObject({ ok: true, alert: { state: 'acknowledged' } });
  });

  it('escalates an unacknowledged critical alert after the set time, then again, and stops once acknowledged', () => {
    const { lc, obs } = setup({ rules: { 'camera-intrusion': { offDelayMs: 60_000 } } });
    obs('camera-intrusion', true, 1000);
    obs('camera-offline', true, 1000); // major: never escalates
    lc.takeChanges();
    lc.tick(10_999);
    expect(lc.takeChanges().audit).toEqual([]);
    lc.tick(11_000);
    expect(lc.get('a-1')).toMatchObject({ escalations: 1, escalatedAt: 11_000 });
    const ch = lc.takeChanges();
    expect(ch.urgent).toBe(true);
    expect(actions(ch.audit)).toEqual(['escalate']);
    lc.tick(16_000);
    expect(lc.get('a-1')?.escalations).toBe(2);
    lc.act({ action: 'ack', requestId: 'r1', alertId: 'a-1', by: 'li', note: 'on it', at: 16_500 }, 16_500);
    lc.tick(16_900);
    lc.tick(30_000);
    expect(lc.get('a-1')?.escalations ?? 2).toBe(2);
    expect(lc.get('a-2')?.escalations).toBe(0);
  });

  it('after a restart keeps open alerts and updates them instead of opening new ones', () => {
    const first = setup();
    first.obs('camera-offline', true, 1000);
    const stored = first.lc.open();
    const { lc, obs } = setup();
    lc.load(stored, () => cam, 50_000);
    obs('camera-offline', true, 51_000);
    expect(lc.open()).toHaveLength(1);
    expect(lc.open()[0]).toMatchObject({ id: 'a-1', count: 2 });
    const gone = setup();
    gone.lc.load(stored, () => null, 50_000);
    expect(gone.lc.open()).toHaveLength(0);
    expect(gone.lc.takeChanges().audit[0]).toMatchObject({ action: 'clear', code: 'not-in-model' });
  });
});
