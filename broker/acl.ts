// Who may publish and subscribe where. Pure functions over an account and a topic, so the whole
// matrix is testable without a socket. The filters are built by the topic grammar's own functions
// (shared/topics.ts, shared/shard-topics.ts), never spelled out here.
import type { Account } from '../shared/registry.ts';
import { allShardsDeviceFilters, shardPartsFilter } from '../shared/shard-topics.ts';
import { alertsFilter, CHANNELS, commandTopic, deviceFilters, deviceTopic, liveFilter, noticesFilter, opsFilter, SYS_FILTER } from '../shared/topics.ts';

/** True when every topic matched by `requested` is also matched by `allowed` (MQTT-4.7 wildcards). */
export function filterCovers(allowed: string, requested: string): boolean {
  const a = allowed.split('/');
  const r = requested.split('/');
  for (let i = 0; i < a.length; i++) {
    const al = a[i]!;
    if (al === '#') return i === a.length - 1;
    const rl = r[i];
    if (rl === undefined) return false;
    if (rl === '#') return false; // requested reaches further than a non-# level allows
    if (al === '+') continue;
    if (rl === '+' || rl !== al) return false;
  }
  return r.length === a.length;
}

function hasWildcard(topic: string): boolean {
  return topic.includes('+') || topic.includes('#');
}

/** Topics (no wildcards) an account may publish on, as filters. */
export function publishFilters(account: Account, parkId: string): string[] {
  if (account.type === 'device') {
    return CHANNELS.map((ch) => deviceTopic(parkId, account.kind, account.id, ch));
  }
  switch (account.role) {
    case 'ingest': // a shard of a sharded park publishes its parts under shards/ for the aggregator
      return [liveFilter(parkId), alertsFilter(parkId), shardPartsFilter(parkId)];
    case 'screen':
      return [noticesFilter(parkId), opsFilter(parkId)];
    case 'recorder': // reads only; a recording tool never writes into the park
      return [];
    case 'aggregator': // a sharded park's live state and open alerts, merged from its shards
      return [liveFilter(parkId), alertsFilter(parkId)];
  }
}

/** Filters an account may subscribe to (requested filters must be covered by one). */
export function subscribeFilters(account: Account, parkId: string): string[] {
  if (account.type === 'device') return [commandTopic(parkId, account.kind, account.id)];
  switch (account.role) {
    case 'ingest': // device topics as they are, or as a cluster's shard mappings rewrote them
      return [...deviceFilters(parkId), ...allShardsDeviceFilters(parkId), opsFilter(parkId), SYS_FILTER];
    case 'screen':
      return [liveFilter(parkId), alertsFilter(parkId), noticesFilter(parkId), SYS_FILTER];
    case 'recorder': // device topics only: what devices said, not what services derived
      return [...deviceFilters(parkId), ...allShardsDeviceFilters(parkId)];
    case 'aggregator':
      return [shardPartsFilter(parkId), opsFilter(parkId), SYS_FILTER];
  }
}

interface PublishRule {
  parkId: string;
  /** Filters without wildcards: a topic is covered by one only when it is equal to it. */
  exact: ReadonlySet<string>;
  patterns: readonly string[];
}

// canPublish runs on every PUBLISH: building a device's topics and splitting them each time cost
// 1.05 µs a call, against 0.05 µs for the set (about 1% of a core at 12k/s, docs/facts.md). An account is a
// parsed registry entry, never changed in place (a reload brings new objects), so its rule is
// kept with it.
const publishRules = new WeakMap<Account, PublishRule>();

function publishRule(account: Account, parkId: string): PublishRule {
  let rule = publishRules.get(account);
  if (!rule || rule.parkId !== parkId) {
    const filters = publishFilters(account, parkId);
    rule = { parkId, exact: new Set(filters.filter((f) => !hasWildcard(f))), patterns: filters.filter(hasWildcard) };
    publishRules.set(account, rule);
  }
  return rule;
}

export function canPublish(account: Account, parkId: string, topic: string): boolean {
  if (hasWildcard(topic) || topic.startsWith('$')) return false; // MQTT-3.3.2-2; $-topics are the broker's own
  const rule = publishRule(account, parkId);
  return rule.exact.has(topic) || rule.patterns.some((f) => filterCovers(f, topic));
}

export function canSubscribe(account: Account, parkId: string, filter: string): boolean {
  // Devices never use wildcards, even inside their own subtree.
  if (account.type === 'device' && hasWildcard(filter)) return false;
  return subscribeFilters(account, parkId).some((f) => filterCovers(f, filter));
}

/** Client ids: a device uses its own id; a service its account id, optionally with a `-suffix`. */
export function clientIdAllowed(account: Account, clientId: string): boolean {
  if (account.type === 'device') return clientId === account.id;
  return clientId === account.id || (clientId.startsWith(`${account.id}-`) && /^[A-Za-z0-9_-]{1,64}$/.test(clientId));
}
