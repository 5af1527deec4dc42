// A watchdog for a service's MQTT session on a NATS cluster: it finds the session's JetStream
// consumers that stopped pushing, and reconnects the session to start them again.
//
// Why: on nats-server an MQTT QoS 1 subscription is a push consumer on the account's `$MQTT_msgs`
// stream. Such a consumer can stop delivering while its client stays connected: it holds messages
// (`num_pending` > 0), has none out to the client (`num_ack_pending` 0) and sends nothing more.
// Seen here on Debian's 2.9.10 after the stream leader's SIGKILL (docs/cluster.md, "What each
// failure costs": 525 readings held for minutes), reported upstream on 2.11.3
// (nats-io/nats-server#6989, open). MQTT gives the client no sign of it. The nodes' monitoring
// port does: /jsz lists every consumer with its state, and the consumer's leader has the true one.
//
// The remedy is a reconnect. On CONNECT nats-server restores the session and subscribes each
// existing consumer's deliver subject anew (server/mqtt.go processJSConsumer: `inbox =
// cc.DeliverSubject`, then processSub); the interest change wakes the consumer
// (server/consumer.go updateDeliveryInterest -> signalNewMessages). Nothing is lost by it: the
// watchdog acts only when nothing is in flight to the client, and the durable consumer keeps the
// messages across the reconnect. It also recovers a connection that died silently on the way (a
// NAT or proxy that dropped the broker's side): the consumer then shows the same state, well before
// the client's keepalive notices.
import { createHash } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Logger } from './logger.ts';
import { createThrottledLog } from './throttled-log.ts';

/** The stream of an account's MQTT QoS 1 messages (server/mqtt.go mqttStreamName). */
export const MQTT_MSGS_STREAM = '$MQTT_msgs';

// server/accounts.go `digits`, in three parts (one 62-character run reads as a random string to a secrets scan).
const HASH_DIGITS = ['0123456789', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'].join('');

/**
 * The 8-character hash nats-server names an MQTT session by (server/events.go getHashSize over the
 * client id: SHA-256, each of the first 8 bytes mod 62 into [0-9A-Za-z]). The session's consumers
 * are named `<hash>_<nuid>` (server/mqtt.go processJSConsumer).
 */
export function natsSessionHash(clientId: string): string {
  const b = createHash('sha256').update(clientId).digest();
  let out = '';
  for (let i = 0; i < 8; i++) out += HASH_DIGITS[b[i]! % 62];
  return out;
}

/** One consumer as its leader reports it. */
export interface ConsumerView {
  name: string;
  /** The stream subject it delivers (`$MQTT.msgs.<mqtt filter as subject>`). */
  filter: string;
  /** Messages delivered so far (consumer sequence). */
  delivered: number;
  /** Delivered, not yet acknowledged. */
  ackPending: number;
  /** In the stream, matching, not yet delivered. */
  pending: number;
  /** Whether the leader sees a subscriber on the deliver subject (nats-server's `push_bound`; for the log). */
  pushBound?: boolean;
}

export interface StalledConsumer extends ConsumerView {
  /** ms it has held undelivered messages with nothing in flight and delivered none. */
  stalledMs: number;
}

/**
 * The pure part: fed each poll's consumers of one session, says which have stalled: `pending` > 0
 * and `ackPending` 0 with `delivered` unchanged for `stallMs`, while the client has been connected
 * for at least `stallMs` (a session just restored may take a moment to deliver).
 */
export function createStallDetector(stallMs: number) {
  const since = new Map<string, { delivered: number; at: number }>();
  return {
    observe(now: number, consumers: ConsumerView[], connectedSince: number | null): StalledConsumer[] {
      if (connectedSince === null) {
        since.clear();
        return [];
      }
      const seen = new Set<string>();
      const stalled: StalledConsumer[] = [];
      for (const c of consumers) {
        seen.add(c.name);
        if (c.pending === 0 || c.ackPending > 0) {
          since.delete(c.name);
          continue;
        }
        const t = since.get(c.name);
        if (!t || t.delivered !== c.delivered) {
          since.set(c.name, { delivered: c.delivered, at: now });
          continue;
        }
        if (now - t.at >= stallMs && now - connectedSince >= stallMs) stalled.push({ ...c, stalledMs: now - t.at });
      }
      for (const name of since.keys()) if (!seen.has(name)) since.delete(name);
      return stalled;
    },
    reset: () => since.clear(),
  };
}

interface JszConsumer {
  name?: string;
  config?: { filter_subject?: string };
  delivered?: { consumer_seq?: number };
  num_ack_pending?: number;
  num_pending?: number;
  push_bound?: boolean;
  cluster?: { leader?: string };
}
interface Jsz {
  account_details?: { name?: string; stream_detail?: { name?: string; consumer_detail?: JszConsumer[] }[] }[];
}

/**
 * The consumers of one MQTT session from the nodes' /jsz, each as its leader reports it (a
 * follower's copy of the state lags). A consumer whose leader did not answer is left out: its
 * state is unknown, not stalled. Throws only when no node answered.
 */
export async function sessionConsumers(monitorUrls: readonly string[], account: string, clientId: string, timeoutMs: number, names = new Map<string, string>()): Promise<ConsumerView[]> {
  const prefix = `${natsSessionHash(clientId)}_`;
  const q = `/jsz?acc=${encodeURIComponent(account)}&consumers=true&config=true`;
  const reports = await Promise.allSettled(
    monitorUrls.map(async (base) => {
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        // The node's name (to tell its reports as leader), once per URL while it answers.
        let node = names.get(base);
        if (node === undefined) {
          node = ((await (await fetch(`${base}/varz`, { signal })).json()) as { server_name?: string }).server_name ?? '';
          names.set(base, node);
        }
        return { node, jsz: (await (await fetch(`${base}${q}`, { signal })).json()) as Jsz };
      } catch (err) {
        names.delete(base); // a node replaced behind the same URL may come back under another name
        throw err;
      }
    }),
  );
  const answered = reports.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (answered.length === 0) throw new Error(`no NATS monitoring endpoint answered (${monitorUrls.join(', ')})`);
  const out = new Map<string, ConsumerView>();
  for (const { node, jsz } of answered) {
    const stream = jsz.account_details?.find((a) => a.name === account)?.stream_detail?.find((s) => s.name === MQTT_MSGS_STREAM);
    for (const c of stream?.consumer_detail ?? []) {
      // A server outside a cluster reports no cluster block: it is the leader of all it has.
      if (!c.name?.startsWith(prefix) || (c.cluster !== undefined && c.cluster.leader !== node)) continue;
      out.set(c.name, { name: c.name, filter: c.config?.filter_subject ?? '', delivered: c.delivered?.consumer_seq ?? 0, ackPending: c.num_ack_pending ?? 0, pending: c.num_pending ?? 0, ...(c.push_bound !== undefined ? { pushBound: c.push_bound } : {}) });
    }
  }
  return [...out.values()];
}

export interface JetStreamWatchOptions {
  /** Monitoring base URLs of the cluster's nodes (`http://nats-1:8222`); all are asked, each consumer's leader answers for it. */
  monitorUrls: readonly string[];
  /** The NATS account of the session: the park id (cluster-config names each park's account so). */
  account: string;
  /** ms between polls; default 5000. */
  pollMs?: number;
  /** ms a consumer may hold undelivered messages with none in flight before the session is reconnected; default 20 000. */
  stallMs?: number;
}

export const DEFAULT_JETSTREAM_WATCH = Object.freeze({ pollMs: 5000, stallMs: 20_000 });

export interface JetStreamWatchdog {
  /** Reconnects made for a stalled consumer. */
  stalls(): number;
  close(): void;
}

/**
 * Watches the consumers of `client`'s session and, when one stalls, logs it and drops the
 * connection so that mqtt.js reconnects (to the next node of its list) and nats-server restores
 * the session. One poll at a time; a poll that fails is logged (throttled) and retried next time.
 */
export function watchJetStream(client: MqttClient, clientId: string, opts: JetStreamWatchOptions, logger: Logger): JetStreamWatchdog {
  const log = logger.child({ module: 'jetstream-watchdog' });
  const warn = createThrottledLog(log, { perWindow: 1, windowMs: 60_000 });
  const pollMs = opts.pollMs ?? DEFAULT_JETSTREAM_WATCH.pollMs;
  const detector = createStallDetector(opts.stallMs ?? DEFAULT_JETSTREAM_WATCH.stallMs);
  const names = new Map<string, string>();
  let connectedSince: number | null = client.connected ? Date.now() : null;
  let stalls = 0;
  let polling = false;
  let closed = false;
  const onConnect = (): void => {
    connectedSince = Date.now();
    detector.reset();
  };
  const onClose = (): void => {
    connectedSince = null;
    detector.reset();
  };
  client.on('connect', onConnect);
  client.on('close', onClose);

  const poll = async (): Promise<void> => {
    if (polling || closed || connectedSince === null) return;
    polling = true;
    try {
      const consumers = await sessionConsumers(opts.monitorUrls, opts.account, clientId, Math.max(1000, Math.min(pollMs, 5000)), names);
      const stalled = detector.observe(Date.now(), consumers, client.connected ? connectedSince : null);
      if (stalled.length > 0 && !closed && client.connected) {
        stalls++;
        log.warn({ consumers: stalled.map(({ name, filter, pending, delivered, pushBound, stalledMs }) => ({ name, filter, pending, delivered, pushBound, stalledMs })) }, 'broker consumer stalled (messages held, none delivered): reconnecting the session');
        detector.reset();
        // mqtt.js treats it as a lost connection: 'close', then a reconnect after reconnectPeriod.
        client.stream.destroy();
      }
    } catch (err) {
      warn('poll', { err: (err as Error).message }, 'cannot read the broker\'s consumer state; the watchdog tries again');
    } finally {
      polling = false;
    }
  };
  const timer = setInterval(() => void poll(), pollMs);
  timer.unref();
  log.info({ monitorUrls: opts.monitorUrls, pollMs, stallMs: opts.stallMs ?? DEFAULT_JETSTREAM_WATCH.stallMs }, 'watching the session\'s JetStream consumers');

  return {
    stalls: () => stalls,
    close() {
      closed = true;
      clearInterval(timer);
      client.removeListener('connect', onConnect);
      client.removeListener('close', onClose);
    },
  };
}
