// The alert rules: each turns accepted readings (and, for silence, the passing of time) into
// observations of its condition for one subject. Thresholds come from rules-config.ts; what an
// observation does to an alert is lifecycle.ts's business.
import type { Device, ParkModel } from '../../shared/park-model.ts';
import { ALERT_RULE_NAMES, type AlertRuleId } from '../../shared/schema.ts';
import type { DeviceKind } from '../../shared/topics.ts';
import type { Reading } from '../store/types.ts';
import { createDeviceStatus, type DeviceStatusBook } from '../device-status.ts';
import type { ApplyResult, DeviceTrack } from './device-tracks.ts';
import type { Detail, Observation, Subject } from './lifecycle.ts';
import type { AlertRules } from './rules-config.ts';

/** Event rules: an occurrence, not a lasting condition (cleared after a quiet time). */
export const PULSE_RULES: ReadonlySet<AlertRuleId> = new Set<AlertRuleId>(['camera-intrusion', 'camera-tamper', 'camera-loitering', 'power-spike']);

const EVENT_RULES = { intrusion: 'camera-intrusion', tamper: 'camera-tamper', loitering: 'camera-loitering' } as const;
const OFFLINE_RULES: Record<DeviceKind, 'camera-offline' | 'node5g-offline' | 'meter-offline'> = { camera: 'camera-offline', node5g: 'node5g-offline', meter: 'meter-offline' };

export function alertTitle(rule: AlertRuleId, subject: Subject): { title: string; titleEn: string } {
  const [zh, en] = ALERT_RULE_NAMES[rule];
  return { title: `${zh} · ${subject.name}`, titleEn: `${en} · ${subject.nameEn}` };
}

export function deviceSubject(d: Device): Subject {
  return { id: d.id, device: d.id, kind: d.kind, zone: d.zone, enterprise: d.enterprise ?? null, name: d.name, nameEn: d.nameEn };
}

const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** Silence allowance per kind: the offline rules' `noTelemetryMs` (the effective status uses the same). */
export function silenceAllowance(config: AlertRules): Record<DeviceKind, number> {
  return { camera: config.rules['camera-offline'].noTelemetryMs, node5g: config.rules['node5g-offline'].noTelemetryMs, meter: config.rules['meter-offline'].noTelemetryMs };
}

export interface RuleEvaluator {
  /**
   * Observations a reading makes; `retained` replays (status) confirm nothing new. `applied`: the
   * caller already applied the reading to the shared status book (the ingest does, once per
   * reading); without it the evaluator applies it to its own.
   */
  onReading(r: Reading, retained: boolean, applied?: ApplyResult): Observation[];
  /** Observations of time passing (silence). None while listening is paused. */
  onTick(now: number): Observation[];
  /**
   * The ingest cannot hear the devices (its broker connection is down): silence from now on is
   * the ingest's, not the devices'. `resume` moves every device's silence clock forward by the
   * time not listened, so a broker restart accuses no device.
   */
  pauseListening(at: number): void;
  resumeListening(at: number): void;
  /** The subject of a stored alert, or null when the model no longer has it. */
  subjectOf(rule: AlertRuleId, key: string): Subject | null;
}

export function createRuleEvaluator(model: ParkModel, config: AlertRules, book?: DeviceStatusBook): RuleEvaluator {
  const rules = config.rules;
  const tracks = book ?? createDeviceStatus(model, { silenceMs: silenceAllowance(config), now: Date.now() });
  const meters = new Map<string, Device[]>();
  for (const d of model.devicesOfKind('meter')) if (d.enterprise) meters.set(d.enterprise, [...(meters.get(d.enterprise) ?? []), d]);
  const enterpriseSubjects = new Map<string, Subject>();
  for (const e of model.enterprises) {
    const first = meters.get(e.id)?.[0];
    if (first) enterpriseSubjects.set(e.id, { id: e.id, device: first.id, kind: 'meter', zone: e.zone, enterprise: e.id, name: e.short, nameEn: e.shortEn });
  }

  // The offline condition is the device's effective status (device-status.ts), as the wall shows it.
  function offline(t: DeviceTrack, now: number): { value: boolean; detail: Detail } {
    const s = tracks.statusOfTrack(t, now);
    if (s.cause === 'status-offline') return { value: true, detail: { cause: 'status-offline', lastWill: t.statusWill } };
    if (s.cause === 'stream-down') return { value: true, detail: { cause: 'stream-down' } };
    if (s.cause === 'no-telemetry') return { value: true, detail: { cause: 'no-telemetry', silentS: Math.round(s.silentMs / 1000) } };
    return { value: false, detail: { status: s.status } };
  }

  function offlineObservation(t: DeviceTrack, at: number, confirmed: boolean): Observation {
    const o = offline(t, at);
    return { rule: OFFLINE_RULES[t.device.kind], subject: deviceSubject(t.device), value: o.value, confirmed: confirmed && o.value, detail: o.detail, reason: 'back-online', at };
  }

  function degraded(r: Reading, t: DeviceTrack): Observation {
    const cfg = rules['node5g-degraded'];
    const v = r.values as Record<string, number>;
    const breached = [
      v.rsrpDbm! < cfg.rsrpBelowDbm ? 'rsrp' : null,
      v.sinrDb! < cfg.sinrBelowDb ? 'sinr' : null,
      v.latencyMs! > cfg.latencyAboveMs ? 'latency' : null,
    ].filter((x) => x !== null);
    const detail: Detail = { rsrpDbm: v.rsrpDbm!, sinrDb: v.sinrDb!, latencyMs: v.latencyMs! };
    if (breached.length > 0) detail.breached = breached.join(',');
    return { rule: 'node5g-degraded', subject: deviceSubject(t.device), value: breached.length > 0, confirmed: true, detail, reason: 'signal-restored', at: r.receivedAt };
  }

  // Each enterprise's load, kept as a running sum of its meters' contributions: a meter's reading
  // changes only its own, so evaluating an enterprise costs O(1) instead of a walk over its meters
  // (1,000 load-test meters in one enterprise made the walk the ingest's largest cost).
  const contribution = new Map<string, number | null>(); // meter -> kW counted, or null
  const loads = new Map<string, { kw: number; reporting: number }>();
  function refreshMeter(t: DeviceTrack): void {
    const enterprise = t.device.enterprise;
    if (!enterprise) return;
    const now = t.kw === null || t.status === 'offline' ? null : t.kw;
    const before = contribution.get(t.device.id) ?? null;
    if (now === before) return;
    const load = loads.get(enterprise) ?? { kw: 0, reporting: 0 };
    if (before !== null) {
      load.kw -= before;
      load.reporting--;
    }
    if (now !== null) {
      load.kw += now;
      load.reporting++;
    }
    loads.set(enterprise, load);
    contribution.set(t.device.id, now);
  }

  function overload(t: DeviceTrack, at: number): Observation | null {
    refreshMeter(t);
    const enterprise = t.device.enterprise!;
    const subject = enterpriseSubjects.get(enterprise);
    const ent = model.enterpriseById.get(enterprise);
    if (!subject || !ent) return null;
    const cfg = rules['enterprise-overload'];
    const load = loads.get(enterprise) ?? { kw: 0, reporting: 0 };
    // Summed in a different order than a walk would: round away float noise before comparing.
    const kw = Math.round(load.kw * 1e6) / 1e6;
    const reporting = load.reporting;
    const limit = (ent.contractKw * cfg.abovePctOfContract) / 100;
    const detail: Detail = { kw: round(kw), contractKw: ent.contractKw, pctOfContract: round((kw / ent.contractKw) * 100), meters: reporting };
    return { rule: 'enterprise-overload', subject, value: kw > limit, confirmed: true, detail, reason: 'load-normal', at };
  }

  function meterTelemetry(r: Reading, t: DeviceTrack, out: Observation[]): void {
    const kw = r.values.kw as number;
    const cfg = rules['power-spike'];
    if (t.kw !== null && t.kwTs !== null && r.ts - t.kwTs <= cfg.withinMs) {
      const rise = kw - t.kw;
      if (rise >= cfg.jumpKw && rise >= (Math.abs(t.kw) * cfg.jumpPct) / 100) {
        out.push({ rule: 'power-spike', subject: deviceSubject(t.device), value: true, pulse: true, confirmed: true, detail: { fromKw: t.kw, kw, riseKw: round(rise) }, at: r.receivedAt });
      }
    }
    t.kw = kw;
    t.kwTs = r.ts;
    const o = t.device.enterprise ? overload(t, r.receivedAt) : null;
    if (o) out.push(o);
  }

  function cameraEvent(r: Reading, t: DeviceTrack, out: Observation[]): void {
    const type = r.values.type as string;
    const confidence = r.values.confidence as number;
    const detail: Detail = { event: type, eventZone: String(r.values.zone), confidence, eventTs: r.ts };
    if (type === 'video_loss') {
      if (confidence < rules['camera-video-loss'].minConfidence) return;
      t.videoLostAt = Math.max(t.videoLostAt ?? 0, r.ts);
      out.push({ rule: 'camera-video-loss', subject: deviceSubject(t.device), value: true, confirmed: true, detail, at: r.receivedAt });
      return;
    }
    const rule = EVENT_RULES[type as keyof typeof EVENT_RULES];
    if (!rule || confidence < rules[rule].minConfidence) return; // motion, or too unsure to alert on
    out.push({ rule, subject: deviceSubject(t.device), value: true, pulse: true, confirmed: true, detail, at: r.receivedAt });
  }

  return {
    onReading(r, retained, applied) {
      const t = tracks.get(r.device);
      const kind = applied ?? tracks.apply(r, retained);
      if (!t || kind === 'ignored') return [];
      const out: Observation[] = [offlineObservation(t, r.receivedAt, !retained)];
      const subject = deviceSubject(t.device);
      if (kind === 'status' && t.status === 'offline') {
        // The offline alert supersedes what the device can no longer report.
        const gone: Detail = { status: 'offline' };
        if (r.kind === 'node5g') out.push({ rule: 'node5g-degraded', subject, value: false, confirmed: false, detail: gone, reason: 'device-offline', at: r.receivedAt });
        out.push({ rule: 'stale-data', subject, value: false, confirmed: false, detail: gone, reason: 'device-offline', at: r.receivedAt });
        if (r.kind === 'meter' && t.device.enterprise) {
          const o = overload(t, r.receivedAt);
          if (o) out.push(o);
        }
      } else if (kind === 'status' && r.kind === 'meter') {
        refreshMeter(t); // back online: its last kW counts again from the next evaluation
      } else if (kind === 'event') {
        cameraEvent(r, t, out);
      } else if (kind === 'telemetry') {
        const lagMs = r.receivedAt - r.ts;
        out.push({ rule: 'stale-data', subject, value: lagMs > rules['stale-data'].maxLagMs, confirmed: true, detail: { lagS: round(lagMs / 1000) }, reason: 'data-fresh', at: r.receivedAt });
        if (r.kind === 'node5g') out.push(degraded(r, t));
        else if (r.kind === 'meter') meterTelemetry(r, t, out);
        else if (t.videoLostAt !== null && r.ts > t.videoLostAt && !t.streamDown && (t.fps ?? 0) > 0) {
          t.videoLostAt = null;
          out.push({ rule: 'camera-video-loss', subject, value: false, confirmed: false, detail: { fps: t.fps ?? 0 }, reason: 'video-restored', at: r.receivedAt });
        }
      }
      return out;
    },
    onTick(now) {
      if (tracks.paused) return [];
      tracks.advance(now);
      const out: Observation[] = [];
      for (const t of tracks.all()) if (t.heardAt !== null) out.push(offlineObservation(t, now, false));
      return out;
    },
    pauseListening: (at) => tracks.pause(at),
    resumeListening: (at) => tracks.resume(at),
    subjectOf(rule, key) {
      const id = key.slice(rule.length + 1);
      if (rule === 'enterprise-overload') return enterpriseSubjects.get(id) ?? null;
      const d = model.deviceById.get(id);
      return d ? deviceSubject(d) : null;
    },
  };
}
