// What the ingest publishes about the park: the live state (a retained snapshot every few seconds
// and on every connect, a delta every interval) and the alert list. Deltas go out even when
// nothing changed: they are the ingest's heartbeat, by which the screen (or a sharded park's
// aggregator) tells a quiet park from a stopped ingest. A shard publishes its part under
// park/{p}/shards/k/ instead, and the aggregator merges the parts into the park's topics.
import type { MqttClient } from 'mqtt';
import { onceSoon } from '../shared/once-soon.ts';
import type { ParkModel } from '../shared/park-model.ts';
import type { LiveMessage } from '../shared/schema.ts';
import { shardPartTopic, type ShardSpec } from '../shared/shard-topics.ts';
import { alertsActiveTopic, liveTopic } from '../shared/topics.ts';
import type { DeviceStatusBook } from './device-status.ts';
import type { IngestCounters, LiveState } from './live-state.ts';

export interface LivePublisherOptions {
  client: MqttClient;
  /** The whole park (topics) and the part this ingest owns (its devices). */
  model: ParkModel;
  owned: ParkModel;
  shard: ShardSpec | null;
  live: LiveState;
  devices: DeviceStatusBook;
  /** Whether alerting runs: its timer then judges silence for the live state too. */
  alerting: boolean;
  /** The ingest's counters, sent with every snapshot and delta. */
  counters(): IngestCounters;
  now(): number;
  /** ms between deltas, sent whether or not anything changed. */
  liveIntervalMs: number;
  /** ms between retained snapshots. */
  snapshotIntervalMs: number;
}

export interface LivePublisher {
  /** Alerting's way out (alerting.attach): false while offline (it republishes in full on the next connect). */
  publishAlerts(topic: string, payload: string, retain: boolean): boolean;
  /** The retained snapshot of every owned device (on connect, periodically, at close). */
  publishSnapshot(): void;
  /** Stops the periodic deltas and snapshots (the ingest is closing); publishSnapshot still works. */
  stop(): void;
}

export function createLivePublisher(opts: LivePublisherOptions): LivePublisher {
  const { client, model, owned, shard, live, devices, now } = opts;
  const activeTopic = alertsActiveTopic(model.id);
  let stopped = false;

  function publishAlerts(topic: string, payload: string, retain: boolean): boolean {
    if (!client.connected) return false; // republished in full on the next connect
    if (shard && topic === activeTopic) {
      // A shard's open alerts go to the aggregator, which publishes the park's list.
      const { at, alerts } = JSON.parse(payload) as { at: number; alerts: unknown[] };
      client.publish(shardPartTopic(model.id, shard.index, 'alerts'), JSON.stringify({ shard: shard.index, count: shard.count, at, alerts }), { qos: 1, retain: true });
      deltaSoon();
      return true;
    }
    client.publish(topic, payload, { qos: 1, retain });
    // The statuses that explain the alerts go out right behind them, not up to a heartbeat later,
    // so the wall's counts and its alert board change together.
    if (topic === activeTopic) deltaSoon();
    return true;
  }

  const deltaSoon = onceSoon(() => publishDelta());
  function publishDelta(): void {
    if (!client.connected || stopped) return;
    if (!opts.alerting) devices.advance(now()); // with alerting, its timer judges silence for both
    publishLive('delta', live.takeDelta(now(), opts.counters()));
  }

  /** 5G nodes up with telemetry (the weight of this shard's node means when the aggregator merges). */
  function nodesReporting(): number {
    let n = 0;
    for (const d of owned.devicesOfKind('node5g')) {
      const l = live.device(d.id);
      if (l?.status === 'online' && l.t) n++;
    }
    return n;
  }

  function publishLive(part: 'snapshot' | 'delta', state: LiveMessage): void {
    if (!shard) {
      client.publish(liveTopic(model.id, part), JSON.stringify(state), { qos: 1, retain: part === 'snapshot' });
      return;
    }
    const body = { shard: shard.index, count: shard.count, at: state.summary.at, full: part === 'snapshot', nodesReporting: nodesReporting(), ...state };
    client.publish(shardPartTopic(model.id, shard.index, part), JSON.stringify(body), { qos: 1, retain: part === 'snapshot' });
  }

  function publishSnapshot(): void {
    if (!client.connected) return;
    publishLive('snapshot', live.snapshot(now(), opts.counters()));
  }
  const deltaTimer = setInterval(publishDelta, opts.liveIntervalMs);
  const snapshotTimer = setInterval(publishSnapshot, opts.snapshotIntervalMs);

  return {
    publishAlerts,
    publishSnapshot,
    stop() {
      stopped = true;
      clearInterval(deltaTimer);
      clearInterval(snapshotTimer);
    },
  };
}
