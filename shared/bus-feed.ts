// The contract between the broker and an ingest that share a process (`parkpulse all`): the
// ingest takes device messages from the broker's in-process bus instead of through an MQTT
// session (broker/bus-feed.ts has the broker's side, ingest/create-ingest.ts the ingest's).
// Neither side imports the other; bin/services.ts joins them.

/** A message as the bus hands it over. */
export interface FeedMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  /** True only for a retained message replayed when the feed attaches (as MQTT sets it on SUBSCRIBE). */
  retain: boolean;
}

export interface FeedConsumer {
  /**
   * Who takes the messages (the ingest's account). While it is away (between a detach and its next
   * attach) the broker holds the device messages it takes unrouted, as for an offline session.
   */
  name: string;
  /** Topic filters taken, as an MQTT subscription at QoS 1 would take them. */
  filters: readonly string[];
  /**
   * Every message on those topics, and the retained ones when it attaches. Resolves once the
   * message may be acknowledged to its device: stored, or rejected and counted. A rejection (the
   * ingest shutting down) leaves the device's PUBACK unsent: the device sends it again.
   */
  onMessage(message: FeedMessage): Promise<void>;
}

export interface FeedHandle {
  /**
   * Stops delivery. Until a consumer of the same name attaches again, the device messages it takes
   * wait in the broker unacknowledged; those already delivered are acknowledged as they settle.
   */
  detach(): Promise<void>;
}

/** Where the ingest attaches: the broker core serving now. */
export interface FeedSource {
  attach(consumer: FeedConsumer): Promise<FeedHandle>;
}
