// What the broker checks at CONNECT, as Aedes's preConnect and authenticate hooks. Cheap checks
// come first and every refusal is counted under its code (broker/errors.ts); Aedes sends the
// refusal's `returnCode` in the CONNACK, then closes (MQTT-3.2.2-5), or closes without one for a
// CONNECT that breaks the protocol. The order matters against hostile clients: nothing a stranger
// does in a device's name may ban the device (auth-throttle.ts), and a secret is checked with
// scrypt only when nothing cheaper answers (authenticator.ts, kdf-budget.ts).
import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import type { Account } from '../shared/registry.ts';
import { shorten } from '../shared/text.ts';
import { canPublish, clientIdAllowed } from './acl.ts';
import type { AuthThrottle } from './auth-throttle.ts';
import type { Authenticator } from './authenticator.ts';
import { BrokerError, type BrokerErrorCode } from './errors.ts';
import type { FlapGuard } from './flap-guard.ts';
import type { PacketGuard } from './packet-guard.ts';
import { isCleanIdentifier, topicProblem, type TopicLimits } from './text-checks.ts';

export interface ConnectHookDeps {
  parkId: string;
  topicLimits: TopicLimits;
  auth: Authenticator;
  flap: FlapGuard;
  throttle: AuthThrottle;
  /** Counts and logs a refusal. */
  refuse(code: BrokerErrorCode, fields: Record<string, unknown>): void;
  /** The client authenticated as `account`: set up its session (called before the CONNACK). */
  admit(client: Client, account: Account): void;
}

/** A bounded, printable excerpt of client-chosen text for a log line. */
export const excerpt = (s: string | undefined): string | undefined => (s === undefined ? s : shorten(s, 81));

const remoteOf = (client: Client): string => (client.conn as unknown as PacketGuard).remoteAddress;

type PreConnectHandler = NonNullable<AedesOptions['preConnect']>;
type AuthenticateHandler = NonNullable<AedesOptions['authenticate']>;

export function createConnectHooks(deps: ConnectHookDeps): { preConnect: PreConnectHandler; authenticate: AuthenticateHandler } {
  const { parkId, topicLimits, auth, flap, throttle, refuse } = deps;
  // Connections whose CONNECT carried an empty client id (Aedes then makes one up).
  const emptyIds = new WeakSet<Client>();
  const connectRefusal = (code: BrokerErrorCode, fields: Record<string, unknown>, detail?: string): AuthenticateError => {
    refuse(code, fields);
    return new BrokerError(code, detail) as BrokerError & AuthenticateError;
  };

  return {
    // The CONNECT as parsed, before Aedes acts on it: what MQTT 3.1.1 requires that Aedes 1.2 does
    // not check, and a count of the protocol versions it refuses.
    preConnect(client, packet, done) {
      const remote = remoteOf(client);
      if (packet.protocolVersion !== 3 && packet.protocolVersion !== 4) {
        // Aedes answers CONNACK 1, unacceptable protocol version (MQTT-3.1.2-2).
        refuse('protocol-unsupported', { remote, version: packet.protocolVersion });
        return done(null, true);
      }
      // MQTT-3.1.2-14: Will QoS must not be 3.
      if (packet.will && (packet.will.qos as number) > 2) return done(connectRefusal('connect-invalid', { remote, problem: 'will qos 3' }, 'MQTT-3.1.2-14'), false);
      // MQTT-3.1.2-22: no password without a user name.
      if (packet.password !== undefined && packet.username === undefined) return done(connectRefusal('connect-invalid', { remote, problem: 'password without user name' }, 'MQTT-3.1.2-22'), false);
      if (!packet.clientId) emptyIds.add(client);
      done(null, true);
    },
    authenticate(client, username, password, done) {
      const clientId = client.id;
      const remote = remoteOf(client);
      // MQTT-3.1.3-8: an empty client id needs CleanSession=1, else CONNACK 2 and close.
      if (emptyIds.has(client) && !client.clean) return done(connectRefusal('identifier-invalid', { remote, problem: 'empty client id with CleanSession=0' }, 'MQTT-3.1.3-8'), false);
      if (!isCleanIdentifier(clientId)) return done(connectRefusal('identifier-invalid', { remote, clientId: excerpt(clientId) }), false);
      if (username !== undefined && !isCleanIdentifier(username)) return done(connectRefusal('username-invalid', { remote, clientId, username: excerpt(username) }), false);
      // A ban comes only from authenticated reconnects (below), so no stranger can cause one.
      const bannedMs = flap.bannedFor(clientId);
      if (bannedMs > 0) return done(connectRefusal('flapping-banned', { remote, clientId, bannedMs }), false);
      const willTopic = (client as unknown as { _will?: { topic?: string } })._will?.topic;
      if (willTopic !== undefined && topicProblem(willTopic, topicLimits)) {
        return done(connectRefusal('topic-invalid', { remote, clientId, will: excerpt(willTopic) }, 'last will topic'), false);
      }
      const user = username ?? '';
      // Failures the caller could have avoided: counted against its address (auth-throttle.ts).
      const fail = (code: BrokerErrorCode, fields: Record<string, unknown>): void => {
        throttle.failed(remote, clientId);
        done(connectRefusal(code, { remote, clientId, username: user, ...fields }), false);
      };
      const found = auth.lookup(user);
      if (!found.account) return fail(found.reason === 'revoked' ? 'auth-revoked' : 'auth-bad-credentials', { reason: found.reason });
      const account = found.account;
      // Checks that cost nothing come before the secret's.
      if (!clientIdAllowed(account, clientId)) return fail('auth-client-id-mismatch', {});
      // Refuse a last will the account could never publish, at connect rather than at death.
      if (willTopic !== undefined && !canPublish(account, parkId, willTopic)) return fail('auth-will-denied', { topic: willTopic });
      // The throttle is asked again right before the scrypt run (it may have waited in the queue
      // behind the first failures of the same address), and the run is skipped for a client that
      // hung up meanwhile.
      const throttled = (): boolean => throttle.throttled(remote, clientId);
      auth
        .verify(account, password, { throttled, wanted: () => !client.closed && !throttled() })
        .then((result) => {
          // Still a failed authentication: an address that keeps trying stays throttled.
          if (result === 'throttled' || (result === 'busy' && throttled())) return fail('auth-throttled', {});
          if (result === 'busy') return done(connectRefusal('auth-busy', { remote, clientId }), false);
          if (result === 'bad-secret') return fail('auth-bad-credentials', { reason: 'bad-secret' });
          throttle.succeeded(remote, clientId);
          const flapMs = flap.attempt(clientId);
          if (flapMs > 0) return done(connectRefusal('flapping-banned', { remote, clientId, bannedMs: flapMs }), false);
          deps.admit(client, account);
          done(null, true);
        })
        .catch((err: Error) => done(connectRefusal('auth-unavailable', { remote, clientId, err: err.message }), false));
    },
  };
}
