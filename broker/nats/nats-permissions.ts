// The park's ACL (broker/acl.ts) in NATS terms, so an account may do on the cluster exactly what it
// may do on the Aedes broker. nats-server maps an MQTT topic to a subject level by level (`/` ->
// `.`, `+` -> `*`), and an MQTT filter `a/#` to two subscriptions, `a` and `a.>`.
//
// What NATS needs beyond the ACL itself:
// - `$MQTT.sub.>` to subscribe: a QoS 1 subscription is a JetStream consumer delivering on
//   `$MQTT.sub.<nuid>`, which nats-server subscribes as the client (server/mqtt.go
//   processJSConsumer), so the user's permissions must allow it. MQTT clients cannot subscribe to
//   it themselves (nats-server refuses filters on that prefix), and users are MQTT-only
//   (`allowed_connection_types`), so nobody reads another client's deliveries through it.
// - Publish permissions apply to the subject after the account's mappings: in a sharded park a
//   device publishes `park.<p>.<kind>.<id>.<ch>`, which the mapping rewrites to
//   `shard.<k>.park...` before the check. A device may publish both, with its own k only.
//   Without the mapped form nats-server acknowledges the publish and drops it.
// - `$SYS/#` (Aedes's broker topics) has no MQTT counterpart on NATS and is left out.
import { publishFilters, subscribeFilters } from '../acl.ts';
import type { Account } from '../../shared/registry.ts';
import { shardOf } from '../../shared/shard-topics.ts';

/** The NATS subject of an MQTT topic, or the subjects of an MQTT filter. */
export function mqttFilterToSubjects(filter: string): string[] {
  const levels = filter.split('/');
  if (levels.some((l) => l === '' || l.includes('.') || /[\s*>]/.test(l))) throw new TypeError(`topic ${JSON.stringify(filter)} has no NATS subject form`);
  const mapped = levels.map((l) => (l === '+' ? '*' : l));
  if (mapped.at(-1) !== '#') return [mapped.join('.')];
  const parent = mapped.slice(0, -1);
  return parent.length === 0 ? ['>'] : [parent.join('.'), `${parent.join('.')}.>`];
}

export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
}

const MQTT_DELIVERY = '$MQTT.sub.>';

/** The account's permissions on the cluster; `shards` > 1 adds a device's shard subjects. */
export function natsPermissions(account: Account, parkId: string, shards: number): NatsPermissions {
  const publish: string[] = [];
  for (const topic of publishFilters(account, parkId)) {
    publish.push(...mqttFilterToSubjects(topic));
    if (account.type === 'device' && shards > 1) publish.push(...mqttFilterToSubjects(`shard/${shardOf(account.id, shards)}/${topic}`));
  }
  const subscribe: string[] = [];
  for (const filter of subscribeFilters(account, parkId)) {
    if (filter.startsWith('$SYS/')) continue;
    subscribe.push(...mqttFilterToSubjects(filter));
  }
  if (subscribe.length > 0) subscribe.push(MQTT_DELIVERY);
  return { publish: [...new Set(publish)], subscribe: [...new Set(subscribe)] };
}
