// A guard in front of the broker on the raw byte stream. Aedes has no maximum packet size: it
// buffers whatever remaining length a packet declares, so one anonymous socket declaring a 200 MB
// CONNECT grew the broker by ~150 MB (FACTS.md). This stream reads only the MQTT fixed headers
// (type byte + remaining-length varint, MQTT 3.1.1 section 2.2) and skips the bodies, so it costs a
// few operations per packet, and cuts the connection as soon as a header announces too much:
//   - before the broker accepted the CONNECT: every packet and all bytes together are held to
//     `maxConnectBytes` (a CONNECT with will and credentials is a few hundred bytes);
//   - after: each packet to `maxPacketBytes`.
// It also cuts bytes that cannot be MQTT: a first packet other than CONNECT (MQTT-3.1.0-1), the
// reserved packet types 0 and 15, or a remaining length longer than four bytes (2.2.3).
// And it notes when the packet in progress began, so the broker can cut a connection that leaves
// a packet half-sent (`checkStall`): Aedes's keepalive does that only when the client asked for
// one, and a client with keepalive 0 could otherwise hold its socket and buffers forever.
import { Duplex } from 'node:stream';
import type { AdmissionGate, Holdable } from './admission-gate.ts';
import type { BrokerErrorCode } from './errors.ts';

export interface PacketLimits {
  /** Bytes a connection may send before its CONNECT is accepted (each packet and in all). */
  maxConnectBytes: number;
  /** Largest remaining length of one packet after authentication, bytes. */
  maxPacketBytes: number;
}

export type GuardViolation = Extract<BrokerErrorCode, 'connect-too-large' | 'packet-too-large' | 'packet-malformed' | 'packet-incomplete'>;

const CONNECT = 1;

/** A coarse clock (one tick a second) the broker advances; reading it costs nothing per packet. */
export interface StallClock {
  tick: number;
}

export class PacketGuard extends Duplex implements Holdable {
  /** The transport stream (socket, TLS socket, WebSocket stream). */
  readonly inner: Duplex;
  /** The peer's address as the transport saw it (the auth failure budget is kept per address). */
  readonly remoteAddress: string;
  private readonly limits: PacketLimits;
  private readonly onViolation: (code: GuardViolation, detail: string) => void;
  private authenticated = false;
  private preAuthBytes = 0;
  private firstPacket = true;
  // Scanner state: bytes of the current body still to skip, or the header being read.
  private skip = 0;
  private inHeader = false;
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private packetType = 0;
  // Broker clock tick at which the current packet began, and, after a read that
  // ended inside a packet, the tick that packet began (0: the last read ended between packets).
  private packetStart = 0;
  private partialSince = 0;
  // Reading stops for either of two reasons: Aedes has not taken what was pushed (stream
  // backpressure) or the admission gate holds this device (admission-gate.ts).
  private wantsData = true;
  private held = false;
  private gate: AdmissionGate | null = null;
  private stash: Buffer[] = [];
  private closingGently = false;

  private readonly clock: StallClock;

  constructor(inner: Duplex, limits: PacketLimits, onViolation: (code: GuardViolation, detail: string) => void, remoteAddress = 'unknown', clock: StallClock = { tick: 1 }) {
    super({ allowHalfOpen: false });
    this.clock = clock;
    this.inner = inner;
    this.remoteAddress = remoteAddress;
    this.limits = limits;
    this.onViolation = onViolation;
    inner.on('data', (chunk: Buffer) => {
      if (!this.scan(chunk)) return;
      // Held by the gate: what the socket still delivered waits here (one chunk at most, the
      // transport is paused), not in the readable buffer Aedes drains.
      if (this.held) {
        this.stash.push(chunk);
        return;
      }
      if (!this.push(chunk)) {
        this.wantsData = false;
        inner.pause();
      }
      this.gate?.admit(this);
    });
    inner.on('end', () => this.push(null));
    inner.on('error', (err) => this.destroy(err));
    inner.on('close', () => this.destroy());
    inner.on('drain', () => this.emit('innerDrain'));
  }

  /** The broker accepted the CONNECT: from now on packets are held to `maxPacketBytes`. */
  markAuthenticated(): void {
    this.authenticated = true;
  }

  /** From now on this connection's reads pause while the gate is closed (device accounts). */
  useGate(gate: AdmissionGate): void {
    this.gate = gate;
  }

  hold(): void {
    this.held = true;
    this.inner.pause();
  }

  release(): void {
    if (this.closingGently) return;
    this.held = false;
    if (this.destroyed) return;
    for (const chunk of this.stash.splice(0)) if (!this.push(chunk)) this.wantsData = false;
    if (this.wantsData) this.inner.resume();
  }

  /**
   * Ends the connection without losing what the broker already wrote to it (the PUBACKs of the
   * messages it took before a rate-limit cut): reads stop, then once the writes so far have left
   * (or `timeoutMs` passed) the promise resolves and the broker closes the client. The close
   * that follows sends a FIN after that data and reads (and drops) what the client still sends for
   * up to `lingerMs`, so the peer's kernel is not told to reset and discard them (unread input at
   * close makes the kernel send a reset).
   */
  flushBeforeClose(timeoutMs = 2000, lingerMs = 1000): Promise<void> {
    this.closingGently = true;
    this.lingerMs = lingerMs;
    this.hold();
    return new Promise((resolve) => {
      const deadline = Date.now() + timeoutMs;
      const check = (): void => {
        if (this.destroyed || (this.writableLength === 0 && this.inner.writableLength === 0) || Date.now() >= deadline) return resolve();
        setTimeout(check, 5);
      };
      // After this turn: writes made in it are still corked (corkUntilNextTurn).
      setImmediate(check);
    });
  }

  private lingerMs = 0;

  /** Checks every fixed header that starts in this chunk; false when the connection was cut. */
  private scan(chunk: Buffer): boolean {
    const n = chunk.length;
    let i = 0;
    if (!this.authenticated) {
      this.preAuthBytes += n;
      if (this.preAuthBytes > this.limits.maxConnectBytes) {
        return this.violate('connect-too-large', `over ${this.limits.maxConnectBytes} bytes before the CONNECT was accepted`);
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
        if (type === 0 || type === 15) return this.violate('packet-malformed', `reserved packet type ${type}`);
        if (this.firstPacket && type !== CONNECT) return this.violate('packet-malformed', `first packet is type ${type}, not CONNECT`);
        this.firstPacket = false;
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
        if (this.lengthBytes === 4) return this.violate('packet-malformed', 'remaining length longer than 4 bytes');
        continue;
      }
      this.inHeader = false;
      if (!this.authenticated && this.length > this.limits.maxConnectBytes) {
        return this.violate('connect-too-large', `type ${this.packetType} declares ${this.length} bytes > ${this.limits.maxConnectBytes}`);
      }
      if (this.length > this.limits.maxPacketBytes) {
        return this.violate('packet-too-large', `type ${this.packetType} declares ${this.length} bytes > ${this.limits.maxPacketBytes}`);
      }
      this.skip = this.length;
    }
    this.partialSince = this.inHeader || this.skip > 0 ? this.packetStart : 0;
    return true;
  }

  /**
   * Cuts the connection when a packet has been in progress for `maxTicks` ticks of the broker's clock
   * or more (the broker calls it every tick for every connection). True when it cut.
   */
  checkStall(maxTicks: number): boolean {
    if (this.partialSince === 0 || this.destroyed || this.clock.tick - this.partialSince < maxTicks) return false;
    this.violate('packet-incomplete', `type ${this.packetType} packet still incomplete after ${this.clock.tick - this.partialSince} s`);
    return true;
  }

  private violate(code: GuardViolation, detail: string): false {
    this.onViolation(code, detail);
    this.inner.destroy();
    this.destroy();
    return false;
  }

  override _read(): void {
    this.wantsData = true;
    if (!this.held) this.inner.resume();
  }

  private corked = false;

  /**
   * Holds the transport's writes until the next turn of the event loop, so every packet Aedes writes
   * to this client in one turn leaves in one writev: the profile of the end-to-end benchmark had
   * 30% of the broker's CPU in writev, one syscall per delivered message (syscalls are costly here,
   * FACTS.md).
   */
  private corkUntilNextTurn(): void {
    if (this.corked) return;
    this.corked = true;
    this.inner.cork();
    setImmediate(() => this.flushCork());
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.corkUntilNextTurn();
    // Accepted by the transport: done at once. Otherwise wait for its drain, so this stream's own
    // buffer (and its 'drain', which Aedes's drain timeout watches) follows the transport's.
    if (this.inner.write(chunk)) cb();
    else this.once('innerDrain', () => cb());
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.corkUntilNextTurn();
    this.inner.cork();
    let ok = true;
    for (const { chunk } of chunks) ok = this.inner.write(chunk);
    this.inner.uncork();
    if (ok) cb();
    else this.once('innerDrain', () => cb());
  }

  /** Hands what is held for this turn to the transport now (a CONNACK before a refusal's close). */
  private flushCork(): void {
    if (!this.corked) return;
    this.corked = false;
    if (!this.inner.destroyed) this.inner.uncork();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.flushCork();
    this.inner.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.removeAllListeners('innerDrain');
    this.flushCork();
    if (this.closingGently && !this.inner.destroyed) {
      const inner = this.inner;
      inner.removeAllListeners('data');
      inner.on('data', () => {});
      inner.on('error', () => {});
      inner.end();
      inner.resume();
      setTimeout(() => inner.destroy(), this.lingerMs).unref();
    } else if (!this.inner.destroyed) this.inner.destroy();
    cb(err);
  }
}
