// The broker alone, ours against Debian's Mosquitto under the same load generator in the same run:
// 4 publisher processes (100 load meters each, own connections and credentials, flat out) and one
// subscriber to every meter topic, QoS 0 and QoS 1; the routed rate as a ratio. The QoS 0 run is
// an overload (publishers faster than the subscriber): the broker must survive it (docs/facts.md: Aedes
// 1.2 crashed with a RangeError in 3 of 6 such runs).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect } from 'node:net';
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { provisionLoadPark } from '../../testkit/provisioning.ts';
import { startMosquitto, type Mosquitto } from '../../testkit/mosquitto.ts';
import { startCompiled } from '../../testkit/cli.ts';
import { freePort, type Managed } from '../../testkit/processes.ts';
import type { BenchContext, BenchRow, BenchSuite } from '../harness.ts';
import { cpuSeconds, percentile, rssMb, runJsonProcess } from '../lib/processes.ts';
import type { PublisherConfig } from '../load/publisher.ts';
import type { SubscriberConfig } from '../load/subscriber.ts';
import { connectMemory, memoryRows } from './broker-memory.ts';
import { cpuBetween, cpuSample, settle, type CpuSample } from '../lib/machine.ts';

const PUBLISHERS = 4;
const DEVICES_PER_PUBLISHER = 100;
/** Publishing time of each publisher, from its start (the devices' connects included). */
const RUN_MS = 16_000;
/** The steady window starts this long after the last device connected and ends when publishing stops. */
const WARMUP_MS = 2000;
/** The paced run offers this many messages per second in all (below both brokers' capacity), for latency. */
const PACED_RATE = 12_000;
/** Paced pairs, taking turns at going first. A paced p99 is a few ms and moves by a third from one
 *  pair to the next on this shared machine (docs/facts.md); the ratio reported is the median pair's,
 *  with every pair beside it. */
const PACED_PAIRS = 5;

interface PubLine { t: number; acked: number; sent: number; connected?: number; cpuUs: number; final?: boolean; connectMs?: number | null; connectedAt?: number | null; goAt?: number; endAt?: number }
interface SubLine { t: number; at?: number; received?: number; ready?: boolean; final?: boolean; p50?: number | null; p99?: number | null; disconnected?: boolean; samples?: [number, number][] }

export interface RunResult {
  broker: 'parkpulse' | 'mosquitto';
  /** Which paced pair the run belongs to (flat-out runs: 0). */
  pair: number;
  qos: 0 | 1;
  /** Messages per second offered in all; 0 = flat out. */
  offered: number;
  /** Messages per second the subscriber received over the steady window. */
  routedPerSec: number;
  publishedPerSec: number;
  /** Publish (the device's ts) -> subscriber, ms, over the steady window: after every device has
   *  connected and a warm-up, until publishing stops. A CONNECT costs our broker a scrypt
   *  verification (Mosquitto's password file far less), so the connect phase is reported apart. */
  p50: number | null;
  p99: number | null;
  /** The same over the whole run, the connect phase included. */
  p50All: number | null;
  p99All: number | null;
  steadyS: number;
  /** Per second of the run (s from the publishers' start; steady: inside the window): latency percentiles, ms. */
  timeline: { s: number; steady: boolean; n: number; p50: number | null; p99: number | null; max: number | null }[];
  brokerCpuPct: number;
  brokerRssMb: number | null;
  subscriberDisconnected: boolean;
  brokerAlive: boolean;
  generatorCpuUsPerMsg: number;
  /** The slowest publisher's time to connect all its devices, ms (null: some failed). */
  connectMs: number | null;
  /** The whole machine over the steady window, % of all its cores: busy (broker, load generators
   *  and anything else) and stolen by the hypervisor. */
  machineBusyPct: number | null;
  machineStealPct: number | null;
  /** How busy the machine still was in the last second before the run began, and how long the
   *  run waited for it to quiet down (settle). */
  busyBeforePct: number | null;
  settledMs: number;
}

function alive(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** `settle`: how quiet the machine was made before the run (the previous run's processes are still exiting). */
export async function loadRun(ctx: BenchContext, o: { settle?: Awaited<ReturnType<typeof settle>>; broker: RunResult['broker']; pair?: number; pid: number; port: number; qos: 0 | 1; offered: number; parkId: string; fleetKey: string; ids: string[]; subscriber: { username: string; password: string } }): Promise<RunResult> {
  // Flat out, every publisher connects all its devices first and the floods start together (publisher.ts goFile).
  const goFile = o.offered ? undefined : join(mkdtempSync(join(tmpdir(), 'parkpulse-bench-go-')), 'go');
  const sub = runJsonProcess<SubLine>('bench/load/subscriber.ts', {
    host: '127.0.0.1', port: o.port, clientId: `${o.subscriber.username}-bench-${o.qos}`, username: o.subscriber.username, password: o.subscriber.password,
    filters: [`park/${o.parkId}/meter/+/+`], qos: o.qos, durationMs: RUN_MS + 6000, keepSamples: true, ...(goFile ? { goFile } : {}),
  } satisfies SubscriberConfig);
  await sub.waitFor((l) => l.ready === true, 30_000);
  const pubs = Array.from({ length: PUBLISHERS }, (_, i) =>
    runJsonProcess<PubLine>('bench/load/publisher.ts', {
      host: '127.0.0.1', port: o.port, parkId: o.parkId, fleetKey: o.fleetKey,
      deviceIds: o.ids.slice(i * DEVICES_PER_PUBLISHER, (i + 1) * DEVICES_PER_PUBLISHER),
      qos: o.qos, ratePerDevice: o.offered / o.ids.length, durationMs: RUN_MS, rampPerSec: 500, window: 100, startSeq: 1, stampMicros: true, ...(goFile ? { goFile } : {}),
    } satisfies PublisherConfig),
  );
  if (goFile) {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && pubs.reduce((n, p) => n + (p.lines.at(-1)?.connected ?? 0), 0) < o.ids.length) await new Promise((r) => setTimeout(r, 50));
    writeFileSync(goFile, '');
    ctx.progress(`${o.broker} QoS ${o.qos} flat out: every device connected; publishing`);
  }
  const cpu0 = cpuSeconds(o.pid) ?? 0;
  const t0 = Date.now();
  let peakRss = 0;
  const cpuTrack: [number, number, CpuSample | null][] = [];
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssMb(o.pid) ?? 0);
    cpuTrack.push([Date.now(), cpuSeconds(o.pid) ?? 0, cpuSample()]);
    const last = sub.lines.at(-1);
    if (cpuTrack.length % 3 === 0) ctx.progress(`${o.broker} QoS ${o.qos} ${o.offered ? `${o.offered} msg/s offered` : 'flat out'}: ${Math.round((Date.now() - t0) / 1000)}/${RUN_MS / 1000} s, subscriber got ${last?.received ?? 0}`);
  }, 1000);
  const finals = await Promise.all(pubs.map((p) => p.final));
  const subFinal = await sub.final;
  clearInterval(sampler);
  if (goFile) rmSync(dirname(goFile), { recursive: true, force: true });
  // Steady state: from a warm-up after the last device connected to the end of publishing, on the
  // clock every process shares (epoch ms).
  const from = Math.max(...finals.map((f) => Math.max(f.connectedAt ?? f.endAt ?? 0, f.goAt ?? 0))) + WARMUP_MS;
  const to = Math.min(...finals.map((f) => f.endAt ?? Infinity));
  const steadyS = Math.max(0, (to - from) / 1000);
  const counted = sub.lines.filter((l) => l.at !== undefined && l.received !== undefined && !l.final);
  const countAt = (ms: number): number => counted.filter((l) => l.at! <= ms).at(-1)?.received ?? 0;
  // Broker CPU over the same window, from the once-a-second samples nearest its ends.
  const inWindow = cpuTrack.filter(([at]) => at >= from && at <= to);
  const [c0, c1] = [inWindow[0], inWindow.at(-1)];
  const brokerCpuPct = c0 && c1 && c1[0] > c0[0] ? ((c1[1] - c0[1]) / ((c1[0] - c0[0]) / 1000)) * 100 : (((cpuSeconds(o.pid) ?? cpu0) - cpu0) / ((Date.now() - t0) / 1000)) * 100;
  const machine = c0 && c1 ? cpuBetween(c0[2], c1[2]) : null;
  const routedPerSec = steadyS > 0 ? (countAt(to) - countAt(from)) / steadyS : 0;
  const sent = finals.reduce((s, f) => s + (o.qos === 1 ? f.acked : f.sent), 0);
  const genCpu = finals.reduce((s, f) => s + f.cpuUs, 0);
  const steady = (subFinal.samples ?? []).filter(([at]) => at >= from && at <= to).map(([, ms]) => ms).sort((a, b) => a - b);
  const bySecond = new Map<number, number[]>();
  for (const [at, ms] of subFinal.samples ?? []) {
    const sec = Math.floor((at - t0) / 1000);
    if (sec >= 0) (bySecond.get(sec) ?? bySecond.set(sec, []).get(sec)!).push(ms);
  }
  const timeline = [...bySecond].sort((a, b) => a[0] - b[0]).map(([sec, xs]) => {
    xs.sort((a, b) => a - b);
    return { s: sec, steady: t0 + sec * 1000 >= from && t0 + (sec + 1) * 1000 <= to, n: xs.length, p50: percentile(xs, 0.5), p99: percentile(xs, 0.99), max: xs.at(-1) ?? null };
  });
  return {
    timeline,
    broker: o.broker, pair: o.pair ?? 0, qos: o.qos, offered: o.offered, routedPerSec, publishedPerSec: sent / (RUN_MS / 1000),
    p50: percentile(steady, 0.5), p99: percentile(steady, 0.99), p50All: subFinal.p50 ?? null, p99All: subFinal.p99 ?? null, steadyS,
    brokerCpuPct, brokerRssMb: peakRss || null,
    subscriberDisconnected: subFinal.disconnected === true,
    // The crash docs/facts.md reports came as clients disconnected: look a moment after they have.
    brokerAlive: await new Promise((r) => setTimeout(r, 2000)).then(() => alive(o.port)),
    generatorCpuUsPerMsg: sent > 0 ? genCpu / sent : 0,
    connectMs: finals.some((f) => f.connectMs == null) ? null : Math.max(...finals.map((f) => f.connectMs!)),
    machineBusyPct: machine?.busyPct ?? null,
    machineStealPct: machine?.stealPct ?? null,
    busyBeforePct: o.settle?.last?.busyPct ?? null,
    settledMs: o.settle?.waitedMs ?? 0,
  };
}

export async function startOurBroker(dir: string, loadDevices: number, extra: string[] = [], env?: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<{ proc: Managed; port: number; httpPort: number; brokerPid: number }> {
  const port = await freePort();
  const httpPort = await freePort();
  // As deployed: compiled (dist/).
  const proc = startCompiled(['broker', '--data-dir', dir, '--load-devices', String(loadDevices),
    '--broker-host', '127.0.0.1', '--broker-port', String(port), '--broker-ws-port', String(await freePort()), '--broker-http-port', String(httpPort),
    // A benchmark drives single connections far above a device's rate, and thousands of them.
    '--broker-rate-per-sec', '0', '--broker-max-connections', '20000', '--log-level', 'warn',
    // The broker alone has no ingest to chain acknowledgements to: it acknowledges on receipt, as
    // Mosquitto does (the end-to-end suite measures the chained acknowledgement).
    '--broker-ack', 'receipt', ...extra], { nodeArgs, ...(env ? { env } : {}) });
  const deadline = Date.now() + 120_000;
  while (!(await alive(port))) {
    if (Date.now() > deadline || !proc.running) throw new Error(`broker did not start: ${proc.output().slice(-1000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { proc, port, httpPort, brokerPid: proc.pid };
}

/** Latencies under 100 ms to 0.1 ms (the readings carry microsecond stamps), longer ones whole. */
function ms(v: number | null): string {
  return v === null ? '?' : v < 100 ? v.toFixed(1) : String(Math.round(v));
}

function pct(v: number | null): string {
  return v === null ? '?' : `${Math.round(v)}%`;
}

function runRow(r: RunResult, key: string): BenchRow {
  return {
    metric: `${r.broker} ${key}: routed`, value: Math.round(r.routedPerSec), unit: 'msg/s',
    note: `latency p50 ${ms(r.p50)} ms p99 ${ms(r.p99)} ms over ${r.steadyS.toFixed(0)} s steady (whole run incl. ${r.connectMs ?? '?'} ms of connects: p99 ${ms(r.p99All)} ms), broker CPU ${Math.round(r.brokerCpuPct)}%, RSS ${r.brokerRssMb?.toFixed(0)} MB, machine ${pct(r.machineBusyPct)} busy ${pct(r.machineStealPct)} stolen (before: ${pct(r.busyBeforePct)} busy, waited ${(r.settledMs / 1000).toFixed(0)} s)${r.subscriberDisconnected ? ', subscriber cut off' : ''}`,
  };
}

function rows(results: RunResult[]): BenchRow[] {
  const out: BenchRow[] = [];
  const label = (r: RunResult): string => `QoS ${r.qos} ${r.offered ? `at ${r.offered / 1000}k/s offered` : 'flat out'}`;
  for (const key of [...new Set(results.map(label))]) {
    const pairs = [...new Set(results.filter((r) => label(r) === key).map((r) => r.pair))];
    const latency: { pair: number; ours: RunResult; theirs: RunResult; ratio: number }[] = [];
    for (const pair of pairs) {
      const ours = results.find((r) => r.broker === 'parkpulse' && label(r) === key && r.pair === pair);
      const theirs = results.find((r) => r.broker === 'mosquitto' && label(r) === key && r.pair === pair);
      const tag = pairs.length > 1 ? `${key} pair ${pair + 1}` : key;
      for (const r of [ours, theirs]) if (r) out.push(runRow(r, tag));
      if (!ours || !theirs || theirs.routedPerSec <= 0) continue;
      out.push({ metric: `ratio parkpulse/mosquitto ${tag}`, value: ours.routedPerSec / theirs.routedPerSec, unit: 'x', note: ours.offered ? 'both keep up: compare the latency' : 'target >= 1' });
      if (ours.offered && ours.p99 !== null && theirs.p99) latency.push({ pair, ours, theirs, ratio: ours.p99 / theirs.p99 });
    }
    if (latency.length === 0) continue;
    const sorted = [...latency].sort((a, b) => a.ratio - b.ratio);
    const mid = sorted[Math.floor((sorted.length - 1) / 2)]!;
    const each = latency.map((l) => `${l.ratio.toFixed(2)} (${ms(l.ours.p99)} against ${ms(l.theirs.p99)} ms)`).join(', ');
    out.push({
      metric: `p99 latency ratio parkpulse/mosquitto ${key}`, value: mid.ratio, unit: 'x',
      note: `steady window, ${latency.length === 1 ? 'one pair' : `median of ${latency.length} pairs taking turns at going first`}; target <= 2; ${latency.length === 1 ? each : `pairs: ${each}; worst ${sorted.at(-1)!.ratio.toFixed(2)}`}`,
    });
  }
  const q0 = results.find((r) => r.broker === 'parkpulse' && r.qos === 0);
  if (q0) out.push({ metric: 'parkpulse survived QoS 0 overload', value: q0.brokerAlive ? 'yes' : 'NO', unit: '' });
  return out;
}

export const brokerSuite: BenchSuite = {
  name: 'broker',
  description: 'broker alone, QoS 0 and 1, ours against Mosquitto under the same load (ratio), the paced p99 over five pairs; QoS 0 overload survival',
  estimatedSeconds: 360,
  async run(ctx) {
    const dir = ctx.workDir;
    chmodSync(dir, 0o755); // Mosquitto, started as root, drops to its own user and must reach its files
    const devices = PUBLISHERS * DEVICES_PER_PUBLISHER;
    const { model, provisioned, ids, ingest: subscriber } = await provisionLoadPark(dir, devices);
    const results: RunResult[] = [];
    const accounts = provisioned.registry.accounts
      .filter((a) => a.type === 'service' || ids.includes(a.id))
      .map((a) => ({ account: a, password: a.type === 'service' ? provisioned.serviceSecrets[a.role] : deriveDeviceSecret(provisioned.fleetKey, model.id, a.id) }));
    const runs: { qos: 0 | 1; offered: number; pair: number; mosquittoFirst: boolean }[] = [
      { qos: 0, offered: 0, pair: 0, mosquittoFirst: false },
      { qos: 1, offered: 0, pair: 0, mosquittoFirst: false },
      ...Array.from({ length: PACED_PAIRS }, (_, pair) => ({ qos: 1 as const, offered: PACED_RATE, pair, mosquittoFirst: pair % 2 === 1 })),
    ];
    const common = { parkId: model.id, fleetKey: provisioned.fleetKey, ids, subscriber };
    const runOurs = async (run: (typeof runs)[number]): Promise<void> => {
      // A fresh broker for every run: an overload leaves megabytes in socket buffers that the next
      // run would otherwise measure.
      const ours = await startOurBroker(dir, devices);
      try {
        results.push(await loadRun(ctx, { settle: await settle(), broker: 'parkpulse', pid: ours.brokerPid, port: ours.port, qos: run.qos, offered: run.offered, pair: run.pair, ...common }));
      } finally {
        await ours.proc.stop('SIGKILL', 5000);
      }
    };
    const runMosquitto = async (run: (typeof runs)[number]): Promise<void> => {
      // Mosquitto's default in-flight window (20 QoS 1 messages per client) would cap its subscriber
      // at a few thousand a second; lift it, and its queue limits, so the comparison is of the brokers, not of a setting.
      const mosquitto: Mosquitto = await startMosquitto(join(dir, `m${results.length}`), accounts, model.id, ['max_inflight_messages 0', 'max_queued_messages 0', 'set_tcp_nodelay true']);
      try {
        results.push(await loadRun(ctx, { settle: await settle(), broker: 'mosquitto', pid: mosquitto.pid, port: mosquitto.port, qos: run.qos, offered: run.offered, pair: run.pair, ...common }));
      } finally {
        await mosquitto.stop();
      }
    };
    for (const run of runs) {
      if (run.offered) ctx.progress(`paced pair ${run.pair + 1}/${PACED_PAIRS} (${run.mosquittoFirst ? 'Mosquitto' : 'ours'} first)`);
      if (run.mosquittoFirst) {
        await runMosquitto(run);
        await runOurs(run);
      } else {
        await runOurs(run);
        await runMosquitto(run);
      }
    }
    ctx.progress('broker RSS after connects, with and without the launcher environment');
    const memory = await connectMemory({ dir, parkId: model.id, fleetKey: provisioned.fleetKey, ids, serviceSecrets: provisioned.serviceSecrets });
    return { rows: [...rows(results), ...memoryRows(memory)], details: { results, memory, publishers: PUBLISHERS, devicesPerPublisher: DEVICES_PER_PUBLISHER, runMs: RUN_MS, pacedPairs: PACED_PAIRS } };
  },
};
