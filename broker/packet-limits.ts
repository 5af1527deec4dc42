// The size and shape checks of the packet guard (packet-guard.ts), on MQTT fixed headers only.
// Aedes has no maximum packet size: it buffers whatever remaining length a packet declares, so one
// anonymous socket declaring a 200 MB CONNECT grew the broker by ~150 MB (docs/facts.md). This
// scanner reads only the fixed headers (type byte + remaining-length varint, MQTT 3.1.1 section
// 2.2) and skips the bodies, so it costs a few operations per packet, and says as soon as a header
// announces too much:
//   - before the broker accepted the CONNECT: every packet and all bytes together are held to
//     `maxConnectBytes` (a CONNECT with will and credentials is a few hundred bytes);
//   - after: each packet to `maxPacketBytes`.
// It also refuses bytes that cannot be MQTT: a first packet other than CONNECT (MQTT-3.1.0-1), the
// reserved packet types 0 and 15, or a remaining length longer than four bytes (2.2.3).
// And it notes when the packet in progress began, so the broker can cut a connection that leaves
// a packet half-sent (`stalled`): Aedes's keepalive does that only when the client asked for
// one, and a client with keepalive 0 could otherwise hold its socket and buffers forever.
import type { BrokerErrorCode } from './errors.ts';

export interface PacketLimits {
  /** Bytes a connection may send before its CONNECT is accepted (each packet and in all). */
  maxConnectBytes: number;
  /** Largest remaining length of one packet after authentication, bytes. */
  maxPacketBytes: number;
}

export type GuardViolation = Extract<BrokerErrorCode, 'connect-too-large' | 'packet-too-large' | 'packet-malformed' | 'packet-incomplete'>;

/** A coarse clock (one tick a second) the broker advances; reading it costs nothing per packet. */
export interface StallClock {
  tick: number;
}

export interface Violation {
  code: GuardViolation;
  detail: string;
}

const CONNECT = 1;

/** One connection's header scanner: feed it every chunk in order. */
export class PacketScanner {
  private readonly limits: PacketLimits;
  private authenticated = false;
  private preAuthBytes = 0;
  private firstPacket = true;
  // State: bytes of the current body still to skip, or the header being read.
  private skip = 0;
  private inHeader = false;
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private packetType = 0;
  // Clock tick at which the current packet began, and, after a read that ended inside a packet,
  // the tick that packet began (0: the last read ended between packets).
  private packetStart = 0;
  /** Packets whose fixed header started in the last chunk scanned. */
  private started = 0;
  private partialSince = 0;
  private readonly clock: StallClock;

  constructor(limits: PacketLimits, clock: StallClock = { tick: 1 }) {
    this.limits = limits;
    this.clock = clock;
  }

  /** The broker accepted the CONNECT: from now on packets are held to `maxPacketBytes`. */
  markAuthenticated(): void {
    this.authenticated = true;
  }

  /** Packets that started in the last chunk scanned (what the admission gate counts before Aedes parses them). */
  get packetsInLastChunk(): number {
    return this.started;
  }

  /** Checks every fixed header that starts in this chunk; the first violation, or null. */
  scan(chunk: Buffer): Violation | null {
    const n = chunk.length;
    let i = 0;
    this.started = 0;
    if (!this.authenticated) {
      this.preAuthBytes += n;
      if (this.preAuthBytes > this.limits.maxConnectBytes) {
        return { code: 'connect-too-large', detail: `over ${this.limits.maxConnectBytes} bytes before the CONNECT was accepted` };
      }
    }
    while (i < n) {
      if (this.skip > 0) {
        const step = Math.min(this.skip, n - i);
        this.skip -= step;
        i += step;
        continue;
      }
      const byte = chunk[i++]!;
      if (!this.inHeader) {
        const type = byte >> 4;
        if (type === 0 || type === 15) return { code: 'packet-malformed', detail: `reserved packet type ${type}` };
        if (this.firstPacket && type !== CONNECT) return { code: 'packet-malformed', detail: `first packet is type ${type}, not CONNECT` };
        this.firstPacket = false;
        this.started++;
        this.packetType = type;
        this.packetStart = this.clock.tick;
        this.inHeader = true;
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if (byte & 0x80) {
        if (this.lengthBytes === 4) return { code: 'packet-malformed', detail: 'remaining length longer than 4 bytes' };
        continue;
      }
      this.inHeader = false;
      if (!this.authenticated && this.length > this.limits.maxConnectBytes) {
        return { code: 'connect-too-large', detail: `type ${this.packetType} declares ${this.length} bytes > ${this.limits.maxConnectBytes}` };
      }
      if (this.length > this.limits.maxPacketBytes) {
        return { code: 'packet-too-large', detail: `type ${this.packetType} declares ${this.length} bytes > ${this.limits.maxPacketBytes}` };
      }
      this.skip = this.length;
    }
    this.partialSince = this.inHeader || this.skip > 0 ? this.packetStart : 0;
    return null;
  }

  /** A violation when a packet has been in progress for `maxTicks` ticks of the clock or more. */
  stalled(maxTicks: number): Violation | null {
    if (this.partialSince === 0 || this.clock.tick - this.partialSince < maxTicks) return null;
    return { code: 'packet-incomplete', detail: `type ${this.packetType} packet still incomplete after ${this.clock.tick - this.partialSince} s` };
  }
}
