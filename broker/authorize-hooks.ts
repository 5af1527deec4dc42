// What the broker checks on every PUBLISH and SUBSCRIBE of a connected client, as Aedes's
// authorizePublish, authorizeSubscribe and authorizeForward hooks (the CONNECT checks are in
// connect-hooks.ts). Every refusal is counted under its code (broker/errors.ts). MQTT 3.1.1 has no
// negative PUBACK, so a refused PUBLISH closes the connection (Aedes); a refused SUBSCRIBE only
// denies that grant (0x80 in the SUBACK, MQTT-3.9.3) and the connection stays up.
//
// A QoS 1 message allowed here may be held before Aedes writes its PUBACK (durable-delivery.ts,
// ack-chain.ts): the PUBACKs owed are counted per client, so a client cut for its rate gets the
// ones already owed before its connection closes.
import type { AedesOptions, Client, PublishPacket } from 'aedes';
import type { Account } from '../shared/registry.ts';
import { canPublish, canSubscribe } from './acl.ts';
import { excerpt } from './connect-hooks.ts';
import { BrokerError, type BrokerErrorCode } from './errors.ts';
import type { PacketGuard } from './packet-guard.ts';
import { TOO_DEEP_FILTER } from './parser-hooks.ts';
import type { TokenBucket } from './rate-limiter.ts';
import type { Done } from './routed-publish.ts';
import { topicProblem, type TopicLimits } from './text-checks.ts';

/** Routes an allowed QoS 1 message and calls `done` once its PUBACK may be written. */
export type HoldFn = (client: Client, packet: PublishPacket, done: Done) => void;

export interface AuthorizeHookDeps {
  parkId: string;
  topicLimits: TopicLimits;
  /** Counts and logs a refusal. */
  refuse(code: BrokerErrorCode, fields: Record<string, unknown>): void;
  accountOf(client: Client): Account | undefined;
  /** The client's PUBLISH rate bucket; none when the rate limit is off. */
  bucketOf(client: Client): TokenBucket | undefined;
  /** Whether the client's account was revoked or rotated while it was connected. */
  isRevoked(client: Client): boolean;
  /** Called for each PUBLISH allowed (the broker's `publishesIn`). */
  accepted(): void;
  /** Who holds this QoS 1 message's PUBACK (durable delivery, the ack chain); null: Aedes, at once. */
  holdFor(client: Client, account: Account): HoldFn | null;
  /** Called for each delivery to a subscriber (the broker's `messagesOut`). */
  forwarded(): void;
}

type AuthorizeHooks = Required<Pick<AedesOptions, 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>>;

export function createAuthorizeHooks(deps: AuthorizeHookDeps): AuthorizeHooks {
  const { parkId, topicLimits, refuse } = deps;
  // Clients being cut for their rate: the promise resolves once the PUBACKs already owed are sent.
  const cutting = new WeakMap<Client, Promise<void>>();
  // Publishes authorized whose PUBACK may not be written yet (held until stored).
  const owed = new WeakMap<Client, number>();

  /** Stops taking the client's packets; resolves once every PUBACK owed to it has been written out. */
  async function cutUntilAcked(client: Client, guard: PacketGuard): Promise<void> {
    const deadline = Date.now() + 2000;
    while ((owed.get(client) ?? 0) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await guard.flushBeforeClose(Math.max(0, deadline - Date.now()));
  }

  return {
    authorizePublish(client, packet, done) {
      // client is null for the broker's own publishes ($SYS); wills come with their (closed) client.
      if (!client) return done(null);
      // MQTT-2.3.1-1: a QoS 1 or 2 PUBLISH carries a non-zero packet identifier (a will, published
      // as its client closes, has none).
      if (packet.qos > 0 && !packet.messageId && !client.closed) {
        refuse('packet-malformed', { clientId: client.id, problem: 'packet id 0', rule: 'MQTT-2.3.1-1' });
        return done(new BrokerError('packet-malformed', 'MQTT-2.3.1-1: QoS > 0 PUBLISH with packet id 0'));
      }
      // Being cut for its rate: nothing more is taken; the close waits for the PUBACKs owed.
      const cut = cutting.get(client);
      if (cut) return void cut.then(() => done(new BrokerError('rate-limited', client.id)));
      // A will is published as its client closes: it is not part of the client's message rate.
      if (!client.closed && deps.bucketOf(client)?.take() === false) {
        refuse('rate-limited', { clientId: client.id });
        const guard = client.conn as unknown as PacketGuard;
        const pending = cutUntilAcked(client, guard);
        cutting.set(client, pending);
        return void pending.then(() => done(new BrokerError('rate-limited', client.id)));
      }
      // The session of a revoked or rotated account: its will goes out (the screen learns it is
      // offline), nothing else.
      if (deps.isRevoked(client) && !client.closed) {
        refuse('publish-denied', { clientId: client.id, topic: packet.topic, problem: 'account revoked or rotated' });
        return done(new BrokerError('publish-denied', packet.topic));
      }
      const problem = topicProblem(packet.topic, topicLimits);
      if (problem) {
        refuse('topic-invalid', { clientId: client.id, problem, topic: excerpt(packet.topic) });
        return done(new BrokerError('topic-invalid', problem));
      }
      const account = deps.accountOf(client);
      if (!account || !canPublish(account, parkId, packet.topic)) {
        refuse('publish-denied', { clientId: client.id, topic: packet.topic });
        // MQTT 3.1.1 has no negative PUBACK: the error closes the connection (Aedes).
        return done(new BrokerError('publish-denied', packet.topic));
      }
      deps.accepted();
      const hold = packet.qos === 1 ? deps.holdFor(client, account) : null;
      if (hold) {
        owed.set(client, (owed.get(client) ?? 0) + 1);
        return hold(client, packet, (err) => {
          owed.set(client, (owed.get(client) ?? 1) - 1);
          done(err ?? null);
        });
      }
      done(null);
    },
    authorizeSubscribe(client, sub, done) {
      const problem = sub.topic === TOO_DEEP_FILTER ? 'too-deep' : topicProblem(sub.topic, topicLimits);
      if (problem) {
        refuse('topic-invalid', { clientId: client.id, problem, filter: excerpt(sub.topic) });
        return done(null, null);
      }
      const account = deps.accountOf(client);
      if (!account || !canSubscribe(account, parkId, sub.topic)) {
        refuse('subscribe-denied', { clientId: client.id, topic: sub.topic });
        // null grants 0x80 (failure) in the SUBACK; the connection stays up (MQTT-3.9.3).
        return done(null, null);
      }
      done(null, sub);
    },
    authorizeForward(_client, packet) {
      deps.forwarded();
      return packet;
    },
  };
}
