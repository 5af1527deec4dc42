// The broker's limits and connection timing, with their defaults: the one place they are declared
// (the CLI's settings table reads its defaults from here, bin/config/settings.ts). Each field is
// enforced where its comment points; createBroker merges overrides over these (shared/options.ts).
import { DEFAULT_ADMISSION, type AdmissionLimits } from './admission-gate.ts';
import { DEFAULT_MAX_PENDING_PER_CLIENT } from './ack-chain.ts';
import { DEFAULT_AUTH_FAILURE_LIMITS, type AuthFailureLimits } from './auth-throttle.ts';
import type { FlapLimits } from './flap-guard.ts';
import { DEFAULT_KDF_LIMITS, type KdfLimits } from './kdf-budget.ts';
import type { RateLimit } from './rate-limiter.ts';

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
  /**
   * Flapping ban on authenticated CONNECTs (a stranger's failures never count here); maxConnects
   * 0 disables. Default 15 CONNECTs per 60 s, then 300 s banned.
   */
  flap: FlapLimits;
  /** Failed authentications per source address and per address + client id (auth-throttle.ts). */
  authFailures: AuthFailureLimits;
  /** Broker-wide budget of secret verifications (kdf-budget.ts). */
  kdf: KdfLimits;
  /** ms a packet may stay half-sent before the connection is cut (even with keepalive 0); default 60 000. */
  packetTimeoutMs: number;
  /**
   * Deliveries the bus (mqemitter) runs at once before it queues messages; default 10 000 (Aedes's
   * default is 100). A QoS 1 delivery to a subscriber keeps its slot until its write completes, and
   * once a turn's writes pass the socket's 16 KiB high-water mark that waits for the socket's
   * 'drain' (measured when that came only in the next turn, before the packet guard sent full
   * batches at once), so 100 slots allowed ~100 deliveries per event-loop turn: with 400 paced devices at
   * 12k msg/s the bus queued to the admission gate's 5000 and device reads paused (steady p99
   * 432-573 ms against 139-282 ms with 10 000, docs/facts.md). The admission gate still bounds what
   * waits beyond these slots.
   */
  busConcurrency: number;
  /** Bus queue (messages) at which device reads pause and resume (admission-gate.ts); default 5000/1000. */
  admission: AdmissionLimits;
  /**
   * `ack: 'ingest'`: device messages of one connection that may wait to be stored before its
   * reads pause, until half of them are (ack-chain.ts). Default 100.
   */
  maxPendingAcks: number;
}

export const DEFAULT_BROKER_LIMITS: Readonly<BrokerLimits> = Object.freeze({
  maxConnections: 5000,
  maxConnectBytes: 8192,
  maxPacketBytes: 1024 * 1024,
  maxTopicBytes: 256,
  maxTopicLevels: 10,
  rate: { perSecond: 200, burst: 400 },
  flap: { maxConnects: 15, windowMs: 60_000, banMs: 300_000 },
  authFailures: DEFAULT_AUTH_FAILURE_LIMITS,
  kdf: DEFAULT_KDF_LIMITS,
  packetTimeoutMs: 60_000,
  busConcurrency: 10_000,
  admission: DEFAULT_ADMISSION,
  maxPendingAcks: DEFAULT_MAX_PENDING_PER_CLIENT,
});

/** Connection timing of the broker (the BrokerOptions fields of the same names). */
export interface BrokerTiming {
  /** ms a new connection may take to send CONNECT; default 10 000. */
  connectTimeoutMs: number;
  /** ms a subscriber's socket may stay full before the client is cut off (slow consumer); default 10 000. */
  drainTimeoutMs: number;
  /** Queued QoS 0/1 packets per client before Aedes drops the client; default 42 (Aedes default) x 100. */
  queueLimit: number;
}

export const DEFAULT_BROKER_TIMING: Readonly<BrokerTiming> = Object.freeze({ connectTimeoutMs: 10_000, drainTimeoutMs: 10_000, queueLimit: 4200 });
