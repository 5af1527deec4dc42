// subscribeAll against a real Aedes broker that refuses a filter for a while, as a loaded NATS node
// refuses a SUBSCRIBE whose JetStream consumer it could not create in time: the service asks for
// the refused filters again until they are granted, says which ones were refused, and only then
// reports itself subscribed.
import { createServer, type AddressInfo, type Server } from 'node:net';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { subscribeAll } from '../../shared/broker-client.ts';
import { createLogger } from '../../shared/logger.ts';

interface Refusing {
  url: string;
  /** SUBSCRIBE attempts seen per filter. */
  attempts: Map<string, number>;
  close(): Promise<void>;
}

/** An Aedes broker refusing `filter` (SUBACK 0x80) for its first `times` subscriptions. */
async function refusingBroker(filter: string, times: number): Promise<Refusing> {
  const attempts = new Map<string, number>();
  const aedes = await Aedes.createBroker({
    authorizeSubscribe: (_client, sub, done) => {
      const n = (attempts.get(sub.topic) ?? 0) + 1;
      attempts.set(sub.topic, n);
      done(null, sub.topic === filter && n <= times ? null : sub);
    },
  });
  const server: Server = createServer((s) => aedes.handle(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    attempts,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
    },
  };
}

function capturedLogger(): { lines: () => Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const out = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  out.on('data', (chunk: Buffer) => {
    for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
  });
  return { lines: () => lines, logger: createLogger({ level: 'info', destination: out }) };
}

describe('subscribeAll', () => {
  let broker: Refusing | undefined;
  let client: MqttClient | undefined;
  afterEach(async () => {
    await client?.endAsync(true);
    await broker?.close();
    client = broker = undefined;
  });

  it('asks again for refused filters until the broker grants them, then reports the service subscribed', async () => {
    broker = await refusingBroker('b/#', 2);
    client = await mqtt.connectAsync(broker.url, { clientId: 'svc', reconnectPeriod: 0 });
    const log = capturedLogger();
    let grantedAt = 0;
    const t0 = Date.now();
    subscribeAll(client, ['a/#', 'b/#'], log.logger, () => (grantedAt = Date.now()), { firstMs: 50, maxMs: 200 });
    await expect.poll(() => grantedAt, { timeout: 5000 }).toBeGreaterThan(0);
    // Only the refused filter was asked for again, after the waits (50 ms, then 100 ms).
    expect(broker.attempts.get('a/#')).toBe(1);
    expect(broker.attempts.get('b/#')).toBe(3);
    expect(grantedAt - t0).toBeGreaterThanOrEqual(140);
    const refusals = log.lines().filter((l) => l.msg === 'subscription refused');
    expect(refusals.map((l) => l.refused)).toEqual([['b/#'], ['b/#']]);
    expect(refusals.map((l) => l.retryInMs)).toEqual([50, 100]);
    expect(log.lines().at(-1)).toMatchObject({ msg: 'subscriptions granted', filters: 2 });

    // And messages on the once-refused filter now reach the service.
    const got: string[] = [];
    client.on('message', (topic) => got.push(topic));
    await client.publishAsync('b/1', 'x', { qos: 1 });
    await expect.poll(() => got).toEqual(['b/1']);
  });

  it('stops asking when the connection goes, and never reports a refused set as subscribed', async () => {
    broker = await refusingBroker('b/#', 1000);
    client = await mqtt.connectAsync(broker.url, { clientId: 'svc', reconnectPeriod: 0 });
    const log = capturedLogger();
    let granted = false;
    subscribeAll(client, ['b/#'], log.logger, () => (granted = true), { firstMs: 50, maxMs: 50 });
    await expect.poll(() => broker!.attempts.get('b/#') ?? 0).toBeGreaterThanOrEqual(3);
    await client.endAsync(true);
    const after = broker.attempts.get('b/#')!;
    await sleep(300);
    expect(broker.attempts.get('b/#')).toBe(after);
    expect(granted).toBe(false);
    expect(log.lines().some((l) => l.msg === 'subscriptions granted')).toBe(false);
  });
});
