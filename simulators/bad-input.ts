// Bad-input mode: sends each kind of bad input a hostile or broken device could produce, and checks
// that the park rejected every one and counted it under the right reason: payload faults in the
// ingest's reject counters, connection and topic faults in the broker's refusal counters.
import type { IClientOptions, MqttClient } from 'mqtt';
import { connectBroker } from '../shared/broker-client.ts';
import { deriveDeviceSecret } from '../shared/credentials.ts';
import type { Logger } from '../shared/logger.ts';
import type { ParkModel } from '../shared/park-model.ts';
import { deviceTopic } from '../shared/topics.ts';
import { malformedPayload } from './scenario-runner.ts';

export const BAD_INPUT_KINDS = {
  'malformed-json': { where: 'ingest', reason: 'json-malformed', doc: 'truncated JSON from a real device' },
  'schema-violation': { where: 'ingest', reason: 'schema-invalid', doc: 'valid JSON with wrong types and an unknown field' },
  oversized: { where: 'ingest', reason: 'payload-too-large', doc: 'a payload over the ingest limit (4 KiB)' },
  'not-utf8': { where: 'ingest', reason: 'payload-not-utf8', doc: 'bytes that are not UTF-8' },
  'wrong-topic': { where: 'broker', reason: 'publish-denied', doc: "a device publishing on another device's topic (connection closed)" },
  'unknown-device': { where: 'broker', reason: 'auth-bad-credentials', doc: 'an account the registry does not know (CONNACK 4)' },
  'wrong-secret': { where: 'broker', reason: 'auth-bad-credentials', doc: 'a real device id with a wrong secret (CONNACK 4)' },
} as const;
export type BadInputKind = keyof typeof BAD_INPUT_KINDS;

/** Where the counts are read: in-process stats (embedded park) or the live state (a running park). */
export interface BadInputCounters {
  /** The ingest's rejects by reason. */
  ingestRejects(): Promise<Record<string, number>>;
  /** The broker's refusals by code; absent when the broker runs in another process. */
  brokerRefused?(): Record<string, number>;
}

export interface BadInputOptions {
  url: string;
  model: ParkModel;
  fleetKey: string;
  logger: Logger;
  counters: BadInputCounters;
  /** Messages (or connection attempts) per kind; default 5. */
  perKind?: number;
  /** The device whose identity carries the payload faults; default the model's first meter. */
  device?: string;
  /** ms to wait for the counters to catch up; default 10 000. */
  settleMs?: number;
}

export interface BadInputResult {
  kind: BadInputKind;
  sent: number;
  /** What the sending client saw: PUBACK, a refused CONNACK, a closed connection. */
  clientSaw: string;
  counter: string;
  /** Increase of the counter; null where it cannot be read (broker in another process). */
  counted: number | null;
  /** Other kinds counted under the same reason (the broker does not tell an unknown account from a wrong secret). */
  sharesCounterWith: BadInputKind[];
  ok: boolean;
}

function connect(url: string, o: IClientOptions): Promise<{ client: MqttClient; refusedCode: number | null }> {
  return new Promise((resolve) => {
    const client = connectBroker(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000, clean: true, ...o });
    client.once('connect', () => resolve({ client, refusedCode: null }));
    client.once('error', (err: Error & { code?: number | string }) => resolve({ client, refusedCode: typeof err.code === 'number' ? err.code : -1 }));
  });
}

/** Messages or connection attempts per kind of bad input, unless told otherwise. */
export const DEFAULT_BAD_INPUT: Readonly<{ perKind: number }> = Object.freeze({ perKind: 5 });

export async function runBadInput(opts: BadInputOptions): Promise<BadInputResult[]> {
  const log = opts.logger.child({ module: 'bad-input' });
  const n = opts.perKind ?? DEFAULT_BAD_INPUT.perKind;
  const parkId = opts.model.id;
  const device = opts.model.deviceById.get(opts.device ?? opts.model.devicesOfKind('meter')[0]!.id);
  if (!device) throw new Error(`unknown device ${opts.device}`);
  const other = opts.model.devices.find((d) => d.id !== device.id)!;
  const secret = deriveDeviceSecret(opts.fleetKey, parkId, device.id);
  const ingestBefore = await opts.counters.ingestRejects();
  const brokerBefore = opts.counters.brokerRefused?.() ?? null;
  const seen: Partial<Record<BadInputKind, string>> = {};

  // Payload faults: one real connection of the device, QoS 1, each message acknowledged.
  const { client, refusedCode } = await connect(opts.url, { clientId: device.id, username: device.id, password: secret });
  if (refusedCode !== null) throw new Error(`bad-input: the broker refused ${device.id} (code ${refusedCode}); is this the park's secrets folder?`);
  const topic = deviceTopic(parkId, device.kind, device.id, 'telemetry');
  const payloadKinds: [BadInputKind, Parameters<typeof malformedPayload>[0]][] = [['malformed-json', 'json'], ['schema-violation', 'schema'], ['oversized', 'oversized'], ['not-utf8', 'not-utf8']];
  for (const [kind, payload] of payloadKinds) {
    await Promise.all(Array.from({ length: n }, (_, i) => client.publishAsync(topic, malformedPayload(payload, i), { qos: 1 })));
    seen[kind] = `${n} PUBACK`;
  }
  await client.endAsync();

  // Topic and identity faults: one connection per attempt, as a scanner or a broken device would.
  const outcomes: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = await connect(opts.url, { clientId: device.id, username: device.id, password: secret });
    const closed = new Promise<string>((r) => c.client.once('close', () => r('connection closed')));
    c.client.publish(deviceTopic(parkId, other.kind, other.id, 'telemetry'), '{}', { qos: 1 });
    outcomes.push(await Promise.race([closed, new Promise<string>((r) => setTimeout(() => r('still open after 5 s'), 5000))]));
    c.client.end(true);
  }
  seen['wrong-topic'] = [...new Set(outcomes)].join(', ');
  const refusals = async (o: IClientOptions): Promise<string> => {
    const codes: string[] = [];
    for (let i = 0; i < n; i++) {
      const c = await connect(opts.url, o);
      codes.push(c.refusedCode === null ? 'accepted (!)' : `CONNACK ${c.refusedCode}`);
      c.client.end(true);
    }
    return [...new Set(codes)].join(', ');
  };
  seen['unknown-device'] = await refusals({ clientId: 'ghost-device-0001', username: 'ghost-device-0001', password: 'whatever' });
  seen['wrong-secret'] = await refusals({ clientId: device.id, username: device.id, password: `${secret}x` });

  // Read the counters once they have caught up (the ingest counts asynchronously).
  const wantIngest = new Map<string, number>();
  for (const [, spec] of Object.entries(BAD_INPUT_KINDS)) if (spec.where === 'ingest') wantIngest.set(spec.reason, (wantIngest.get(spec.reason) ?? 0) + n);
  const deadline = Date.now() + (opts.settleMs ?? 10_000);
  let ingestAfter = await opts.counters.ingestRejects();
  while ([...wantIngest].some(([r, k]) => (ingestAfter[r] ?? 0) - (ingestBefore[r] ?? 0) < k) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    ingestAfter = await opts.counters.ingestRejects();
  }
  const brokerAfter = opts.counters.brokerRefused?.() ?? null;

  // Kinds that share a counter (unknown device, wrong secret) are judged together.
  const expectedPerReason = new Map<string, number>();
  for (const spec of Object.values(BAD_INPUT_KINDS)) expectedPerReason.set(spec.reason, (expectedPerReason.get(spec.reason) ?? 0) + n);
  const results = (Object.keys(BAD_INPUT_KINDS) as BadInputKind[]).map((kind): BadInputResult => {
    const spec = BAD_INPUT_KINDS[kind];
    const delta =
      spec.where === 'ingest'
        ? (ingestAfter[spec.reason] ?? 0) - (ingestBefore[spec.reason] ?? 0)
        : brokerAfter && brokerBefore
          ? (brokerAfter[spec.reason] ?? 0) - (brokerBefore[spec.reason] ?? 0)
          : null;
    const clientOk = spec.where === 'ingest' ? seen[kind] === `${n} PUBACK` : kind === 'wrong-topic' ? seen[kind] === 'connection closed' : seen[kind] === 'CONNACK 4';
    return {
      kind,
      sent: n,
      clientSaw: seen[kind] ?? 'nothing',
      counter: `${spec.where}: ${spec.reason}`,
      counted: delta,
      sharesCounterWith: (Object.keys(BAD_INPUT_KINDS) as BadInputKind[]).filter((k) => k !== kind && BAD_INPUT_KINDS[k].reason === spec.reason),
      ok: clientOk && (delta === null || delta === expectedPerReason.get(spec.reason)),
    };
  });
  log.info({ results }, 'bad input sent');
  return results;
}
