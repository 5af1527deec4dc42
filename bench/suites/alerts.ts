// Alerting costs: what the rules add per accepted reading, what a commit of alert state and audit
// (synchronous=FULL, on the ingest's loop) costs, and how fast the audit chain verifies.
import { join } from 'node:path';
import { openAlertDb, verifyTrail } from '../../ingest/alerts/alert-db.ts';
import { createLifecycle } from '../../ingest/alerts/lifecycle.ts';
import { parseAlertRules } from '../../ingest/alerts/rules-config.ts';
import { alertTitle, createRuleEvaluator, PULSE_RULES } from '../../ingest/alerts/rules.ts';
import type { Reading } from '../../ingest/store/types.ts';
import { loadParkModel } from '../../shared/park-model.ts';
import type { BenchSuite } from '../harness.ts';

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

export const alertsSuite: BenchSuite = {
  name: 'alerts',
  description: 'rules per reading, alerts.db commit latency (FULL), audit chain verification',
  estimatedSeconds: 10,
  async run(ctx) {
    const model = loadParkModel();
    const rules = parseAlertRules({ version: 1 });
    const evaluator = createRuleEvaluator(model, rules);
    let n = 0;
    const lifecycle = createLifecycle({ rules, pulseRules: PULSE_RULES, title: alertTitle, newId: () => `b-${++n}` });
    const readings: Reading[] = model.devices.map((d, i) => ({
      device: d.id, kind: d.kind, channel: 'telemetry', seq: 0, ts: 0, receivedAt: 0, enterprise: d.enterprise ?? null, zone: d.zone,
      values: (d.kind === 'camera' ? { online: true, fps: 25, bitrateKbps: 4000, storageUsedPct: 40 }
        : d.kind === 'node5g' ? { rsrpDbm: -85 - (i % 30), sinrDb: 12, dlMbps: 500, ulMbps: 60, latencyMs: 14, connectedUes: 80 }
        : { kw: 100 + (i % 7) * 10, kwh: 1000, voltage: 400, current: 150, powerFactor: 0.95 }) as Reading['values'],
    }));
    ctx.progress('rules + state machine per reading');
    const total = ctx.soak ? 2_000_000 : 300_000;
    const t0 = performance.now();
    for (let k = 0; k < total; k++) {
      const r = readings[k % readings.length]!;
      r.seq = k;
      r.ts = 1_700_000_000_000 + k * 10;
      r.receivedAt = r.ts + 5;
      for (const o of evaluator.onReading(r, false)) lifecycle.observe(o);
      if (k % 10_000 === 0) lifecycle.takeChanges();
    }
    const perReadingUs = ((performance.now() - t0) * 1000) / total;

    const dir = ctx.workDir;
    const db = openAlertDb(join(dir, 'alerts.db'));
    ctx.progress('alerts.db commits (one alert + one audit record each)');
    const samples: number[] = [];
    const commits = ctx.soak ? 5000 : 500;
    for (let i = 0; i < commits; i++) {
      const a = { id: `c-${i}`, key: `camera-offline:cam-${i}`, rule: 'camera-offline', severity: 'major', state: 'active', device: 'cam-001', kind: 'camera', zone: 'mfg', enterprise: null, title: 't', titleEn: 't', detail: { cause: 'status-offline' }, openedAt: i, updatedAt: i, lastSeenAt: i, count: 1, ack: null, shelvedUntil: null, shelf: null, clearedAt: null, clearReason: null, escalations: 0, escalatedAt: null, recoveredAt: null, flips: 1, normalSince: null } as const;
      const s = performance.now();
      db.commit([a], [{ at: i, actor: 'system', action: 'raise', alertId: a.id, fromState: null, toState: 'active', ok: true, code: null, note: null, detail: { cause: 'status-offline' }, requestId: null }]);
      samples.push(performance.now() - s);
    }
    samples.sort((x, y) => x - y);
    ctx.progress('audit chain verification');
    const v0 = performance.now();
    const verdict = verifyTrail(db);
    const verifyPerSec = verdict.records / ((performance.now() - v0) / 1000);
    db.close();
    return {
      rows: [
        { metric: 'rules + lifecycle per telemetry reading', value: Math.round(perReadingUs * 100) / 100, unit: 'µs', note: `${model.devices.length} devices, default rules` },
        { metric: 'alerts.db commit p50', value: Math.round(pct(samples, 0.5) * 1000) / 1000, unit: 'ms', note: 'WAL, synchronous=FULL, main thread' },
        { metric: 'alerts.db commit p99', value: Math.round(pct(samples, 0.99) * 1000) / 1000, unit: 'ms' },
        { metric: 'audit chain verify', value: Math.round(verifyPerSec), unit: 'records/s' },
      ],
    };
  },
};
