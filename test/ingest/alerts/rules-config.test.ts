// The alert rules file: the bundled one is valid and says what the README says; mistakes in a
// file are refused with every problem named, never silently replaced by defaults.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAlertRules, parseAlertRules } from '../../../ingest/alerts/rules-config.ts';
import { ALERT_RULE_IDS } from '../../../shared/schema.ts';

describe('alert rules config', () => {
  it('bundles every rule with the documented thresholds', () => {
    const r = loadAlertRules();
    expect(Object.keys(r.rules).sort()).toEqual([...ALERT_RULE_IDS].sort());
    expect(r.rules['node5g-degraded']).toMatchObject({ rsrpBelowDbm: -110, sinrBelowDb: 0, latencyAboveMs: 50, onDelayMs: 60_000 });
    expect(r.rules['camera-intrusion']).toMatchObject({ severity: 'critical', latch: true });
    expect(r.rules['enterprise-overload']).toMatchObject({ abovePctOfContract: 100 });
    expect(r.escalation.severities).toEqual(['critical']);
  });

  it('fills defaults for what a file leaves out', () => {
    const r = parseAlertRules({ version: 1, rules: { 'camera-offline': { noTelemetryMs: 5000 } } });
    expect(r.rules['camera-offline']).toMatchObject({ noTelemetryMs: 5000, enabled: true, severity: 'major' });
    expect(r.rules['stale-data'].maxLagMs).toBe(30_000);
  });

  it('refuses unknown rules and fields, bad values, and unreadable files, naming each problem', () => {
    expect(() => parseAlertRules({ version: 1, rules: { 'camera-ofline': {} } })).toThrow(/rules: Unrecognized key: "camera-ofline"/);
    expect(() => parseAlertRules({ version: 1, rules: { 'power-spike': { jumpKW: 10 } } })).toThrow(/Unrecognized key: "jumpKW"/);
    expect(() => parseAlertRules({ version: 1, rules: { 'camera-offline': { severity: 'urgent', noTelemetryMs: 0 } } })).toThrow(/severity.*noTelemetryMs/s);
    expect(() => parseAlertRules({ version: 2 })).toThrow(/version/);
    const dir = mkdtempSync(join(tmpdir(), 'parkpulse-rules-'));
    try {
      writeFileSync(join(dir, 'r.json'), '{ not json');
      expect(() => loadAlertRules(join(dir, 'r.json'))).toThrow(/cannot read alert rules .*r\.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
