// Wrong secrets against the broker while the fleet streams. The broker process (real registry:
// the park's devices with default-cost scrypt hashes, plus load meters) serves a fleet of load
// meters publishing QoS 1 to a subscriber; in three phases of the same run an attacker sends
// nothing, then 200 CONNECTs a second with random wrong secrets in the names of random real
// devices (each would need a scrypt run) from one address, then the same spread over 100 loopback
// addresses (what the per-address budget cannot stop; the broker-wide KDF budget does). Reported
// side by side: broker CPU (% of one core), the fleet's rate and its loss (acknowledged but not
// delivered, or not acknowledged), and what the attacker got.
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import mqttPacket from 'mqtt-packet';
import { loadParkModel } from '../../shared/park-model.ts';
import { provisionLoadPark } from '../../testkit/provisioning.ts';
import type { BenchContext, BenchRow, BenchSuite } from '../harness.ts';
import { cpuSeconds, runJsonProcess } from '../lib/processes.ts';
import type { PublisherConfig } from '../load/publisher.ts';
import type { SubscriberConfig } from '../load/subscriber.ts';
import { startOurBroker } from './broker.ts';

const FLEET = 200;
const RATE_PER_DEVICE = 5; // 1000 msg/s in all
const PHASE_MS = 15_000;
const ATTACK_PER_SEC = 200;

interface PubLine { t: number; sent: number; acked: number; failures: number; final?: boolean; retries?: number }
interface SubLine { t: number; received?: number; ready?: boolean; final?: boolean }

interface Phase {
  name: string;
  /** Attacker source addresses; empty = no attack. */
  addresses: string[];
}

interface PhaseResult {
  name: string;
  brokerCpuPct: number;
  fleetPerSec: number;
  sent: number;
  acked: number;
  received: number;
  lost: number;
  fleetFailures: number;
  attempts: number;
  /** CONNACK return codes (or 'closed'/'timeout') the attacker got. */
  answers: Record<string, number>;
}

/** Sends `perSec` CONNECTs a second with random wrong secrets until stopped; tallies the answers. */
function attack(port: number, deviceIds: string[], addresses: string[], perSec: number): { stop(): Promise<Record<string, number>>; attempts(): number } {
  const answers: Record<string, number> = {};
  const open = new Set<Socket>();
  let attempts = 0;
  const tally = (k: string): void => void (answers[k] = (answers[k] ?? 0) + 1);
  const one = (): void => {
    attempts++;
    // The broker answers slowly: never hold more than 1000 sockets open (count it, send nothing).
    if (open.size > 1000) return tally('skipped');
    const id = deviceIds[Math.floor(Math.random() * deviceIds.length)]!;
    const localAddress = addresses[attempts % addresses.length]!;
    const s = connect({ port, host: '127.0.0.1', localAddress });
    open.add(s);
    let done = false;
    const finish = (k: string): void => {
      if (done) return;
      done = true;
      tally(k);
      s.destroy();
    };
    const timer = setTimeout(() => finish('timeout'), 5000);
    s.on('connect', () => s.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: id, username: id, password: randomBytes(24) })));
    s.on('data', (d) => finish(d[0] === 0x20 && d.length >= 4 ? `connack ${d[3]}` : 'other'));
    s.on('error', () => finish('error'));
    s.on('close', () => {
      clearTimeout(timer);
      open.delete(s);
      finish('closed');
    });
  };
  // Every 10 ms, the attempts due by then (timers are coarse on a loaded machine).
  const t0 = Date.now();
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - t0) / 1000) * perSec);
    while (attempts < due) one();
  }, 10);
  return {
    attempts: () => attempts,
    async stop() {
      clearInterval(timer);
      const deadline = Date.now() + 6000;
      while (open.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      for (const s of open) s.destroy();
      return answers;
    },
  };
}

async function runPhase(ctx: BenchContext, o: { phase: Phase; index: number; port: number; pid: number; parkId: string; fleetKey: string; fleetIds: string[]; attackIds: string[]; subscriber: { username: string; password: string } }): Promise<PhaseResult> {
  const sub = runJsonProcess<SubLine>('bench/load/subscriber.ts', {
    host: '127.0.0.1', port: o.port, clientId: `${o.subscriber.username}-storm-${o.index}`, username: o.subscriber.username, password: o.subscriber.password,
    filters: [`park/${o.parkId}/meter/+/+`], qos: 1, durationMs: PHASE_MS + 8000,
  } satisfies SubscriberConfig);
  await sub.waitFor((l) => l.ready === true, 30_000);
  const pub = runJsonProcess<PubLine>('bench/load/publisher.ts', {
    host: '127.0.0.1', port: o.port, parkId: o.parkId, fleetKey: o.fleetKey, deviceIds: o.fleetIds, qos: 1,
    ratePerDevice: RATE_PER_DEVICE, durationMs: PHASE_MS, rampPerSec: 500, window: 100, startSeq: 1 + o.index * 1_000_000,
  } satisfies PublisherConfig);
  // Measure once the fleet is connected (the ramp takes under a second).
  await pub.waitFor((l) => l.t >= 1000, 30_000);
  const storm = o.phase.addresses.length > 0 ? attack(o.port, o.attackIds, o.phase.addresses, ATTACK_PER_SEC) : null;
  const cpu0 = cpuSeconds(o.pid) ?? 0;
  const t0 = Date.now();
  const ticker = setInterval(() => ctx.progress(`${o.phase.name}: ${Math.round((Date.now() - t0) / 1000)}/${PHASE_MS / 1000 - 1} s, fleet acked ${pub.lines.at(-1)?.acked ?? 0}, attacker ${storm?.attempts() ?? 0} CONNECTs`), 3000);
  const final = await pub.final;
  const cpu1 = cpuSeconds(o.pid) ?? cpu0;
  const elapsed = (Date.now() - t0) / 1000;
  const attempts = storm?.attempts() ?? 0;
  const answers = (await storm?.stop()) ?? {};
  clearInterval(ticker);
  // Give the subscriber the tail, then read its count.
  await new Promise((r) => setTimeout(r, 2000));
  sub.kill('SIGTERM');
  await sub.exited;
  const received = sub.lines.filter((l) => l.received !== undefined).at(-1)?.received ?? 0;
  return {
    name: o.phase.name,
    brokerCpuPct: ((cpu1 - cpu0) / elapsed) * 100,
    fleetPerSec: final.acked / (PHASE_MS / 1000),
    sent: final.sent,
    acked: final.acked,
    received,
    lost: Math.max(0, final.sent - final.acked) + Math.max(0, final.acked - received),
    fleetFailures: final.failures + (final.retries ?? 0),
    attempts,
    answers,
  };
}

function rows(results: PhaseResult[]): BenchRow[] {
  const out: BenchRow[] = [];
  const base = results[0];
  for (const r of results) {
    out.push({ metric: `${r.name}: broker CPU`, value: Math.round(r.brokerCpuPct * 10) / 10, unit: '% of a core', note: r === base ? 'baseline' : `target < 25; attacker ${r.attempts} CONNECTs (${Math.round(r.attempts / (PHASE_MS / 1000 - 1))}/s): ${Object.entries(r.answers).map(([k, v]) => `${k}: ${v}`).join(', ')}` });
    out.push({ metric: `${r.name}: fleet`, value: Math.round(r.fleetPerSec), unit: 'msg/s', note: `sent ${r.sent}, acked ${r.acked}, delivered ${r.received}, lost ${r.lost}, fleet reconnects ${r.fleetFailures}` });
    if (base && r !== base && base.brokerCpuPct > 0) out.push({ metric: `${r.name}: CPU ratio to baseline`, value: Math.round((r.brokerCpuPct / base.brokerCpuPct) * 100) / 100, unit: 'x' });
  }
  return out;
}

export const authStormSuite: BenchSuite = {
  name: 'auth-storm',
  description: 'broker CPU and fleet loss under 200 wrong-secret CONNECTs/s (none, one address, 100 addresses), side by side',
  estimatedSeconds: 90,
  async run(ctx) {
    const dir = ctx.workDir;
    const base = loadParkModel();
    ctx.progress('provisioning (default-cost scrypt for the park devices)');
    const { model, provisioned, ids: fleetIds, ingest: subscriber } = await provisionLoadPark(dir, FLEET, { base });
    const attackIds = base.devices.map((d) => d.id);
    const phases: Phase[] = [
      { name: 'no attack', addresses: [] },
      { name: '200/s from one address', addresses: ['127.0.0.2'] },
      { name: '200/s from 100 addresses', addresses: Array.from({ length: 100 }, (_, i) => `127.0.1.${i + 1}`) },
    ];
    const broker = await startOurBroker(dir, FLEET);
    try {
      const results: PhaseResult[] = [];
      for (const [index, phase] of phases.entries()) {
        results.push(await runPhase(ctx, { phase, index, port: broker.port, pid: broker.brokerPid, parkId: model.id, fleetKey: provisioned.fleetKey, fleetIds, attackIds, subscriber }));
        await new Promise((r) => setTimeout(r, 2000));
      }
      return { rows: rows(results), details: { results, fleet: FLEET, ratePerDevice: RATE_PER_DEVICE, phaseMs: PHASE_MS, attackPerSec: ATTACK_PER_SEC } };
    } finally {
      await broker.proc.stop('SIGKILL', 5000);
    }
  },
};
