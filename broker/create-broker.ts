// The broker core: Aedes with the park's authentication, ACL and limits. It knows no transport:
// TCP, TLS and WebSocket listeners (listeners.ts) hand it byte streams through `handle()`, and
// every stream passes the packet guard (packet-guard.ts) before Aedes parses a byte of it.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from '../shared/logger.ts';
import type { Account, RegistryData } from '../shared/registry.ts';
import { withDefaults } from '../shared/options.ts';
import { createThrottledLog } from '../shared/throttled-log.ts';
import { canPublish, canSubscribe, clientIdAllowed } from './acl.ts';
import { createAuthenticator } from './authenticator.ts';
import { createMemoryPersistence } from './memory-persistence.ts';
import { createSafeEmitter } from './safe-emitter.ts';
import { enableAckChain, type AckChain, type AckChainStats } from './ack-chain.ts';
import { enableDurableDelivery, guardDuplicates, type DurableDelivery } from './durable-delivery.ts';
import { openDiskPersistence, type DiskPersistence } from './durable-persistence.ts';
import { BrokerError, type BrokerErrorCode } from './errors.ts';
import { createAdmissionGate, DEFAULT_ADMISSION, type AdmissionLimits } from './admission-gate.ts';
import { createFlapGuard, type FlapLimits } from './flap-guard.ts';
import { PacketGuard } from './packet-guard.ts';
import { createTokenBucket, type RateLimit, type TokenBucket } from './rate-limiter.ts';
import { isCleanIdentifier, topicProblem } from './text-checks.ts';

export interface BrokerLimits {
  /** Open connections at most (all transports); further sockets are closed at once. Default 5000. */
  maxConnections: number;
  /** Bytes a connection may send before its CONNECT is accepted; default 8192. */
  maxConnectBytes: number;
  /** Largest packet (remaining length) of an authenticated client, bytes; default 1 MiB. */
  maxPacketBytes: number;
  /** Longest topic or filter, bytes of UTF-8; default 256. */
  maxTopicBytes: number;
  /** Most levels in a topic or filter; default 10 (park topics have 5). */
  maxTopicLevels: number;
  /** PUBLISH rate per connection (token bucket); perSecond 0 disables. Default 200/s, burst 400. */
  rate: RateLimit;
  /** Flapping ban; maxConnects 0 disables. Default 15 CONNECTs per 60 s, then 300 s banned. */
  flap: FlapLimits;
  /** Bus queue (messages) at which device reads pause and resume (admission-gate.ts); default 5000/1000. */
  admission: AdmissionLimits;
}

export const DEFAULT_BROKER_LIMITS: Readonly<BrokerLimits> = Object.freeze({
  maxConnections: 5000,
  maxConnectBytes: 8192,
  maxPacketBytes: 1024 * 1024,
  maxTopicBytes: 256,
  maxTopicLevels: 10,
  rate: { perSecond: 200, burst: 400 },
  flap: { maxConnects: 15, windowMs: 60_000, banMs: 300_000 },
  admission: DEFAULT_ADMISSION,
});

/** Connection timing defaults of the broker (the CLI's settings read them). */
export const DEFAULT_BROKER_TIMING: Readonly<Required<Pick<BrokerOptions, 'connectTimeoutMs' | 'drainTimeoutMs' | 'queueLimit'>>> = Object.freeze({ connectTimeoutMs: 10_000, drainTimeoutMs: 10_000, queueLimit: 4200 });

export interface BrokerOptions {
  parkId: string;
  /** Accounts with hashed secrets (shared/registry.ts). */
  registry: RegistryData;
  logger: Logger;
  /** ms a new connection may take to send CONNECT; default 10 000. */
  connectTimeoutMs?: number;
  /** ms a subscriber's socket may stay full before the client is cut off (slow consumer); default 10 000. */
  drainTimeoutMs?: number;
  /** Queued QoS 0/1 packets per client before Aedes drops the client; default 42 (Aedes default) x 100. */
  queueLimit?: number;
  /** Overrides of DEFAULT_BROKER_LIMITS. */
  limits?: Partial<BrokerLimits>;
  /**
   * Where QoS 1 queues of offline sessions, retained messages and wills live. `memory` (default):
   * fastest, lost with the process. `disk`: LevelDB in `dir`, survives a crash (README "Broker
   * durability" has the cost); the broker then acknowledges a message only once it is stored.
   */
  persistence?: { kind: 'memory' } | { kind: 'disk'; dir: string };
  /**
   * When a device's QoS 1 message is acknowledged with the memory persistence. `receipt` (default
   * here): on receipt, as Aedes does. `ingest` (the park's default, `--broker-ack`): once every
   * persistent ingest session that takes it has acknowledged it, i.e. once it is durable in the
   * store (ack-chain.ts). The disk persistence acknowledges once the message is on disk.
   */
  ack?: 'receipt' | 'ingest';
}

export interface BrokerStats {
  connections: number;
  connectsAccepted: number;
  /** PUBLISH packets accepted from clients. */
  publishesIn: number;
  /** Deliveries to subscribers (one message to three subscribers counts three). */
  messagesOut: number;
  /** Messages queued on the bus now. */
  /** Messages waiting in the bus for a delivery slot. */
  busQueued: number;
  /** Times device reads were paused because the bus was full (admission-gate.ts). */
  admissionPauses: number;
  /** True while device reads are paused. */
  admissionHeld: boolean;
  refused: Partial<Record<BrokerErrorCode, number>>;
  /** With `ack: 'ingest'`: device messages whose PUBACK waits for the ingest; null otherwise. */
  ackChain: AckChainStats | null;
}

export interface Broker {
  /** Serve one client connection (any transport's duplex stream). */
  handle(stream: Duplex, req?: IncomingMessage): void;
  /** The account a connected client authenticated as. */
  accountOf(client: Client): Account | undefined;
  /** Swap the registry (rotation, revocation); sessions of revoked/rotated accounts are closed. */
  replaceRegistry(registry: RegistryData): void;
  stats(): BrokerStats;
  readonly limits: Readonly<BrokerLimits>;
  /** The Aedes instance, for listeners and tests that watch its events. */
  readonly aedes: Aedes;
  close(): Promise<void>;
}

/** A bounded, printable excerpt of client-chosen text for a log line. */
const excerpt = (s: string | undefined): string | undefined => (s !== undefined && s.length > 80 ? `${s.slice(0, 80)}…` : s);

// Aedes errors that are refusals in our terms, so they are counted like the others.
const AEDES_ERRORS: Record<string, BrokerErrorCode> = {
  'drain timeout': 'slow-consumer',
  'topic has too many levels': 'topic-invalid',
};

export async function createBroker(opts: BrokerOptions): Promise<Broker> {
  const log = opts.logger.child({ module: 'broker' });
  const warn = createThrottledLog(log);
  const { parkId } = opts;
  const limits: BrokerLimits = withDefaults(DEFAULT_BROKER_LIMITS, opts.limits);
  const timing = withDefaults(DEFAULT_BROKER_TIMING, { connectTimeoutMs: opts.connectTimeoutMs, drainTimeoutMs: opts.drainTimeoutMs, queueLimit: opts.queueLimit });
  const topicLimits = { maxBytes: limits.maxTopicBytes, maxLevels: limits.maxTopicLevels };
  const auth = createAuthenticator(opts.registry);
  const flap = createFlapGuard(limits.flap);
  const accounts = new WeakMap<Client, Account>();
  const buckets = new WeakMap<Client, TokenBucket>();
  const stats: BrokerStats = { connections: 0, connectsAccepted: 0, publishesIn: 0, messagesOut: 0, busQueued: 0, admissionPauses: 0, admissionHeld: false, refused: {}, ackChain: null };
  const refuse = (code: BrokerErrorCode, fields: Record<string, unknown>): void => {
    stats.refused[code] = (stats.refused[code] ?? 0) + 1;
    // Throttled per code: a flood of bad input stays visible without flooding the log.
    warn(code, { code, ...fields }, 'refused');
  };
  // At CONNECT: Aedes sends the error's `returnCode` in the CONNACK, then closes (MQTT-3.2.2-5).
  const connectRefusal = (code: BrokerErrorCode, fields: Record<string, unknown>, detail?: string): AuthenticateError => {
    refuse(code, fields);
    return new BrokerError(code, detail) as BrokerError & AuthenticateError;
  };

  const disk: DiskPersistence | null = opts.persistence?.kind === 'disk' ? await openDiskPersistence(opts.persistence.dir) : null;
  let durable: DurableDelivery | null = null;
  let chain: AckChain | null = null;
  const bus = createSafeEmitter({ concurrency: 100 });
  const busLength = (): number => (bus as unknown as { length: number }).length;
  const gate = createAdmissionGate(limits.admission, busLength);
  const aedes = await Aedes.createBroker({
    // With a disk persistence the id must differ per start: stored queue keys are broker id +
    // counter, and the counter restarts at 0, so a reused id would overwrite queued messages of
    // the previous run (FACTS.md; test/broker/durable-restart.test.ts lost 297 of 600 that way).
    // Time-based ids also keep the queues in age order across restarts.
    id: disk ? `parkpulse-${parkId}-${Date.now()}` : `parkpulse-${parkId}`,
    // Aedes's bus, safe from the stack overflow Aedes 1.2 hits under QoS 0 overload (safe-emitter.ts).
    mq: bus,
    concurrency: 100,
    // In memory: aedes-persistence with indexed outgoing queues (memory-persistence.ts).
    persistence: disk ? disk.persistence : createMemoryPersistence(),
    connectTimeout: timing.connectTimeoutMs,
    drainTimeout: timing.drainTimeoutMs,
    queueLimit: timing.queueLimit,
    // Aedes's own level check (default and ceiling 100) closes the connection even for a SUBSCRIBE;
    // ours (text-checks.ts, lower) runs in the hooks below and denies just the one grant.
    authenticate(client, username, password, done) {
      const clientId = client.id;
      if (!isCleanIdentifier(clientId)) return done(connectRefusal('identifier-invalid', { clientId: excerpt(clientId) }), false);
      if (username !== undefined && !isCleanIdentifier(username)) return done(connectRefusal('username-invalid', { clientId, username: excerpt(username) }), false);
      const bannedMs = flap.attempt(clientId);
      if (bannedMs > 0) return done(connectRefusal('flapping-banned', { clientId, bannedMs }), false);
      const willTopic = (client as unknown as { _will?: { topic?: string } })._will?.topic;
      if (willTopic !== undefined && topicProblem(willTopic, topicLimits)) {
        return done(connectRefusal('topic-invalid', { clientId, will: excerpt(willTopic) }, 'last will topic'), false);
      }
      const user = username ?? '';
      auth
        .check(user, password)
        .then((result) => {
          if (!result.account) {
            const code = result.reason === 'revoked' ? 'auth-revoked' : 'auth-bad-credentials';
            return done(connectRefusal(code, { clientId, username: user, reason: result.reason }), false);
          }
          const account = result.account;
          if (!clientIdAllowed(account, clientId)) return done(connectRefusal('auth-client-id-mismatch', { clientId, username: user }), false);
          // Refuse a last will the account could never publish, at connect rather than at death.
          if (willTopic !== undefined && !canPublish(account, parkId, willTopic)) {
            return done(connectRefusal('auth-will-denied', { clientId, topic: willTopic }), false);
          }
          accounts.set(client, account);
          if (limits.rate.perSecond > 0) buckets.set(client, createTokenBucket(limits.rate));
          // Before the CONNACK is written, so a packet sent right after it meets the post-auth limit.
          (client.conn as unknown as PacketGuard).markAuthenticated();
          // Devices wait when the bus is full; services never do (their PUBACKs empty it).
          if (account.type === 'device') (client.conn as unknown as PacketGuard).useGate(gate);
          done(null, true);
        })
        .catch((err: Error) => done(connectRefusal('auth-unavailable', { clientId, err: err.message }), false));
    },
    authorizePublish(client, packet, done) {
      // client is null for the broker's own publishes ($SYS); wills come with their (closed) client.
      if (!client) return done(null);
      // A will is published as its client closes: it is not part of the client's message rate.
      if (!client.closed && buckets.get(client)?.take() === false) {
        refuse('rate-limited', { clientId: client.id });
        return done(new BrokerError('rate-limited', client.id));
      }
      const problem = topicProblem(packet.topic, topicLimits);
      if (problem) {
        refuse('topic-invalid', { clientId: client.id, problem, topic: excerpt(packet.topic) });
        return done(new BrokerError('topic-invalid', problem));
      }
      const account = accounts.get(client);
      if (!account || !canPublish(account, parkId, packet.topic)) {
        refuse('publish-denied', { clientId: client.id, topic: packet.topic });
        // MQTT 3.1.1 has no negative PUBACK: the error closes the connection (Aedes).
        return done(new BrokerError('publish-denied', packet.topic));
      }
      stats.publishesIn++;
      if (durable && packet.qos === 1) return durable.routeBeforeAck(client, packet, (err) => done(err ?? null));
      // A will is not acknowledged to anyone: it is routed as Aedes does.
      if (chain && packet.qos === 1 && account.type === 'device' && !client.closed) return chain.hold(client, packet, (err) => done(err ?? null));
      done(null);
    },
    authorizeSubscribe(client, sub, done) {
      const problem = topicProblem(sub.topic, topicLimits);
      if (problem) {
        refuse('topic-invalid', { clientId: client.id, problem, filter: excerpt(sub.topic) });
        return done(null, null);
      }
      const account = accounts.get(client);
      if (!account || !canSubscribe(account, parkId, sub.topic)) {
        refuse('subscribe-denied', { clientId: client.id, topic: sub.topic });
        // null grants 0x80 (failure) in the SUBACK; the connection stays up (MQTT-3.9.3).
        return done(null, null);
      }
      done(null, sub);
    },
    authorizeForward(_client, packet) {
      stats.messagesOut++;
      return packet;
    },
  });

  if (disk) {
    durable = enableDurableDelivery(aedes);
    log.info({ id: aedes.id, dir: opts.persistence?.kind === 'disk' ? opts.persistence.dir : undefined }, 'durable mode: QoS 1 queues on disk');
  } else if (opts.ack === 'ingest') {
    chain = enableAckChain(aedes, { logger: opts.logger, isIngest: (c) => { const a = accounts.get(c); return a?.type === 'service' && a.role === 'ingest'; } });
  }

  aedes.on('clientReady', (client) => {
    stats.connectsAccepted++;
    log.debug({ clientId: client.id }, 'client connected');
  });
  aedes.on('clientDisconnect', (client) => {
    log.debug({ clientId: client.id }, 'client disconnected');
  });
  // Aedes reports one error per failed write: a slow consumer with 100 queued packets reports 100.
  const counted = new WeakSet<Client>();
  aedes.on('clientError', (client, err) => {
    const code = AEDES_ERRORS[err.message];
    if (!code) return log.debug({ clientId: client.id, err: err.message }, 'client error');
    if (counted.has(client)) return;
    counted.add(client);
    refuse(code, { clientId: client.id });
  });
  aedes.on('connectionError', (client, err) => {
    log.debug({ clientId: client?.id, err: err.message }, 'connection error');
  });
  // Aedes emits 'client' per connection attempt, and 'clientDisconnect' only for those that got
  // as far as CONNECT; keep the live count from the streams themselves.
  const live = new Set<Duplex>();
  let closed = false;

  return {
    handle(stream, req) {
      const remote = (stream as { remoteAddress?: string }).remoteAddress ?? req?.socket.remoteAddress;
      if (closed) {
        stream.destroy();
        return;
      }
      if (live.size >= limits.maxConnections) {
        refuse('too-many-connections', { remote, limit: limits.maxConnections });
        stream.destroy();
        return;
      }
      const guarded = new PacketGuard(stream, limits, (code, detail) => refuse(code, { remote, detail }));
      live.add(guarded);
      guarded.once('close', () => live.delete(guarded));
      const client = aedes.handle(guarded, req) as unknown as Client;
      // A delivery Aedes' counter filter dropped would never be acknowledged, and with the chain
      // its device's PUBACK would wait for ever: both modes use the exact duplicate filter.
      if (durable || chain) guardDuplicates(client);
    },
    accountOf: (client) => accounts.get(client),
    replaceRegistry(registry) {
      auth.replace(registry);
      // Disconnect sessions whose account is gone or revoked.
      const clients = (aedes as unknown as { clients: Record<string, Client> }).clients;
      for (const client of Object.values(clients)) {
        const was = accounts.get(client);
        if (!was) continue;
        const now = auth.account(was.id);
        // Gone, revoked or rotated: the secret this session proved is no longer the account's.
        if (!now || now.status === 'revoked' || now.generation !== was.generation) {
          log.warn({ clientId: client.id, account: was.id }, 'closing session: account revoked or rotated');
          accounts.delete(client);
          client.close();
        }
      }
    },
    stats: () => ({ ...stats, connections: live.size, busQueued: busLength(), admissionPauses: gate.closings, admissionHeld: gate.closed, refused: { ...stats.refused }, ackChain: chain?.stats() ?? null }),
    limits,
    aedes,
    async close() {
      closed = true;
      gate.stop();
      await new Promise<void>((resolve) => {
        for (const s of live) s.destroy();
        aedes.close(() => resolve());
      });
      await disk?.close();
    },
  };
}
