// Connecting a service or device to the broker, or to any node of a broker cluster. A broker
// address is one URL (`mqtt://127.0.0.1:1883`) or a comma-separated list of the cluster's nodes
// (`mqtt://nats-1:1883,mqtt://nats-2:1883,mqtt://nats-3:1883`). With a list, mqtt.js tries the next
// node on every reconnect (its `servers` option), so a client whose node dies carries on at the
// next one. Each client starts at a node picked from its client id, so a fleet spreads over the
// nodes instead of all piling onto the first.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { BrokerUrlError } from './errors.ts';
import type { Logger } from './logger.ts';

const URL_PATTERN = /^(mqtts?|wss?):\/\/[^\s,]+$/;

/** The URLs of a broker address (one, or a comma-separated list). Throws on anything else. */
export function parseBrokerUrls(address: string): string[] {
  const urls = address.split(',').map((u) => u.trim()).filter((u) => u.length > 0);
  if (urls.length === 0) throw new BrokerUrlError('broker-url-invalid', 'no broker URL given');
  for (const u of urls) {
    if (!URL_PATTERN.test(u)) throw new BrokerUrlError('broker-url-invalid', `${JSON.stringify(u)} must be an mqtt://, mqtts://, ws:// or wss:// URL`);
  }
  const schemes = new Set(urls.map((u) => new URL(u).protocol));
  // mqtt.js keeps one protocol (and one WebSocket path) per client: a list must agree on them.
  if (schemes.size > 1) throw new BrokerUrlError('broker-url-invalid', `the broker URLs mix schemes (${[...schemes].join(' ')}); use one for all nodes`);
  return urls;
}

/** True when the address names a single URL or a valid list. */
export function isBrokerAddress(address: string): boolean {
  try {
    parseBrokerUrls(address);
    return true;
  } catch {
    return false;
  }
}

/** FNV-1a over the id: a stable, cheap spread of clients over the nodes. */
function spread(id: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h % n;
}

/**
 * mqtt.js options for an address: a single URL is passed as it is; a list becomes `servers`,
 * rotated so that this client starts at its own node.
 */
export function brokerTarget(address: string, clientId: string): { url: string; servers?: IClientOptions['servers'] } {
  const urls = parseBrokerUrls(address);
  if (urls.length === 1) return { url: urls[0]! };
  const start = spread(clientId, urls.length);
  const ordered = [...urls.slice(start), ...urls.slice(0, start)];
  const servers = ordered.map((u) => {
    const p = new URL(u);
    const protocol = p.protocol.replace(/:$/, '') as 'mqtt' | 'mqtts' | 'ws' | 'wss';
    const port = p.port ? Number(p.port) : protocol === 'mqtt' ? 1883 : protocol === 'mqtts' ? 8883 : protocol === 'ws' ? 80 : 443;
    return { host: p.hostname, port, protocol };
  });
  return { url: ordered[0]!, servers };
}

/** `mqtt.connect` for a broker address (one URL or a cluster's list); `options.clientId` picks the first node. */
export function connectBroker(address: string, options: IClientOptions): MqttClient {
  const target = brokerTarget(address, options.clientId ?? '');
  return mqtt.connect(target.url, target.servers ? { ...options, servers: target.servers } : options);
}

/** `mqtt.connectAsync` for a broker address: resolves on the first CONNACK, rejects on a refusal. */
export function connectBrokerAsync(address: string, options: IClientOptions): Promise<MqttClient> {
  const target = brokerTarget(address, options.clientId ?? '');
  return mqtt.connectAsync(target.url, target.servers ? { ...options, servers: target.servers } : options);
}

/** How a service (ingest, aggregator) connects: its account, and optionally its session id and reconnect pace. */
export interface ServiceConnection {
  /** Broker address: one URL or a cluster's comma-separated list (parseBrokerUrls). */
  url: string;
  username: string;
  password: string;
  /** Default: the service's account id (each service says which). */
  clientId?: string;
  /** ms between reconnect attempts; default 1000. */
  reconnectPeriodMs?: number;
}

/** How subscribeAll retries refused filters: the first wait and the cap, ms (defaults 1000 and 10 000). */
export interface SubscribeRetry {
  firstMs?: number;
  maxMs?: number;
}

/**
 * Subscribes a service's filters at QoS 1 and calls `granted` once the broker granted all of them.
 * A refusal (an error, or return code 0x80 in the SUBACK, MQTT-3.9.3) is logged as an error with
 * the refused filters, and those are asked for again, waiting 1 s, 2 s, ... up to 10 s between
 * attempts, for as long as this connection lasts (the next CONNACK subscribes anew). Until then
 * `granted` is not called: the service stays not ready (its /readyz says so). Retrying matters on a
 * NATS cluster: a loaded node refuses a SUBSCRIBE whose JetStream consumer it could not create in
 * time, and with no consumer the stream acknowledges the devices' QoS 1 messages on that filter
 * and keeps none of them (interest retention; docs/cluster.md "Data safety").
 */
export function subscribeAll(client: MqttClient, filters: string[], log: Logger, granted: () => void, retry: SubscribeRetry = {}): void {
  const maxMs = retry.maxMs ?? 10_000;
  let waitMs = retry.firstMs ?? 1000;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const onClose = (): void => {
    closed = true;
    clearTimeout(timer);
  };
  client.once('close', onClose);
  const attempt = (pending: string[]): void => {
    client.subscribe(pending, { qos: 1 }, (err, grants) => {
      // The connection went (mqtt.js fails what was in flight): the next CONNACK subscribes anew.
      if (closed || !client.connected) return;
      // When a code is a failure, mqtt.js 5 passes an error carrying the SUBACK, and grants that
      // repeat the QoS asked for: the codes to trust are the packet's.
      const codes = (err as (Error & { packet?: { granted?: number[] } }) | null)?.packet?.granted ?? grants?.map((g) => g.qos);
      const refused = codes && codes.length === pending.length ? pending.filter((_, i) => codes[i]! >= 0x80) : err ? pending : [];
      if (refused.length === 0) {
        client.removeListener('close', onClose);
        log.info({ filters: filters.length }, 'subscriptions granted');
        granted();
        return;
      }
      log.error({ err: err?.message, refused, retryInMs: waitMs }, 'subscription refused');
      timer = setTimeout(() => {
        if (!closed && client.connected) attempt(refused);
      }, waitMs);
      timer.unref();
      waitMs = Math.min(maxMs, waitMs * 2);
    });
  };
  attempt(filters);
}

/** ms a service's session may take to send its last packets at shutdown before the socket is cut; default 3000. */
export const LEAVE_TIMEOUT_MS = 3000;

/**
 * Leaves the broker: DISCONNECT once outgoing QoS 1 packets in flight are acknowledged (mqtt.js
 * `end()`), or, when that takes over `timeoutMs` (a link that died silently: no PUBACK will come),
 * cuts the socket, so the caller goes on to close its store instead of hanging. Either way the
 * broker keeps the session (clean=false): its subscriptions, and the messages it sent that the
 * service did not acknowledge, which come again next session. A publish of the service's own that
 * was not acknowledged is dropped with the process: the ingest and the aggregator publish their
 * live state and alerts (retained) again when they start.
 */
export async function leaveBroker(client: MqttClient, log: Logger, timeoutMs = LEAVE_TIMEOUT_MS): Promise<'left' | 'cut'> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'cut'>((resolve) => (timer = setTimeout(() => resolve('cut'), timeoutMs)));
  const how = await Promise.race([client.endAsync().then(() => 'left' as const), timedOut]);
  clearTimeout(timer);
  if (how === 'cut') {
    log.warn({ timeoutMs }, 'the broker did not acknowledge the last packets in time: connection cut');
    await client.endAsync(true).catch(() => {});
  }
  return how;
}

