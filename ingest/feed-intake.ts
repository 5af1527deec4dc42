// The ingest's intake from the broker's in-process bus (`parkpulse all`; broker/bus-feed.ts): the
// in-process counterpart of deferred-ack.ts. A message's promise is the acknowledgement: the
// broker writes the device's PUBACK once it settles, in the device's order. There is no bound on
// unacknowledged messages here: the broker bounds each device's waiting messages
// (broker-limits.ts maxPendingAcks) and each device its own window.
import type { Logger } from '../shared/logger.ts';
import type { FeedHandle, FeedMessage, FeedSource } from '../shared/bus-feed.ts';

export interface FeedIntakeOptions {
  /** The ingest's handling of one message; resolves once it may be acknowledged. */
  onMessage(message: FeedMessage): Promise<void>;
  /** The rejection that means "shutting down, left for redelivery": not an error worth a log line. */
  shuttingDown: Error;
  logger: Logger;
}

export interface FeedIntake {
  /** Attaches to the bus serving now (on each connect of the ingest's session). Never rejects. */
  attach(source: FeedSource, name: string, filters: string[]): Promise<void>;
  /** Detaches (the session dropped, or the ingest stops). */
  detach(): Promise<void>;
  /** Messages taken and not yet settled. */
  readonly pending: number;
}

export function createFeedIntake(opts: FeedIntakeOptions): FeedIntake {
  const log = opts.logger.child({ module: 'feed-intake' });
  let handle: Promise<FeedHandle | null> | null = null;
  let pending = 0;
  const take = (m: FeedMessage): Promise<void> => {
    pending++;
    const settled = opts.onMessage(m).finally(() => void pending--);
    settled.catch((err: Error) => {
      if (err !== opts.shuttingDown) log.error({ err }, 'message could not be made durable');
    });
    return settled;
  };
  return {
    attach(source, name, filters) {
      const h = source.attach({ name, filters, onMessage: take }).catch((err: Error) => {
        log.error({ err: err.message }, "could not attach to the broker's bus");
        return null;
      });
      handle = h;
      return h.then(() => {});
    },
    detach() {
      const h = handle;
      handle = null;
      return h ? h.then((x) => x?.detach()) : Promise.resolve();
    },
    get pending() {
      return pending;
    },
  };
}
