// The broker core: Aedes with the park's authentication and ACL. It knows no transport: TCP, TLS
// and WebSocket listeners (listeners.ts) hand it streams through `handle()`.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from '../shared/logger.ts';
import type { Account, RegistryData } from '../shared/registry.ts';
import { canPublish, canSubscribe, clientIdAllowed } from './acl.ts';
import { createAuthenticator } from './authenticator.ts';
import { enableDurableDelivery, type DurableDelivery } from './durable-delivery.ts';
import { openDiskPersistence, type DiskPersistence } from './durable-persistence.ts';
import { BrokerError, type BrokerErrorCode } from './errors.ts';

export interface BrokerOptions {
  parkId: string;
  /** Accounts with hashed secrets (shared/registry.ts). */
  registry: RegistryData;
  logger: Logger;
  /** ms a new connection may take to send CONNECT; default 10 000. */
  connectTimeoutMs?: number;
  /** ms Aedes waits for a slow subscriber's socket to drain before dropping it; default 10 000. */
  drainTimeoutMs?: number;
  /** Queued QoS 0/1 packets per client before Aedes drops the client; default 42 (Aedes default) x 100. */
  queueLimit?: number;
  /**
   * Where QoS 1 queues of offline sessions, retained messages and wills live. `memory` (default):
   * fastest, lost with the process. `disk`: LevelDB in `dir`, survives a crash (README "Broker
   * durability" has the cost); the broker then acknowledges a message only once it is stored.
   */
  persistence?: { kind: 'memory' } | { kind: 'disk'; dir: string };
}

export interface BrokerStats {
  connections: number;
  connectsAccepted: number;
  publishesIn: number;
  refused: Partial<Record<BrokerErrorCode, number>>;
}

export interface Broker {
  /** Serve one client connection (any transport's duplex stream). */
  handle(stream: Duplex, req?: IncomingMessage): void;
  /** The account a connected client authenticated as. */
  accountOf(client: Client): Account | undefined;
  /** Swap the registry (rotation, revocation); sessions of revoked accounts are closed. */
  replaceRegistry(registry: RegistryData): void;
  stats(): BrokerStats;
  /** The Aedes instance, for listeners and tests that watch its events. */
  readonly aedes: Aedes;
  close(): Promise<void>;
}

function authError(code: BrokerErrorCode, detail?: string): AuthenticateError {
  const err = new BrokerError(code, detail) as BrokerError & AuthenticateError;
  // Aedes reads `returnCode` for the CONNACK (MQTT-3.2.2-5: then close the connection).
  return err;
}

export async function createBroker(opts: BrokerOptions): Promise<Broker> {
  const log = opts.logger.child({ module: 'broker' });
  const { parkId } = opts;
  const auth = createAuthenticator(opts.registry);
  const accounts = new WeakMap<Client, Account>();
  const stats: BrokerStats = { connections: 0, connectsAccepted: 0, publishesIn: 0, refused: {} };
  const refuse = (code: BrokerErrorCode, fields: Record<string, unknown>): void => {
    stats.refused[code] = (stats.refused[code] ?? 0) + 1;
    log.warn({ code, ...fields }, 'refused');
  };

  const disk: DiskPersistence | null = opts.persistence?.kind === 'disk' ? await openDiskPersistence(opts.persistence.dir) : null;
  let durable: DurableDelivery | null = null;
  const aedes = await Aedes.createBroker({
    // With a disk persistence the id must differ per start: stored queue keys are broker id +
    // counter, and the counter restarts at 0, so a reused id would overwrite queued messages of
    // the previous run (FACTS.md; test/broker/durable-restart.test.ts lost 297 of 600 that way).
    // Time-based ids also keep the queues in age order across restarts.
    id: disk ? `parkpulse-${parkId}-${Date.now()}` : `parkpulse-${parkId}`,
    ...(disk ? { persistence: disk.persistence } : {}),
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
    drainTimeout: opts.drainTimeoutMs ?? 10_000,
    queueLimit: opts.queueLimit ?? 4200,
    authenticate(client, username, password, done) {
      const user = username ?? '';
      auth
        .check(user, password)
        .then((result) => {
          if (!result.account) {
            refuse(result.reason === 'revoked' ? 'AUTH_REVOKED' : 'AUTH_BAD_CREDENTIALS', { clientId: client.id, username: user, reason: result.reason });
            return done(authError(result.reason === 'revoked' ? 'AUTH_REVOKED' : 'AUTH_BAD_CREDENTIALS'), false);
          }
          const account = result.account;
          if (!clientIdAllowed(account, client.id)) {
            refuse('AUTH_CLIENT_ID_MISMATCH', { clientId: client.id, username: user });
            return done(authError('AUTH_CLIENT_ID_MISMATCH'), false);
          }
          // Refuse a last will the account could never publish, at connect rather than at death.
          const will = (client as unknown as { _will?: { topic?: string } })._will;
          if (will?.topic !== undefined && !canPublish(account, parkId, will.topic)) {
            refuse('AUTH_WILL_DENIED', { clientId: client.id, topic: will.topic });
            return done(authError('AUTH_WILL_DENIED'), false);
          }
          accounts.set(client, account);
          done(null, true);
        })
        .catch((err: Error) => {
          refuse('AUTH_UNAVAILABLE', { clientId: client.id, err: err.message });
          done(authError('AUTH_UNAVAILABLE'), false);
        });
    },
    authorizePublish(client, packet, done) {
      // client is null for the broker's own publishes ($SYS, wills are published with the client).
      if (!client) return done(null);
      const account = accounts.get(client);
      if (!account || !canPublish(account, parkId, packet.topic)) {
        refuse('PUBLISH_DENIED', { clientId: client.id, topic: packet.topic });
        // MQTT 3.1.1 has no negative PUBACK: the error closes the connection (Aedes).
        return done(new BrokerError('PUBLISH_DENIED', packet.topic));
      }
      stats.publishesIn++;
      if (durable && packet.qos === 1) return durable.routeBeforeAck(client, packet, (err) => done(err ?? null));
      done(null);
    },
    authorizeSubscribe(client, sub, done) {
      const account = accounts.get(client);
      if (!account || !canSubscribe(account, parkId, sub.topic)) {
        refuse('SUBSCRIBE_DENIED', { clientId: client.id, topic: sub.topic });
        // null grants 0x80 (failure) in the SUBACK; the connection stays up (MQTT-3.9.3).
        return done(null, null);
      }
      done(null, sub);
    },
  });

  if (disk) {
    durable = enableDurableDelivery(aedes);
    log.info({ id: aedes.id, dir: opts.persistence?.kind === 'disk' ? opts.persistence.dir : undefined }, 'durable mode: QoS 1 queues on disk');
  }

  aedes.on('clientReady', (client) => {
    stats.connectsAccepted++;
    log.debug({ clientId: client.id }, 'client connected');
  });
  aedes.on('clientDisconnect', (client) => {
    log.debug({ clientId: client.id }, 'client disconnected');
  });
  aedes.on('clientError', (client, err) => {
    log.debug({ clientId: client.id, err: err.message }, 'client error');
  });
  aedes.on('connectionError', (client, err) => {
    log.debug({ clientId: client?.id, err: err.message }, 'connection error');
  });
  // Aedes emits 'client' per connection attempt, and 'clientDisconnect' only for those that got
  // as far as CONNECT; keep the live count from the streams themselves.
  const live = new Set<Duplex>();

  return {
    handle(stream, req) {
      live.add(stream);
      stream.once('close', () => live.delete(stream));
      const client = aedes.handle(stream, req) as unknown as Client;
      durable?.guardClient(client);
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
    stats: () => ({ ...stats, connections: live.size, refused: { ...stats.refused } }),
    aedes,
    async close() {
      await new Promise<void>((resolve) => {
        for (const s of live) s.destroy();
        aedes.close(() => resolve());
      });
      await disk?.close();
    },
  };
}
