// The broker core: Aedes with the park's authentication, ACL and limits. It knows no transport:
// TCP, TLS and WebSocket listeners (listeners.ts) hand it byte streams through `handle()`, and
// every stream passes the packet guard (packet-guard.ts) before Aedes parses a byte of it.
// Its limits and their defaults are in broker-limits.ts; what it checks at CONNECT is in
// connect-hooks.ts, and on each PUBLISH and SUBSCRIBE in authorize-hooks.ts.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type Client } from 'aedes';
import type { Logger } from '../shared/logger.ts';
import type { Account, RegistryData } from '../shared/registry.ts';
import { withDefaults } from '../shared/options.ts';
import { createThrottledLog } from '../shared/throttled-log.ts';
import { createAuthenticator } from './authenticator.ts';
import { createAuthorizeHooks } from './authorize-hooks.ts';
import { DEFAULT_BROKER_LIMITS, DEFAULT_BROKER_TIMING, type BrokerLimits } from './broker-limits.ts';
import { createConnectHooks } from './connect-hooks.ts';
import { hookParser } from './parser-hooks.ts';
import { createMemoryPersistence } from './memory-persistence.ts';
import { createSafeEmitter } from './safe-emitter.ts';
import { enableAckChain, type AckChain, type AckChainStats } from './ack-chain.ts';
import { enableBusFeeds, type BusFeeds, type BusFeedStats } from './bus-feed.ts';
import type { FeedConsumer, FeedHandle } from '../shared/bus-feed.ts';
import { enableDurableDelivery, guardDuplicates, type DurableDelivery } from './durable-delivery.ts';
import { openDiskPersistence, type DiskPersistence } from './durable-persistence.ts';
import type { BrokerErrorCode } from './errors.ts';
import { createAdmissionGate } from './admission-gate.ts';
import { createAuthThrottle } from './auth-throttle.ts';
import { createFlapGuard } from './flap-guard.ts';
import { createKdfBudget } from './kdf-budget.ts';
import { PacketGuard, type StallClock } from './packet-guard.ts';
import { createTokenBucket, type TokenBucket } from './rate-limiter.ts';

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
  /** Overrides of DEFAULT_BROKER_LIMITS (broker-limits.ts). */
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
  /** With `ack: 'ingest'`: messages handed to in-process consumers (bus-feed.ts); null otherwise. */
  busFeed: BusFeedStats | null;
  /** scrypt runs (secret verifications that could not be answered from memory). */
  kdfRuns: number;
}

export interface Broker {
  /** Serve one client connection (any transport's duplex stream). */
  handle(stream: Duplex, req?: IncomingMessage): void;
  /** The account a connected client authenticated as. */
  accountOf(client: Client): Account | undefined;
  /** Swap the registry (rotation, revocation); sessions of revoked/rotated accounts are closed. */
  replaceRegistry(registry: RegistryData): void;
  stats(): BrokerStats;
  /**
   * An ingest in this process takes device messages from the bus (bus-feed.ts), and device
   * PUBACKs wait for it as for a persistent ingest session. Only with `ack: 'ingest'` (throws
   * otherwise: with `receipt` or the disk persistence nothing would hold the PUBACK for it).
   */
  attachFeed(consumer: FeedConsumer): Promise<FeedHandle>;
  /** Whether attachFeed is available (`ack: 'ingest'` with the memory persistence). */
  readonly feedable: boolean;
  /** Counts (and logs) a refusal a transport made itself (a WebSocket frame over the limit). */
  refuse(code: BrokerErrorCode, fields: Record<string, unknown>): void;
  readonly limits: Readonly<BrokerLimits>;
  /** The Aedes instance, for listeners and tests that watch its events. */
  readonly aedes: Aedes;
  close(): Promise<void>;
}

// Aedes errors that are refusals in our terms, so they are counted like the others.
const AEDES_ERRORS: Record<string, BrokerErrorCode> = {
  'drain timeout': 'slow-consumer',
  'topic has too many levels': 'topic-invalid',
  'connect did not arrive in time': 'connect-timeout',
};

export async function createBroker(opts: BrokerOptions): Promise<Broker> {
  const log = opts.logger.child({ module: 'broker' });
  const warn = createThrottledLog(log);
  const { parkId } = opts;
  const limits: BrokerLimits = withDefaults(DEFAULT_BROKER_LIMITS, opts.limits);
  const timing = withDefaults(DEFAULT_BROKER_TIMING, { connectTimeoutMs: opts.connectTimeoutMs, drainTimeoutMs: opts.drainTimeoutMs, queueLimit: opts.queueLimit });
  const topicLimits = { maxBytes: limits.maxTopicBytes, maxLevels: limits.maxTopicLevels };
  const kdf = createKdfBudget(limits.kdf);
  const auth = createAuthenticator(opts.registry, kdf);
  const flap = createFlapGuard(limits.flap);
  const throttle = createAuthThrottle(limits.authFailures);
  // Sessions closed because their account was revoked or rotated: only their will may still publish.
  const revokedSessions = new WeakSet<Client>();
  const accounts = new WeakMap<Client, Account>();
  const buckets = new WeakMap<Client, TokenBucket>();
  const stats: BrokerStats = { connections: 0, connectsAccepted: 0, publishesIn: 0, messagesOut: 0, busQueued: 0, admissionPauses: 0, admissionHeld: false, refused: {}, kdfRuns: 0, ackChain: null, busFeed: null };
  const refuse = (code: BrokerErrorCode, fields: Record<string, unknown>): void => {
    stats.refused[code] = (stats.refused[code] ?? 0) + 1;
    // Throttled per code: a flood of bad input stays visible without flooding the log.
    warn(code, { code, ...fields }, 'refused');
  };

  const disk: DiskPersistence | null = opts.persistence?.kind === 'disk' ? await openDiskPersistence(opts.persistence.dir) : null;
  let durable: DurableDelivery | null = null;
  let feeds: BusFeeds | null = null;
  let chain: AckChain | null = null;
  const bus = createSafeEmitter({ concurrency: limits.busConcurrency });
  const busLength = (): number => (bus as unknown as { length: number }).length;
  const gate = createAdmissionGate(limits.admission, busLength);
  const connectHooks = createConnectHooks({
    parkId, topicLimits, auth, flap, throttle, refuse,
    admit(client, account) {
      accounts.set(client, account);
      if (limits.rate.perSecond > 0) buckets.set(client, createTokenBucket(limits.rate));
      // Before the CONNACK is written, so a packet sent right after it meets the post-auth limit.
      (client.conn as unknown as PacketGuard).markAuthenticated();
      // Devices wait when the bus is full; services never do (their PUBACKs empty it).
      if (account.type === 'device') (client.conn as unknown as PacketGuard).useGate(gate);
    },
  });
  const aedes = await Aedes.createBroker({
    // With a disk persistence the id must differ per start: stored queue keys are broker id +
    // counter, and the counter restarts at 0, so a reused id would overwrite queued messages of
    // the previous run (docs/facts.md; test/broker/durable-restart.test.ts lost 297 of 600 that way).
    // Time-based ids also keep the queues in age order across restarts.
    id: disk ? `parkpulse-${parkId}-${Date.now()}` : `parkpulse-${parkId}`,
    // Aedes's bus, safe from the stack overflow Aedes 1.2 hits under QoS 0 overload (safe-emitter.ts).
    mq: bus,
    // Aedes sets each connection's listener limit from it (a 'drain' listener per waiting write).
    concurrency: limits.busConcurrency,
    // In memory: aedes-persistence with indexed outgoing queues (memory-persistence.ts).
    persistence: disk ? disk.persistence : createMemoryPersistence(),
    connectTimeout: timing.connectTimeoutMs,
    drainTimeout: timing.drainTimeoutMs,
    queueLimit: timing.queueLimit,
    // Aedes's own level check (default and ceiling 100) closes the connection even for a SUBSCRIBE;
    // ours (text-checks.ts, lower) runs in the hooks below and denies just the one grant.
    ...connectHooks,
    // PUBLISH and SUBSCRIBE checks, and the PUBACKs held until stored (authorize-hooks.ts).
    ...createAuthorizeHooks({
      parkId, topicLimits, refuse,
      accountOf: (client) => accounts.get(client),
      bucketOf: (client) => buckets.get(client),
      isRevoked: (client) => revokedSessions.has(client),
      accepted: () => void stats.publishesIn++,
      forwarded: () => void stats.messagesOut++,
      // A will is not acknowledged to anyone: with the chain it is routed as Aedes does.
      holdFor: (client, account) => (durable ? durable.routeBeforeAck : chain && account.type === 'device' && !client.closed ? chain.hold : null),
    }),
  });

  if (disk) {
    durable = enableDurableDelivery(aedes);
    log.info({ id: aedes.id, dir: opts.persistence?.kind === 'disk' ? opts.persistence.dir : undefined }, 'durable mode: QoS 1 queues on disk');
  } else if (opts.ack === 'ingest') {
    chain = enableAckChain(aedes, {
      logger: opts.logger,
      maxPendingPerClient: limits.maxPendingAcks,
      pause: (c) => (c.conn as unknown as PacketGuard).holdForAcks(),
      resume: (c) => (c.conn as unknown as PacketGuard).releaseForAcks(),
      isIngest: (c) => {
        const a = accounts.get(c);
        return a?.type === 'service' && a.role === 'ingest';
      },
    });
    feeds = enableBusFeeds(aedes, chain, opts.logger);
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
    const code = AEDES_ERRORS[err.message];
    if (code) return refuse(code, { remote: (client?.conn as unknown as PacketGuard | undefined)?.remoteAddress });
    log.debug({ clientId: client?.id, err: err.message }, 'connection error');
  });
  // Aedes emits 'client' per connection attempt, and 'clientDisconnect' only for those that got
  // as far as CONNECT; keep the live count from the streams themselves.
  const live = new Set<PacketGuard>();
  // Half-sent packets: one sweep per tick over every connection (packet-guard.ts checkStall).
  const tickMs = Math.max(50, Math.min(1000, Math.floor(limits.packetTimeoutMs / 4)));
  const stallTicks = Math.ceil(limits.packetTimeoutMs / tickMs);
  const clock: StallClock = { tick: 1 };
  const stallTimer = setInterval(() => {
    clock.tick++;
    for (const g of live) g.checkStall(stallTicks);
  }, tickMs);
  stallTimer.unref();

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
      const guarded = new PacketGuard(stream, limits, (code, detail) => refuse(code, { remote, detail }), remote ?? 'unknown', clock);
      live.add(guarded);
      guarded.once('close', () => live.delete(guarded));
      const client = aedes.handle(guarded, req) as unknown as Client;
      // Parser errors counted; filters deeper than Aedes allows made deniable; PUBLISH and PUBACK
      // parsed the short way (parser-hooks.ts).
      hookParser(client, (err) => refuse('packet-malformed', { remote, clientId: client.id, detail: err.message }));
      // A delivery Aedes' counter filter dropped would never be acknowledged, and with the chain
      // its device's PUBACK would wait for ever: both modes use the exact duplicate filter.
      if (durable || chain) guardDuplicates(client);
    },
    accountOf: (client) => accounts.get(client),
    refuse,
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
          // The account stays attached so the session's last will (checked against it at
          // CONNECT) is published as it closes: the screen then shows the device offline.
          revokedSessions.add(client);
          client.close();
        }
      }
    },
    // Deliveries to the in-process ingest count as deliveries to subscribers.
    stats: () => ({ ...stats, messagesOut: stats.messagesOut + (feeds?.stats().delivered ?? 0), kdfRuns: auth.stats.kdfRuns, connections: live.size, busQueued: busLength(), admissionPauses: gate.closings, admissionHeld: gate.closed, refused: { ...stats.refused }, ackChain: chain?.stats() ?? null, busFeed: feeds?.stats() ?? null }),
    attachFeed(consumer) {
      if (!feeds) return Promise.reject(new Error('an in-process ingest needs the memory persistence with --broker-ack ingest'));
      return feeds.attach(consumer);
    },
    get feedable() {
      return feeds !== null;
    },
    limits,
    aedes,
    async close() {
      closed = true;
      feeds?.stop(); // before the connections go: their wills are the broker's closing, not news
      clearInterval(stallTimer);
      gate.stop();
      await new Promise<void>((resolve) => {
        for (const s of live) s.destroy();
        aedes.close(() => resolve());
      });
      await disk?.close();
    },
  };
}
