// Backpressure from the broker's bus to the devices that fill it.
//
// Aedes writes a QoS 1 PUBACK before it routes the message (lib/handlers/publish.js), and its read
// loop takes the next socket read as soon as new bytes arrive ('readable' decrements the batch
// count), so a fast publisher is never held back by a slow subscriber: in the end-to-end
// benchmark at 30k msg/s offered, 170k messages piled up in the bus, the broker grew past 1 GB and
// device-to-store latency reached 20 s. This gate bounds that queue: when the bus holds
// `highWater` messages, device connections stop being read (their bytes wait in the kernel and
// TCP slows the devices down) until it is down to `lowWater`. Service accounts are never held: the
// ingest's PUBACKs are what empties the queues.
export interface AdmissionLimits {
  /** Messages queued in the bus at which device reads pause; 0 disables the gate. Default 5000. */
  highWater: number;
  /** Queued messages at which device reads resume; default 1000. */
  lowWater: number;
}

export const DEFAULT_ADMISSION: Readonly<AdmissionLimits> = Object.freeze({ highWater: 5000, lowWater: 1000 });

/** What the gate pauses: a device connection's transport (packet-guard.ts). */
export interface Holdable {
  hold(): void;
  release(): void;
}

export interface AdmissionGate {
  /** True while device reads are paused. */
  readonly closed: boolean;
  /**
   * Called before a device connection hands a chunk of `packets` packets on: holds it (the chunk
   * waits) if the bus, with what this turn has already handed on, is at its high water.
   */
  admit(stream: Holdable, packets?: number): void;
  /** Times the gate closed, for the broker's stats. */
  readonly closings: number;
  stop(): void;
}

/** `queued()` is read on every device read and every `checkMs` (default 2) while the gate is closed. */
export function createAdmissionGate(limits: AdmissionLimits, queued: () => number, checkMs = 2): AdmissionGate {
  const held = new Set<Holdable>();
  let closed = false;
  let closings = 0;
  let timer: NodeJS.Timeout | null = null;
  // Packets handed to Aedes in this turn of the event loop: Aedes parses a chunk on the next tick,
  // so they are not on the bus yet when the next connection's chunk is asked about. Without them,
  // the 400 devices of a QoS 0 flood each had one 64 KiB read (~400 messages) let through in the
  // same turn, and the bus held 165k messages against a high water of 5000 (broker RSS 700-850 MB).
  let thisTurn = 0;
  let turnReset: NodeJS.Immediate | null = null;
  const countThisTurn = (packets: number): void => {
    thisTurn += packets;
    turnReset ??= setImmediate(() => {
      turnReset = null;
      thisTurn = 0;
    });
  };

  const poll = (): void => {
    timer = null;
    if (queued() > limits.lowWater) {
      timer = setTimeout(poll, checkMs);
      return;
    }
    closed = false;
    const waiting = [...held];
    held.clear();
    for (const s of waiting) s.release();
  };

  return {
    get closed() {
      return closed;
    },
    get closings() {
      return closings;
    },
    admit(stream, packets = 0) {
      if (limits.highWater <= 0) return;
      if (!closed) {
        if (queued() + thisTurn < limits.highWater) {
          countThisTurn(packets);
          return;
        }
        closed = true;
        closings++;
        timer = setTimeout(poll, checkMs);
      }
      if (!held.has(stream)) {
        held.add(stream);
        stream.hold();
      }
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      if (turnReset) clearImmediate(turnReset);
      turnReset = null;
      thisTurn = 0;
      const waiting = [...held];
      held.clear();
      closed = false;
      for (const s of waiting) s.release();
    },
  };
}
