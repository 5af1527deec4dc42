// Runs a scenario against a fleet: each step at its offset from the start, faults restored after
// their `for`, every step reported (with what it did, or why it failed) as it happens.
import type { Logger } from '../shared/logger.ts';
import type { ParkModel } from '../shared/park-model.ts';
import { MAX_DEVICE_PAYLOAD_BYTES } from '../shared/schema.ts';
import type { Fleet } from './fleet.ts';
import type { Scenario, ScenarioStep } from './scenario.ts';

export interface StepReport {
  index: number;
  action: ScenarioStep['action'] | 'restore';
  /** Offset from the scenario start, ms (planned). */
  at: number;
  /** What the step did, in words (devices, values). */
  detail: string;
  ok: boolean;
  error?: string;
}

export interface ScenarioReport {
  name: string;
  durationMs: number;
  steps: StepReport[];
  failed: number;
}

export interface ScenarioRunOptions {
  scenario: Scenario;
  fleet: Fleet;
  model: ParkModel;
  logger: Logger;
  /** Stops the broker, waits `downForMs`, starts it again on the same port(s). Needed by broker-restart. */
  restartBroker?: (downForMs: number) => Promise<void>;
  /** Called as each step (or automatic restore) finishes. */
  onStep?: (report: StepReport) => void;
}

export interface ScenarioRun {
  /** Resolves at the scenario's end (or after `cancel()`), with every step's report. */
  done: Promise<ScenarioReport>;
  cancel(): void;
}

/** Bytes a malformed-burst step publishes. Each kind is rejected by the ingest under its own reason. */
export function malformedPayload(kind: 'json' | 'schema' | 'oversized' | 'not-utf8', i: number): Buffer {
  switch (kind) {
    case 'json': // truncated mid-object: json-malformed
      return Buffer.from(`{"ts":${Date.now()},"seq":${i},"kw":`);
    case 'schema': // valid JSON, wrong types and an unknown field: schema-invalid
      return Buffer.from(JSON.stringify({ ts: Date.now(), seq: -1, kw: 'lots', firmware: 'x' }));
    case 'oversized': // over the ingest's limit: payload-too-large
      return Buffer.from(`{"pad":"${'x'.repeat(MAX_DEVICE_PAYLOAD_BYTES)}"}`);
    case 'not-utf8': // a lone continuation byte and an invalid lead byte: payload-not-utf8
      return Buffer.from([0x7b, 0x22, 0x80, 0xff, 0x22, 0x7d]);
  }
}

export function runScenario(opts: ScenarioRunOptions): ScenarioRun {
  const { scenario, fleet, model } = opts;
  if (!opts.restartBroker && scenario.steps.some((s) => s.action === 'broker-restart')) {
    throw new Error(`scenario ${scenario.name} restarts the broker: that needs the embedded park (not --target external)`);
  }
  const log = opts.logger.child({ module: 'scenario', scenario: scenario.name });
  const reports: StepReport[] = [];
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<void>>();
  let finish!: () => void;
  const ended = new Promise<void>((r) => (finish = r));
  let cancelled = false;

  const report = (r: StepReport): void => {
    reports.push(r);
    if (r.ok) log.info({ step: r.index, action: r.action, detail: r.detail }, 'scenario step');
    else log.warn({ step: r.index, action: r.action, err: r.error }, 'scenario step failed');
    opts.onStep?.(r);
  };

  const metersOf = (s: Extract<ScenarioStep, { action: 'meter-spike' }>): string[] =>
    s.device ? [s.device] : model.devicesOfKind('meter').filter((d) => d.enterprise === s.enterprise).map((d) => d.id);

  /** Runs one step; returns the words for the report and, for lasting faults, how to undo it. */
  async function execute(s: ScenarioStep): Promise<{ detail: string; undo?: () => Promise<string> | string }> {
    switch (s.action) {
      case 'camera-offline':
      case 'device-offline':
      case 'node-drop': {
        if (s.mode === 'stream-lost') {
          fleet.setFault(s.device, { type: 'stream-lost' });
          return { detail: `${s.device}: video stream lost`, undo: () => (fleet.setFault(s.device, null), `${s.device}: stream back`) };
        }
        await fleet.takeOffline(s.device, s.mode);
        return { detail: `${s.device} offline (${s.mode})`, undo: () => (fleet.bringOnline(s.device), `${s.device} back online`) };
      }
      case 'device-online':
        fleet.setFault(s.device, null);
        fleet.bringOnline(s.device);
        return { detail: `${s.device} online` };
      case 'intrusion': {
        // The zone's cameras that are up (one taken offline by an earlier step cannot see anyone).
        const zone = model.devicesOfKind('camera').filter((d) => d.zone === s.zone).map((d) => d.id);
        const cams = s.device ? [s.device] : zone.filter((id) => fleet.active(id));
        if (cams.length === 0) throw new Error(`no camera of zone ${s.zone} is online`);
        const sent = await Promise.all(
          Array.from({ length: s.count }, (_, i) => fleet.sendEvent(cams[i % cams.length]!, { type: s.type, zone: s.zone, confidence: s.confidence })),
        );
        return { detail: `${s.count} ${s.type} event(s) in zone ${s.zone} from ${[...new Set(sent.map((p) => p.device))].join(', ')}` };
      }
      case 'node-degrade':
        fleet.setFault(s.device, { type: 'degrade', rsrpDbm: s.rsrpDbm, sinrDb: s.sinrDb, latencyMs: s.latencyMs });
        return {
          detail: `${s.device} degraded (RSRP ${s.rsrpDbm} dBm, SINR ${s.sinrDb} dB, latency ${s.latencyMs} ms)`,
          undo: () => (fleet.setFault(s.device, null), `${s.device} radio quality restored`),
        };
      case 'meter-spike': {
        const meters = metersOf(s);
        for (const id of meters) fleet.setFault(id, { type: 'spike', factor: s.factor });
        const what = s.enterprise ? `enterprise ${s.enterprise} (${meters.join(', ')})` : s.device!;
        return {
          detail: `${what} at ${s.factor} x contracted capacity`,
          undo: () => {
            for (const id of meters) fleet.setFault(id, null);
            return `${what} back to its profile`;
          },
        };
      }
      case 'malformed-burst': {
        const id = s.device ?? model.devicesOfKind('meter')[0]!.id;
        await Promise.all(Array.from({ length: s.count }, (_, i) => fleet.publishRaw(id, 'telemetry', malformedPayload(s.payload, i))));
        return { detail: `${s.count} malformed (${s.payload}) payload(s) from ${id}` };
      }
      case 'broker-restart':
        await opts.restartBroker!(s.downFor);
        return { detail: `broker restarted after ${s.downFor} ms down` };
    }
  }

  function schedule(ms: number, fn: () => Promise<void>): void {
    timers.push(
      setTimeout(() => {
        if (cancelled) return;
        const p = fn().finally(() => running.delete(p));
        running.add(p);
      }, ms),
    );
  }

  const started = Date.now();
  scenario.steps.forEach((s, index) => {
    schedule(s.at, async () => {
      try {
        const { detail, undo } = await execute(s);
        report({ index, action: s.action, at: s.at, detail, ok: true });
        const lastsFor = 'for' in s ? s.for : undefined;
        if (undo && lastsFor !== undefined) {
          schedule(lastsFor, async () => {
            try {
              report({ index, action: 'restore', at: s.at + lastsFor, detail: await undo(), ok: true });
            } catch (err) {
              report({ index, action: 'restore', at: s.at + lastsFor, detail: '', ok: false, error: (err as Error).message });
            }
          });
        }
      } catch (err) {
        report({ index, action: s.action, at: s.at, detail: '', ok: false, error: (err as Error).message });
      }
    });
  });
  timers.push(setTimeout(finish, scenario.duration));
  log.info({ steps: scenario.steps.length, durationMs: scenario.duration }, 'scenario started');

  const done = ended.then(async () => {
    for (const t of timers) clearTimeout(t);
    await Promise.allSettled([...running]);
    const failed = reports.filter((r) => !r.ok).length;
    log.info({ failed, durationMs: Date.now() - started }, 'scenario finished');
    return { name: scenario.name, durationMs: Date.now() - started, steps: reports, failed };
  });
  return {
    done,
    cancel() {
      cancelled = true;
      finish();
    },
  };
}
