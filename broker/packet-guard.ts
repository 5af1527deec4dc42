// A guard in front of the broker on the raw byte stream of one connection: a Duplex between the
// transport and Aedes that puts three small parts together, each in its own file:
//   - packet-limits.ts: fixed-header size and shape checks, and half-sent packets; a violation
//     cuts the connection;
//   - read-hold.ts: reads pause for stream backpressure or while the admission gate holds the device;
//   - write-cork.ts: one writev per client per event-loop turn.
// What is left here: the stream plumbing, and a gentle close that lets written data leave first.
import { Duplex } from 'node:stream';
import type { AdmissionGate, Holdable } from './admission-gate.ts';
import { PacketScanner, type GuardViolation, type PacketLimits, type StallClock } from './packet-limits.ts';
import { ReadHold } from './read-hold.ts';
import { WriteCork } from './write-cork.ts';

export type { GuardViolation, PacketLimits, StallClock } from './packet-limits.ts';

export class PacketGuard extends Duplex implements Holdable {
  /** The transport stream (socket, TLS socket, WebSocket stream). */
  readonly inner: Duplex;
  /** The peer's address as the transport saw it (the auth failure budget is kept per address). */
  readonly remoteAddress: string;
  private readonly scanner: PacketScanner;
  private readonly reads: ReadHold;
  private readonly batchedWrites: WriteCork;
  private readonly onViolation: (code: GuardViolation, detail: string) => void;
  private gate: AdmissionGate | null = null;
  private closingGently = false;
  private lingerMs = 0;

  constructor(inner: Duplex, limits: PacketLimits, onViolation: (code: GuardViolation, detail: string) => void, remoteAddress = 'unknown', clock: StallClock = { tick: 1 }) {
    super({ allowHalfOpen: false });
    this.inner = inner;
    this.remoteAddress = remoteAddress;
    this.onViolation = onViolation;
    this.scanner = new PacketScanner(limits, clock);
    // The admission gate is asked before each chunk goes to Aedes (device connections only).
    this.reads = new ReadHold(inner, (chunk) => this.push(chunk), (packets) => this.gate?.admit(this, packets));
    this.batchedWrites = new WriteCork(inner);
    inner.on('data', (chunk: Buffer) => {
      const violation = this.scanner.scan(chunk);
      if (violation) {
        this.violate(violation.code, violation.detail);
        return;
      }
      this.reads.deliver(chunk, this.scanner.packetsInLastChunk);
    });
    inner.on('end', () => this.push(null));
    inner.on('error', (err) => this.destroy(err));
    inner.on('close', () => this.destroy());
    inner.on('drain', () => this.emit('innerDrain'));
  }

  /** The broker accepted the CONNECT: from now on packets are held to `maxPacketBytes`. */
  markAuthenticated(): void {
    this.scanner.markAuthenticated();
  }

  /** From now on this connection's reads pause while the gate is closed (device accounts). */
  useGate(gate: AdmissionGate): void {
    this.gate = gate;
  }

  /** The admission gate holds this device (Holdable). */
  hold(): void {
    this.reads.hold('gate');
  }

  release(): void {
    this.reads.release(this.destroyed, 'gate');
  }

  /** Reads pause while this device has too many messages waiting to be stored (ack-chain.ts). */
  holdForAcks(): void {
    this.reads.hold('acks');
  }

  releaseForAcks(): void {
    this.reads.release(this.destroyed, 'acks');
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
    this.reads.hold('close');
    return new Promise((resolve) => {
      const deadline = Date.now() + timeoutMs;
      const check = (): void => {
        if (this.destroyed || (this.writableLength === 0 && this.inner.writableLength === 0) || Date.now() >= deadline) return resolve();
        setTimeout(check, 5);
      };
      // After this turn: writes made in it are still corked (write-cork.ts).
      setImmediate(check);
    });
  }

  /**
   * Cuts the connection when a packet has been in progress for `maxTicks` ticks of the broker's clock
   * or more (the broker calls it every tick for every connection). True when it cut.
   */
  checkStall(maxTicks: number): boolean {
    if (this.destroyed) return false;
    const violation = this.scanner.stalled(maxTicks);
    if (!violation) return false;
    this.violate(violation.code, violation.detail);
    return true;
  }

  private violate(code: GuardViolation, detail: string): void {
    this.onViolation(code, detail);
    this.inner.destroy();
    this.destroy();
  }

  override _read(): void {
    this.reads.wanted();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.batchedWrites.untilNextTurn();
    // Accepted by the transport: done at once. Otherwise wait for its drain, so this stream's own
    // buffer (and its 'drain', which Aedes's drain timeout watches) follows the transport's.
    if (this.inner.write(chunk)) cb();
    else this.sendFullBatch(cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.batchedWrites.untilNextTurn();
    this.inner.cork();
    let ok = true;
    for (const { chunk } of chunks) ok = this.inner.write(chunk);
    this.inner.uncork();
    if (ok) cb();
    else this.sendFullBatch(cb);
  }

  // The turn's corked batch has reached the transport's high-water mark: send it now rather than
  // at the end of the turn. A broker turn that reads a thousand devices' windows can last several
  // hundred ms; the ingest's deliveries held corked all that time reached it in one burst, its
  // PUBACKs came back in one burst and released every device's window at once, and the park
  // oscillated between a broker busy reading and an ingest idle (e2e at 30k msg/s, PUBACK once
  // stored: seconds with 11k messages taken in and none stored, then the reverse). One writev per
  // high-water mark (16 KiB, about a hundred deliveries) still spares the per-message syscalls.
  private sendFullBatch(cb: (err?: Error | null) => void): void {
    this.batchedWrites.flush();
    this.once('innerDrain', () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.batchedWrites.flush();
    this.inner.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.removeAllListeners('innerDrain');
    this.batchedWrites.flush();
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
