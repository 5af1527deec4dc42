// What one ingest shard of a sharded park sees: its own devices (those the broker's partition
// mapping hashes to it), and the alert rules it owns. Enterprise-level rules need every meter of
// an enterprise, which spread over the shards, so they run in the park's aggregator instead.
import type { Alert } from '../../shared/schema.ts';
import type { ParkModel } from '../../shared/park-model.ts';
import { shardOf, type ShardSpec } from '../../shared/shard-topics.ts';
import type { DeviceKind } from '../../shared/topics.ts';
import type { AlertRules } from '../alerts/rules-config.ts';

/** Rules that need the whole park: the aggregator owns them in a sharded park. */
export const PARK_LEVEL_RULES = ['enterprise-overload'] as const;

export function ownsDevice(spec: ShardSpec, deviceId: string): boolean {
  return shardOf(deviceId, spec.count) === spec.index;
}

/**
 * The park model restricted to the shard's devices. Zones and enterprises stay whole (the map and
 * the enterprise list belong to the park); only `devices` and its lookups shrink.
 */
export function shardModel(model: ParkModel, spec: ShardSpec): ParkModel {
  const devices = model.devices.filter((d) => ownsDevice(spec, d.id));
  const byKind = new Map<DeviceKind, typeof devices>();
  for (const d of devices) byKind.set(d.kind, [...(byKind.get(d.kind) ?? []), d]);
  return Object.freeze({
    ...model,
    devices,
    deviceById: new Map(devices.map((d) => [d.id, d])),
    devicesOfKind: (kind: DeviceKind) => byKind.get(kind) ?? [],
  });
}

/** The shard's rules: the park-level ones are off (the aggregator runs them). */
export function shardRules(rules: AlertRules): AlertRules {
  const out = { ...rules, rules: { ...rules.rules } };
  for (const id of PARK_LEVEL_RULES) out.rules[id] = { ...out.rules[id], enabled: false };
  return out;
}

/** The aggregator's rules: only the park-level ones. */
export function aggregatorRules(rules: AlertRules): AlertRules {
  const out = { ...rules, rules: { ...rules.rules } };
  for (const id of Object.keys(out.rules) as (keyof AlertRules['rules'])[]) {
    if (!(PARK_LEVEL_RULES as readonly string[]).includes(id)) out.rules[id] = { ...out.rules[id], enabled: false } as never;
  }
  return out;
}

/** Which participant of a sharded park owns an alert: a shard (its device's), or the aggregator. */
export function alertOwner(alert: Pick<Alert, 'rule' | 'device'>, count: number): number | 'aggregator' {
  return (PARK_LEVEL_RULES as readonly string[]).includes(alert.rule) ? 'aggregator' : shardOf(alert.device, count);
}
