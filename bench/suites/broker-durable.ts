// The cost of the broker's durable mode: QoS 1 messages per second routed from 4 publishers to a
// persistent subscriber (clean session off, as the ingest), with the in-memory persistence and
// with the disk one (LevelDB, PUBACK after storing, exact duplicate filter), as a ratio. The
// broker and the clients share this process (and its core): compare the ratio, not the absolutes.
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { createBroker } from '../../broker/create-broker.ts';
import { listenTcp } from '../../broker/listeners.ts';
import { deriveDeviceSecret } from '../../shared/credentials.ts';
import { silentLogger } from '../../shared/logger.ts';
import { loadParkModel } from '../../shared/park-model.ts';
import { serviceAccountId, type Provisioned } from '../../shared/registry.ts';
import { provisionDataDir } from '../../testkit/provisioning.ts';
import { deviceFilters, deviceTopic } from '../../shared/topics.ts';
import type { BenchContext, BenchSuite } from '../harness.ts';

const PUBLISHERS = 4;
/** QoS 1 messages each publisher keeps in flight. */
const WINDOW = 100;

async function measure(ctx: BenchContext, mode: 'memory' | 'disk', dir: string, provisioned: Provisioned, seconds: number): Promise<{ rate: number; cpuUsPerMsg: number; delivered: number; acked: number }> {
  const model = loadParkModel();
  const broker = await createBroker({ parkId: model.id, registry: provisioned.registry, logger: silentLogger(), persistence: mode === 'disk' ? { kind: 'disk', dir: join(dir, `queue-${Date.now()}`) } : { kind: 'memory' }, limits: { rate: { perSecond: 0, burst: 1 } } });
  const tcp = await listenTcp(broker, { host: '127.0.0.1', port: 0 });
  const url = `mqtt://127.0.0.1:${tcp.port}`;
  const ingest = serviceAccountId('ingest');
  const sub = await mqtt.connectAsync(url, { clientId: ingest, username: ingest, password: provisioned.serviceSecrets.ingest, clean: false });
  await sub.subscribeAsync(deviceFilters(model.id), { qos: 1 });
  let delivered = 0;
  sub.on('message', () => delivered++);
  const meters = model.devices.filter((d) => d.kind === 'meter').slice(0, PUBLISHERS);
  const pubs: MqttClient[] = await Promise.all(meters.map((m) => mqtt.connectAsync(url, { clientId: m.id, username: m.id, password: deriveDeviceSecret(provisioned.fleetKey, model.id, m.id) })));
  let running = true;
  let acked = 0;
  const payload = JSON.stringify({ ts: Date.now(), seq: 1, kw: 812.5, kwh: 1234567.25, voltage: 400, current: 1171.2, powerFactor: 0.96 });
  const loops = pubs.map(async (p, i) => {
    const topic = deviceTopic(model.id, 'meter', meters[i]!.id, 'telemetry');
    const inflight = new Set<Promise<unknown>>();
    while (running) {
      const pr = p.publishAsync(topic, payload, { qos: 1 }).then(() => {
        acked++;
        inflight.delete(pr);
      });
      inflight.add(pr);
      if (inflight.size >= WINDOW) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  });
  // Warm up 1 s, then count what reaches the subscriber.
  await new Promise((r) => setTimeout(r, 1000));
  const from = delivered;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let s = 0; s < seconds; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    if (s % 3 === 2) ctx.progress(`${mode}: ${Math.round((delivered - from) / ((performance.now() - t0) / 1000))} msg/s so far`);
  }
  const rate = (delivered - from) / ((performance.now() - t0) / 1000);
  const cpu = process.cpuUsage(cpu0);
  // CPU per message (broker, publishers and subscriber together) is steadier than msg/s on a
  // shared machine: the difference between the modes is the persistence's.
  const cpuUsPerMsg = (cpu.user + cpu.system) / (delivered - from);
  running = false;
  await Promise.all(loops);
  for (const p of pubs) await p.endAsync();
  await sub.endAsync();
  await tcp.close();
  await broker.close();
  return { rate, cpuUsPerMsg, delivered, acked };
}

export const brokerDurableSuite: BenchSuite = {
  name: 'broker-durable',
  description: 'QoS 1 msg/s to a persistent subscriber: in-memory vs disk (durable) broker persistence',
  estimatedSeconds: 30,
  async run(ctx) {
    const dir = ctx.workDir;
    const model = loadParkModel();
    const provisioned = await provisionDataDir(dir, model, { N: 1024, r: 8, p: 1 });
    const seconds = ctx.soak ? 60 : 10;
    const memory = await measure(ctx, 'memory', dir, provisioned, seconds);
    const disk = await measure(ctx, 'disk', dir, provisioned, seconds);
    return {
      rows: [
        { metric: 'memory QoS 1 msg/s', value: Math.round(memory.rate), unit: 'msg/s', note: `${PUBLISHERS} publishers, ${WINDOW} in flight each, one process` },
        { metric: 'disk (durable) QoS 1 msg/s', value: Math.round(disk.rate), unit: 'msg/s', note: 'LevelDB queue, PUBACK after storing' },
        { metric: 'disk / memory', value: Math.round((disk.rate / memory.rate) * 100) / 100, unit: 'ratio' },
        { metric: 'memory CPU per message', value: Math.round(memory.cpuUsPerMsg), unit: 'µs', note: 'whole process' },
        { metric: 'disk CPU per message', value: Math.round(disk.cpuUsPerMsg), unit: 'µs', note: 'whole process (LevelDB threads included)' },
      ],
      details: { seconds, memory, disk },
    };
  },
};
