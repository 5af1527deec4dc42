// End to end, every stage in its own process as in production: load publishers (lean MQTT clients,
// each device its own connection and credentials, QoS 1) -> broker -> ingest -> SQLite -> live state
// -> screen -> a WebSocket client here. Measures the sustained rate into the store, latency from the
// device's ts to durable (the ingest's own reservoir) and to the screen state (this WebSocket
// client), every published-and-acknowledged (device, seq) in the store (lost, duplicated), the
// resident memory of every process, and where the CPU went (V8 profiles of broker and ingest).
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { provisionLoadPark } from '../../testkit/provisioning.ts';
import type { WsServerMessage } from '../../shared/schema.ts';
import { startCompiled } from '../../testkit/cli.ts';
import { freePort, type Managed } from '../../testkit/processes.ts';
import type { BenchContext, BenchResult, BenchRow, BenchSuite } from '../harness.ts';
import { summarizeProfiles, type ProfileSummary } from '../lib/cpu-profile.ts';
import { bucketDiff, bucketQuantile, type Buckets } from '../lib/histogram.ts';
import { cpuBetween, cpuSample, type CpuSample } from '../lib/machine.ts';
import { writeTimelineHtml } from '../lib/timeline-chart.ts';
import { cpuSeconds, percentile, rssMb, runJsonProcess } from '../lib/processes.ts';
import type { PublisherConfig } from '../load/publisher.ts';

export interface E2eOptions {
  devices: number;
  /** Messages per second per device. */
  ratePerDevice: number;
  publishers: number;
  /** Seconds of the measured steady state (after the ramp and a warm-up). */
  steadyS: number;
  /** ms between the ingest's live deltas, and the screen's coalescing interval. */
  liveIntervalMs: number;
  coalesceMs: number;
  brokerPersistence: 'memory' | 'disk';
  /** When the broker acknowledges a device (--broker-ack): once stored (`ingest`, the default) or on receipt (the old path). */
  brokerAck: 'ingest' | 'receipt';
  /** V8 CPU profiles of broker and ingest. */
  profile: boolean;
  /**
   * `split`: broker, ingest and screen each their own process (as scaled out). `joined`: one
   * `parkpulse all` (as `npm start` runs the park, its simulator included), whose ingest takes the
   * devices' messages as `ingestFeed` says: from the broker's in-process bus, or through its MQTT session.
   */
  layout: 'split' | 'joined';
  ingestFeed: 'bus' | 'mqtt';
  /** Appended to the run's artifact names and row labels when one configuration runs more than once; default none. */
  tag?: string;
}

/**
 * Two loads by default: 8k msg/s, a load this 2-core machine carries with every process on it
 * (latency when not overloaded), and the 30k target (throughput when overloaded; the suite also
 * runs it once profiled, to show where the CPU goes).
 */
export const E2E_DEFAULTS: E2eOptions = { devices: 1000, ratePerDevice: 8, publishers: 4, steadyS: 20, liveIntervalMs: 100, coalesceMs: 250, brokerPersistence: 'memory', brokerAck: 'ingest', profile: false, layout: 'split', ingestFeed: 'mqtt' };
export const E2E_TARGET: E2eOptions = { ...E2E_DEFAULTS, ratePerDevice: 30, steadyS: 15 };

/** A figure per stage of the pipeline that a timeline follows. */
interface Stages { broker: number; ingest: number }

interface PubLine { t: number; sent: number; acked: number; connected: number; final?: boolean; devices?: [string, number, number][]; connectMs?: number | null; cpuUs: number }

async function alive(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function waitPort(port: number, proc: Managed, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await alive(port))) {
    if (Date.now() > deadline || !proc.running) throw new Error(`${what} did not start: ${proc.output().slice(-1500)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One scrape of a service's /metrics (each scrape resets prom-client's event-loop lag figures). */
async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** The values of one metric in a scrape, by its one label's value ('' when unlabelled). */
function pick(text: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(`parkpulse_${name}`)) continue;
    const m = /^\S+?(?:\{(?:\w+)="([^"]*)"\})?\s+(\S+)$/.exec(line);
    if (m) out[m[1] ?? ''] = Number(m[2]);
  }
  return out;
}

async function metric(port: number, name: string): Promise<Record<string, number>> {
  return pick(await scrape(port), name);
}

export async function runE2e(ctx: BenchContext, o: E2eOptions): Promise<BenchResult & { sustained: number; timeline: ReturnType<typeof timelineOf> }> {
  const dir = mkdtempSync(join(tmpdir(), 'parkpulse-bench-e2e-'));
  chmodSync(dir, 0o755);
  const joined = o.layout === 'joined';
  // The bus feed needs a broker that holds PUBACKs for it (bin/services.ts busFeedOf): otherwise the
  // ingest of `all` uses its MQTT session whatever the flag says, and the label says so.
  const feed = o.brokerAck === 'ingest' && o.brokerPersistence === 'memory' ? o.ingestFeed : 'mqtt';
  const runName = `${o.brokerPersistence}-${o.brokerAck}${joined ? `-all-${feed}` : ''}-${o.devices * o.ratePerDevice}${o.tag ? `-${o.tag.replace(/\s+/g, '-')}` : ''}`;
  const profDir = join(ctx.outDir, `e2e-profiles-${runName}`);
  if (o.profile) mkdirSync(profDir, { recursive: true });
  ctx.progress(`provisioning ${o.devices} load devices`);
  const { model, provisioned, ids } = await provisionLoadPark(dir, o.devices);
  const ports = { broker: await freePort(), ws: await freePort(), brokerHttp: await freePort(), ingestHttp: await freePort(), screen: await freePort() };
  // Joined, the one process serves every service's metrics on the broker's port.
  if (joined) ports.ingestHttp = ports.brokerHttp;
  const common = ['--data-dir', dir, '--load-devices', String(o.devices), '--mqtt-url', `mqtt://127.0.0.1:${ports.broker}`, '--log-level', 'warn'];
  // One folder per process: each thread (main, store worker, loader) writes its own profile there.
  const prof = (name: string): string[] => (o.profile ? ['--cpu-prof', '--cpu-prof-dir', join(profDir, name)] : []);
  // The stages as deployed: compiled (dist/, as npm start and the image run them).
  const node = (name: string, args: string[]): Managed => startCompiled(args, { nodeArgs: prof(name) });
  const procs: Record<string, Managed> = {};
  const sqlitePath = join(dir, 'parkpulse.db');
  try {
    const brokerFlags = ['--broker-host', '127.0.0.1', '--broker-port', String(ports.broker), '--broker-ws-port', String(ports.ws), '--broker-http-port', String(ports.brokerHttp),
      '--broker-rate-per-sec', '0', '--broker-max-connections', '20000', '--broker-persistence', o.brokerPersistence, '--broker-ack', o.brokerAck];
    const ingestFlags = ['--live-interval-ms', String(o.liveIntervalMs), '--sqlite-path', sqlitePath];
    const screenFlags = ['--screen-host', '127.0.0.1', '--screen-port', String(ports.screen), '--coalesce-ms', String(o.coalesceMs), '--sqlite-path', sqlitePath];
    if (joined) {
      procs.all = node('all', ['all', ...common, ...brokerFlags, ...ingestFlags, ...screenFlags, '--ingest-feed', o.ingestFeed]);
      await waitPort(ports.screen, procs.all, 'all');
    } else {
      procs.broker = node('broker', ['broker', ...common, ...brokerFlags]);
      await waitPort(ports.broker, procs.broker, 'broker');
      procs.ingest = node('ingest', ['ingest', ...common, '--ingest-http-host', '127.0.0.1', '--ingest-http-port', String(ports.ingestHttp), ...ingestFlags]);
      await waitPort(ports.ingestHttp, procs.ingest, 'ingest');
      procs.screen = node('screen', ['screen', ...common, ...screenFlags]);
      await waitPort(ports.screen, procs.screen, 'screen');
    }

    // The screen as a browser sees it: per device, the first delta that shows a reading newer than
    // what it showed before gives that reading's latency (device ts -> state at the browser).
    const screenLatencies: number[] = [];
    const screenTimeline: [number, number][] = [];
    let wsMessages = 0;
    let wsGaps = 0;
    const shown = new Map<string, number>();
    const ws = new WebSocket(`ws://127.0.0.1:${ports.screen}/ws?token=${encodeURIComponent(provisioned.viewerToken)}`);
    let measuring = false;
    let lastSeq = 0;
    ws.on('message', (data) => {
      const now = Date.now();
      const m = JSON.parse(data.toString()) as WsServerMessage;
      wsMessages++;
      if (m.type === 'delta' && m.seq !== lastSeq + 1) wsGaps++;
      lastSeq = m.seq;
      for (const d of m.devices) {
        if (d.ts === null) continue;
        const before = shown.get(d.id);
        if (before !== undefined && d.ts > before) {
          screenTimeline.push([now, now - d.ts]);
          if (measuring) screenLatencies.push(now - d.ts);
        }
        shown.set(d.id, d.ts);
      }
    });
    await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));

    // Load: each publisher process drives a share of the devices at the paced rate.
    const rampS = 5;
    const warmS = 5;
    // The publishers run until stopped (SIGTERM: they report what they sent); this bounds them.
    const durationMs = (rampS + 60 + warmS + o.steadyS) * 1000;
    const per = Math.ceil(o.devices / o.publishers);
    const pubs = Array.from({ length: o.publishers }, (_, i) =>
      runJsonProcess<PubLine>('bench/load/publisher.ts', {
        host: '127.0.0.1', port: ports.broker, parkId: model.id, fleetKey: provisioned.fleetKey,
        deviceIds: ids.slice(i * per, (i + 1) * per), qos: 1, ratePerDevice: o.ratePerDevice, durationMs,
        rampPerSec: Math.ceil(per / rampS), window: 10, startSeq: 1,
      } satisfies PublisherConfig),
    );
    const rss: Record<string, number[]> = {};
    const sample = (): void => {
      for (const [name, p] of [...Object.entries(procs), ...pubs.map((p, i) => [`publisher-${i + 1}`, p] as const)]) {
        const mb = rssMb(p.pid);
        if (mb !== null) (rss[name] ??= []).push(mb);
      }
    };
    // What the resident memory is made of, at its peak (prom-client's process figures): the V8 heap
    // reserved and in use, and memory outside it (Buffers, native) - dead heap and live data differ.
    const heapAtPeak: Record<string, { rssMb: number; heapTotalMb: number; heapUsedMb: number; externalMb: number }> = {};
    const noteHeap = (name: string, text: string): number => {
      const mb = (metricName: string): number => Math.round((pick(text, metricName)[''] ?? 0) / 2 ** 20);
      const now = { rssMb: mb('process_resident_memory_bytes'), heapTotalMb: mb('nodejs_heap_size_total_bytes'), heapUsedMb: mb('nodejs_heap_size_used_bytes'), externalMb: mb('nodejs_external_memory_bytes') };
      if (now.rssMb >= (heapAtPeak[name]?.rssMb ?? 0)) heapAtPeak[name] = now;
      return now.rssMb;
    };
    const t0 = Date.now();
    const acceptedAt = async (): Promise<number> => (await metric(ports.ingestHttp, 'ingest_accepted_total'))[''] ?? 0;
    // Once a second: what the publishers made, what the broker took in and holds, what reached the
    // store and how long it took (the ingest's histogram, differenced), for the timeline chart.
    // Beside them, per stage (broker and ingest; `all` counts as both when joined): CPU seconds and GC
    // seconds so far, and the machine's /proc/stat ticks, so a slow second can be told apart: the
    // stage busy, the stage collecting garbage, or the machine's cores taken by other processes or the hypervisor.
    type Sample = TimelineSample & { made: number };
    const samples: Sample[] = [];
    const takeSample = async (): Promise<Sample> => {
      // A stage that died says so, with its last output, instead of a bare "fetch failed".
      for (const [name, p] of Object.entries(procs)) if (!p.running) throw new Error(`${name} exited during the run: ${p.output().slice(-2000)}`);
      // One scrape of each per sample: prom-client resets its event-loop lag figures on every scrape,
      // so the lag max is the longest stall since the last sample.
      const [brokerText, ingestText] = joined ? await scrape(ports.brokerHttp).then((t): [string, string] => [t, t]) : await Promise.all([scrape(ports.brokerHttp), scrape(ports.ingestHttp)]);
      const accepted = pick(ingestText, 'ingest_accepted_total')[''] ?? 0;
      const durableBuckets = pick(ingestText, 'ingest_durable_latency_seconds_bucket');
      const arrival = pick(ingestText, 'ingest_arrival_latency_seconds_bucket');
      const brokerIn = pick(brokerText, 'broker_messages_in_total');
      const bus = pick(brokerText, 'broker_bus_queued');
      const brokerLag = pick(brokerText, 'nodejs_eventloop_lag_max_seconds');
      const ingestLag = pick(ingestText, 'nodejs_eventloop_lag_max_seconds');
      const made = pubs.reduce((sum, p) => sum + (p.lines.at(-1)?.sent ?? 0), 0);
      const lagMs = { broker: Math.round((brokerLag[''] ?? 0) * 1000), ingest: Math.round((ingestLag[''] ?? 0) * 1000) };
      if (!joined) noteHeap('ingest', ingestText);
      // The broker's resident memory and whether its heap bound held (shared/heap-growth.ts), per second.
      const brokerRssMb = noteHeap(joined ? 'all' : 'broker', brokerText);
      const heapBounded = pick(brokerText, 'process_heap_growth_bounded')[''] === 1;
      const gc = (text: string): number => Object.values(pick(text, 'nodejs_gc_duration_seconds_sum')).reduce((a, b) => a + b, 0);
      const cpuOf = (name: string): number => cpuSeconds(procs[joined ? 'all' : name]!.pid) ?? 0;
      const s = { t: Date.now(), made, brokerIn: brokerIn[''] ?? 0, busQueued: bus[''] ?? 0, accepted, durable: durableBuckets, arrival, lagMs, brokerRssMb, heapBounded,
        cpuS: { broker: cpuOf('broker'), ingest: cpuOf('ingest') }, gcS: { broker: gc(brokerText), ingest: gc(ingestText) }, machine: cpuSample() };
      samples.push(s);
      return s;
    };
    let sampling = true;
    const sampler = (async () => {
      let n = 0;
      while (sampling) {
        const at = Date.now();
        sample();
        const s = await takeSample().catch(() => null);
        if (s && ++n % 5 === 0) ctx.progress(`${Math.round((s.t - t0) / 1000)}/${durationMs / 1000} s: ${s.brokerIn} taken by the broker, ${s.accepted} stored, ${s.busQueued} queued in the broker, ${wsMessages} WebSocket messages`);
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - at))));
      }
    })();
    // Steady state starts a warm-up after the last device connected (each CONNECT costs the broker
    // a scrypt verification, so the ramp leaves a backlog that is not the steady state).
    await new Promise((r) => setTimeout(r, rampS * 1000));
    const connectDeadline = Date.now() + 60_000;
    while (pubs.reduce((n, p) => n + (p.lines.at(-1)?.connected ?? 0), 0) < o.devices && Date.now() < connectDeadline) await new Promise((r) => setTimeout(r, 250));
    await new Promise((r) => setTimeout(r, warmS * 1000));
    const steadyStart = await takeSample();
    // CPU of every process over the steady state (a pipeline limited by one busy process shows it here).
    const cpuProcs = [...Object.entries(procs), ...pubs.map((p, i) => [`publisher-${i + 1}`, p] as const)];
    const cpuAt0 = cpuProcs.map(([, p]) => cpuSeconds(p.pid) ?? 0);
    measuring = true;
    await new Promise((r) => setTimeout(r, o.steadyS * 1000));
    const steadyEnd = await takeSample();
    measuring = false;
    const steadySeconds = (steadyEnd.t - steadyStart.t) / 1000;
    const steadyCpu = Object.fromEntries(cpuProcs.map(([name, p], i) => [name, Math.round((((cpuSeconds(p.pid) ?? 0) - cpuAt0[i]!) / steadySeconds) * 100)]));
    const steadyDurable = bucketDiff(steadyEnd.durable, steadyStart.durable);
    const durable = Object.fromEntries(['0.5', '0.95', '0.99'].map((q) => {
      const v = bucketQuantile(steadyDurable, Number(q));
      return [q, v === null ? 'n/a' : Math.round(v * 1000)];
    }));
    for (const p of pubs) p.kill('SIGTERM');
    const finals = await Promise.all(pubs.map((p) => p.final));
    sampling = false;
    await sampler;
    sample();

    // Every acknowledged (device, seq) must be in the store exactly once: wait for the ingest to drain.
    ctx.progress('waiting for the ingest to store everything acknowledged');
    const acked = new Map<string, number>();
    for (const f of finals) for (const [id, , a] of f.devices ?? []) acked.set(id, a);
    const expected = [...acked.values()].reduce((s, a) => s + a, 0);
    const db = new Database(sqlitePath, { readonly: true, fileMustExist: true });
    const countStmt = db.prepare('SELECT count(*) AS n FROM meter_telemetry');
    const inRange = db.prepare('SELECT count(*) AS n FROM meter_telemetry WHERE device = ? AND seq BETWEEN 1 AND ?');
    const missing = (): number => {
      let n = 0;
      for (const [id, a] of acked) if (a > 0) n += a - (inRange.get(id, a) as { n: number }).n;
      return n;
    };
    // Drained when every device's acknowledged seqs are in, not when the row count reaches the
    // acknowledged total: the count includes readings sent but not yet acknowledged when the load
    // stopped, so one device can be complete while another's backlog is still on its way.
    const drainFrom = Date.now();
    const drainDeadline = drainFrom + 120_000;
    let lost = missing();
    while (lost > 0 && Date.now() < drainDeadline) {
      await new Promise((r) => setTimeout(r, 500));
      lost = missing();
    }
    const drainS = Math.round((Date.now() - drainFrom) / 100) / 10;
    const stored = (countStmt.get() as { n: number }).n;
    const perDevice = db.prepare('SELECT device, count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM meter_telemetry GROUP BY device').all() as { device: string; n: number; lo: number; hi: number }[];
    const storedBy = new Map(perDevice.map((r) => [r.device, r]));
    db.close();
    const brokerIn = (await metric(ports.brokerHttp, 'broker_messages_in_total'))[''] ?? 0;
    const brokerOut = (await metric(ports.brokerHttp, 'broker_messages_out_total'))[''] ?? 0;
    const ingestAccepted = await acceptedAt();
    const refusals = await metric(ports.brokerHttp, 'broker_refusals_total');
    const refused = Object.entries(refusals).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
    const ingestStats = { duplicates: (await metric(ports.ingestHttp, 'ingest_duplicates_total'))[''] ?? 0, gaps: (await metric(ports.ingestHttp, 'ingest_seq_gaps_total'))[''] ?? 0 };
    ws.close();

    const sustained = (steadyEnd.accepted - steadyStart.accepted) / ((steadyEnd.t - steadyStart.t) / 1000);
    screenLatencies.sort((a, b) => a - b);
    const genCpu = finals.reduce((s, f) => s + f.cpuUs, 0) / Math.max(1, finals.reduce((s, f) => s + f.sent, 0));
    const label = ` @${(o.devices * o.ratePerDevice) / 1000}k${o.brokerPersistence === 'disk' ? ' (durable broker)' : ''}, ack ${o.brokerAck}${joined ? `, all, feed ${feed}` : ''}${o.tag ? ` (${o.tag})` : ''}`;
    const rows: BenchRow[] = [
      { metric: `offered${label}`, value: o.devices * o.ratePerDevice, unit: 'msg/s', note: `${o.devices} devices x ${o.ratePerDevice}/s, QoS 1, ${o.publishers} publisher processes` },
      { metric: `sustained into the store${label}`, value: Math.round(sustained), unit: 'msg/s', note: `over ${o.steadyS} s steady state; target 30000` },
      { metric: `device ts -> durable p50/p95/p99${label}`, value: `${durable['0.5']}/${durable['0.95']}/${durable['0.99']}`, unit: 'ms', note: 'steady state, from the ingest histogram; target p99 < 200' },
      { metric: `device ts -> screen p50/p95/p99${label}`, value: `${percentile(screenLatencies, 0.5)}/${percentile(screenLatencies, 0.95)}/${percentile(screenLatencies, 0.99)}`, unit: 'ms', note: `target p99 < ${o.coalesceMs + 100} (coalescing ${o.coalesceMs} + 100; live interval ${o.liveIntervalMs})` },
      { metric: `acknowledged / stored / lost${label}`, value: `${expected}/${stored}/${lost}`, unit: 'msgs', note: `duplicates redelivered ${ingestStats.duplicates}, seq gaps ${ingestStats.gaps}, WebSocket seq gaps ${wsGaps}; ${lost === 0 ? `every acknowledged reading stored ${drainS} s after the load stopped` : `${lost} still missing ${drainS} s after it stopped`}` },
      { metric: `broker in / out, ingest accepted${label}`, value: `${brokerIn}/${brokerOut}/${ingestAccepted}`, unit: 'msgs' },
      { metric: `broker refusals${label}`, value: refused, unit: '', note: 'slow-consumer = a subscriber (the ingest) cut for not draining within the drain timeout' },
      { metric: `CPU during the steady state${label}`, value: Object.entries(steadyCpu).filter(([n]) => !n.startsWith('publisher')).map(([n, pct]) => `${n} ${pct}%`).join(', '), unit: '', note: `publishers ${Object.entries(steadyCpu).filter(([n]) => n.startsWith('publisher')).reduce((s, [, pct]) => s + pct, 0)}% in all; 100% = one core` },
      { metric: 'load generator CPU per message', value: genCpu, unit: 'µs', note: `all connected after ${Math.max(...finals.map((f) => f.connectMs ?? NaN))} ms` },
    ];
    const chartFile = join(ctx.outDir, `e2e-timeline-${runName}.html`);
    writeE2eChart(chartFile, o, samples, pubs.map((p) => p.lines), screenTimeline, t0, { from: (steadyStart.t - t0) / 1000, to: (steadyEnd.t - t0) / 1000 });
    rows.push({ metric: `timeline chart${label}`, value: chartFile, unit: '', note: 'throughput and latency over time (HTML)' });
    for (const [name, samples] of Object.entries(rss)) {
      const h = heapAtPeak[name];
      const made = h ? `; at the peak: V8 heap ${h.heapTotalMb} MB reserved, ${h.heapUsedMb} MB used, ${h.externalMb} MB external` : '';
      rows.push({ metric: `RSS ${name}${label}`, value: Math.round(Math.max(...samples)), unit: 'MB', note: `end ${Math.round(samples.at(-1)!)} MB${made}` });
    }
    // Stop in order so the profiles are written: load gone, screen, ingest (flushes), broker.
    for (const name of joined ? ['all'] : ['screen', 'ingest', 'broker']) await procs[name]!.stop('SIGTERM', 20_000);
    let profiles: ProfileSummary[] = [];
    if (o.profile) {
      profiles = (joined ? ['all'] : ['broker', 'ingest', 'screen']).flatMap((name) => summarizeProfiles(join(profDir, name), 10)).filter((p) => p.busyPct > 2);
      for (const p of profiles) {
        const who = p.file.split('/').at(-2);
        ctx.progress(`profile ${who} (${p.file.split('/').at(-1)}): busy ${p.busyPct}%`);
        for (const f of p.top.slice(0, 8)) ctx.progress(`   ${String(f.selfPct).padStart(5)}%  ${f.name}  ${f.where}`);
      }
    }
    const timeline = timelineOf(samples, t0);
    return { rows, sustained, timeline, details: { options: o, sustainedPerSec: sustained, durableLatencyMs: durable, screenSamples: screenLatencies.length, perDeviceStored: storedBy.size, rss, heapAtPeak, profiles, timeline } };
  } finally {
    for (const p of Object.values(procs)) if (p.running) await p.stop('SIGKILL', 5000);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One scrape of the stages (counters and histograms so far); the timeline differences them. */
interface TimelineSample { t: number; brokerIn: number; busQueued: number; accepted: number; durable: Buckets; arrival: Buckets; lagMs: Stages; brokerRssMb: number; heapBounded: boolean; cpuS: Stages; gcS: Stages; machine: CpuSample | null }

/**
 * Per second of the run: taken by the broker, stored, queued in the bus, device ts -> durable and
 * -> taken in by the ingest p50/p99 (ms), the longest event-loop stall (ms), each stage's CPU and GC
 * (% of one core), and the machine's busy and stolen share (% of all its cores), for the JSON result.
 */
function timelineOf(samples: TimelineSample[], t0: number): { s: number; brokerIn: number; stored: number; busQueued: number; p50: number | null; p99: number | null; arrivalP50: number | null; arrivalP99: number | null; lagMs: Stages; cpuPct: Stages; gcPct: Stages; machine: { busyPct: number; stealPct: number } | null; brokerRssMb: number; heapBounded: boolean }[] {
  const sorted = [...samples].sort((a, b) => a.t - b.t).filter((s, i, all) => i === 0 || s.t - all[i - 1]!.t >= 500);
  return sorted.slice(1).map((s, i) => {
    const prev = sorted[i]!;
    const dt = (s.t - prev.t) / 1000;
    const q = (x: number, b: Buckets = bucketDiff(s.durable, prev.durable)): number | null => {
      const v = bucketQuantile(b, x);
      return v === null ? null : Math.round(v * 1000);
    };
    const arrived = bucketDiff(s.arrival, prev.arrival);
    const pct = (a: Stages, b: Stages): Stages => ({ broker: Math.round(((b.broker - a.broker) / dt) * 100), ingest: Math.round(((b.ingest - a.ingest) / dt) * 100) });
    const m = cpuBetween(prev.machine, s.machine);
    return {
      s: Math.round((s.t - t0) / 100) / 10, brokerIn: Math.round((s.brokerIn - prev.brokerIn) / dt), stored: Math.round((s.accepted - prev.accepted) / dt), busQueued: s.busQueued, p50: q(0.5), p99: q(0.99), arrivalP50: q(0.5, arrived), arrivalP99: q(0.99, arrived), lagMs: s.lagMs,
      cpuPct: pct(prev.cpuS, s.cpuS), gcPct: pct(prev.gcS, s.gcS), machine: m && { busyPct: Math.round(m.busyPct), stealPct: Math.round(m.stealPct) }, brokerRssMb: s.brokerRssMb, heapBounded: s.heapBounded,
    };
  });
}

/** Throughput and latency per second of the run, as an HTML page of SVG charts. */
function writeE2eChart(
  file: string, o: E2eOptions,
  samples: { t: number; made: number; brokerIn: number; busQueued: number; accepted: number; durable: Buckets; arrival: Buckets }[],
  publisherLines: PubLine[][], screen: [number, number][], t0: number, steady: { from: number; to: number },
): void {
  // Samples closer than 0.5 s (the steady-state marks) would make spiky rates: keep the regular ones.
  const sorted = [...samples].sort((a, b) => a.t - b.t).filter((s, i, all) => i === 0 || s.t - all[i - 1]!.t >= 500);
  const rate = (pick: (s: (typeof sorted)[number]) => number): [number, number | null][] =>
    sorted.slice(1).map((s, i) => [(s.t - t0) / 1000, Math.max(0, (pick(s) - pick(sorted[i]!)) / ((s.t - sorted[i]!.t) / 1000))]);
  const latency = (q: number, of: 'durable' | 'arrival' = 'durable'): [number, number | null][] =>
    sorted.slice(1).map((s, i) => {
      const v = bucketQuantile(bucketDiff(s[of], sorted[i]![of]), q);
      return [(s.t - t0) / 1000, v === null ? null : v * 1000];
    });
  const screenP99: [number, number | null][] = sorted.slice(1).map((s, i) => {
    const inWindow = screen.filter(([at]) => at > sorted[i]!.t && at <= s.t).map(([, ms]) => ms).sort((a, b) => a - b);
    return [(s.t - t0) / 1000, inWindow.length ? percentile(inWindow, 0.99) : null];
  });
  // Made by the devices: each publisher reports once a second; summed per whole second of the run.
  const madeBySecond = new Map<number, number>();
  for (const lines of publisherLines) {
    const regular = lines.filter((l) => !l.final);
    for (let i = 1; i < regular.length; i++) {
      const sec = Math.round(regular[i]!.t / 1000); // a publisher line's t is ms since it started, about t0
      const r = (regular[i]!.sent - regular[i - 1]!.sent) / ((regular[i]!.t - regular[i - 1]!.t) / 1000);
      madeBySecond.set(sec, (madeBySecond.get(sec) ?? 0) + r);
    }
  }
  const made: [number, number | null][] = [...madeBySecond.entries()].sort((a, b) => a[0] - b[0]);
  const band = { ...steady, label: 'measured steady state' };
  writeTimelineHtml(file, `ParkPulse end to end: ${o.devices} devices x ${o.ratePerDevice} msg/s, QoS 1, ${o.brokerPersistence} broker`,
    `Sampled once a second from the broker's and the ingest's /metrics and a screen WebSocket client. Written ${new Date().toISOString()}.`, [
      { title: 'Throughput', unit: 'msg/s', band, lines: [{ value: 30_000, label: 'target 30k' }], series: [
        { name: 'made by devices', color: '#999', points: made },
        { name: 'taken by the broker', color: '#2a6fdb', points: rate((s) => s.brokerIn) },
        { name: 'durable in the store', color: '#1a9e55', points: rate((s) => s.accepted) },
      ] },
      { title: 'Latency from the device ts', unit: 'ms', band, lines: [{ value: 200, label: 'durable p99 target' }], series: [
        { name: 'to durable p50', color: '#7fc8a0', points: latency(0.5) },
        { name: 'to durable p99', color: '#1a9e55', points: latency(0.99) },
        { name: 'to the ingest p99', color: '#2a6fdb', points: latency(0.99, 'arrival') },
        { name: 'to the screen p99', color: '#d9822b', points: screenP99 },
      ] },
      { title: 'Queued in the broker', unit: 'messages', band, series: [{ name: 'bus queue', color: '#8e44ad', points: sorted.map((s) => [(s.t - t0) / 1000, s.busQueued]) }] },
    ]);
}

export const e2eSuite: BenchSuite = {
  name: 'e2e',
  description: 'devices -> broker -> ingest -> SQLite -> screen WebSocket, each its own process, at 8k and at the 30k target, PUBACK once stored (--broker-ack ingest) beside PUBACK on receipt, and at 10k PUBACK once stored alone; then the whole park in one process (`all`) at 8k and 30k, PUBACK on receipt, and once stored with the ingest on its MQTT session and on the broker\'s bus: rate, latency to durable and to the screen, loss, memory, CPU profile, timeline chart',
  estimatedSeconds: 720,
  async run(ctx) {
    // The chained acknowledgement (a PUBACK once stored) beside the old one (on receipt), same run.
    const soak = ctx.soak ? { steadyS: 600 } : {};
    const rows: BenchRow[] = [];
    const details: Record<string, unknown> = {};
    // Overloaded (the 30k target) a single pair varied from 0.85 to 1.36 on one afternoon (the
    // path on receipt queues without bound and swings most), so the target runs two pairs,
    // alternating, and its ratio is of the pairs' summed rates. No run of a pair is profiled:
    // --cpu-prof cost the once-stored run 5% of its rate (2 runs each, 12-07), which made an
    // unprofiled run on receipt look faster. Where the CPU goes comes from a third run of its own.
    for (const [name, base, pairs] of [['capacity', { ...E2E_DEFAULTS, ...soak }, 1], ['target', E2E_TARGET, 2]] as const) {
      const k = `@${(base.devices * base.ratePerDevice) / 1000}k`;
      const olds: Awaited<ReturnType<typeof runE2e>>[] = [];
      const nows: Awaited<ReturnType<typeof runE2e>>[] = [];
      for (let i = 0; i < pairs; i++) {
        const tag = pairs > 1 ? `pair ${i + 1}` : undefined;
        olds.push(await runE2e(ctx, { ...base, brokerAck: 'receipt', tag }));
        nows.push(await runE2e(ctx, { ...base, brokerAck: 'ingest', tag }));
      }
      const sum = (runs: { sustained: number }[]): number => runs.reduce((s, r) => s + r.sustained, 0);
      const each = nows.map((n, i) => `${Math.round(n.sustained)} vs ${Math.round(olds[i]!.sustained)}`).join(', ');
      rows.push(...olds.flatMap((r) => r.rows), ...nows.flatMap((r) => r.rows), {
        metric: `sustained ack ingest / ack receipt ${k}`, value: Math.round((sum(nows) / Math.max(1, sum(olds))) * 100) / 100, unit: 'x',
        note: `${each} msg/s${pairs > 1 ? ` (${pairs} pairs, alternating; summed)` : ''}; target >= 1`,
      });
      details[name] = { ackReceipt: olds.map((r) => r.details), ackIngest: nows.map((r) => r.details) };
    }
    const profiled = await runE2e(ctx, { ...E2E_TARGET, brokerAck: 'ingest', profile: true, tag: 'profiled' });
    rows.push(...profiled.rows.filter((r) => r.metric.startsWith('CPU') || r.metric.startsWith('sustained')));
    details.targetProfiled = profiled.details;
    // The latency target of 10k msg/s (durable p99 < 200 ms, no second-long stall in the timeline),
    // on the default path alone.
    const tenK = await runE2e(ctx, { ...E2E_DEFAULTS, ...soak, ratePerDevice: 10, brokerAck: 'ingest' });
    rows.push(...tenK.rows);
    const worst = Math.max(...tenK.timeline.filter((t) => t.s > 10).map((t) => t.p99 ?? 0));
    rows.push({ metric: 'worst second\'s durable p99 after the ramp @10k, ack ingest', value: worst, unit: 'ms', note: 'per-second timeline from 10 s on; no second-long stall = < 1000' });
    details.latency10k = tenK.details;
    // Where broker and ingest share a process (`npm start`): the ingest on the broker's in-process
    // bus beside the same process with the ingest on its MQTT session, PUBACK once stored in both.
    for (const [name, base] of [['capacity', { ...E2E_DEFAULTS, ...soak }], ['target', E2E_TARGET]] as const) {
      const k = `@${(base.devices * base.ratePerDevice) / 1000}k`;
      const old = await runE2e(ctx, { ...base, layout: 'joined', brokerAck: 'receipt' });
      const session = await runE2e(ctx, { ...base, layout: 'joined', ingestFeed: 'mqtt' });
      const bus = await runE2e(ctx, { ...base, layout: 'joined', ingestFeed: 'bus' });
      const ratio = (a: number, b: number): number => Math.round((a / Math.max(1, b)) * 100) / 100;
      rows.push(...old.rows, ...session.rows, ...bus.rows,
        { metric: `sustained all: feed bus / feed mqtt ${k}`, value: ratio(bus.sustained, session.sustained), unit: 'x', note: `${Math.round(bus.sustained)} vs ${Math.round(session.sustained)} msg/s; one process, PUBACK once stored in both` },
        { metric: `sustained all: feed bus / ack receipt ${k}`, value: ratio(bus.sustained, old.sustained), unit: 'x', note: `${Math.round(bus.sustained)} vs ${Math.round(old.sustained)} msg/s; target >= 1` },
      );
      details[`joined-${name}`] = { ackReceipt: old.details, feedMqtt: session.details, feedBus: bus.details };
    }
    return { rows, details };
  },
};
