// A guard in front of the broker on the raw byte stream of one connection: a Duplex between the
// transport and Aedes that puts three small parts together, each in its own file:
//   - packet-limits.ts: fixed-header size and shape checks; a violation cuts the connection;
//   - read-hold.ts: reads pause for stream backpressure or while the admission gate holds the device;
//   - write-cork.ts: one writev per client per event-loop turn.
import { Duplex } from 'node:stream';
import type { AdmissionGate, Holdable } from './admission-gate.ts';
import { PacketScanner, type GuardViolation, type PacketLimits } from './packet-limits.ts';
import { ReadHold } from './read-hold.ts';
import { WriteCork } from './write-cork.ts';

export type { GuardViolation, PacketLimits } from './packet-limits.ts';

export class PacketGuard extends Duplex implements Holdable {
  /** The transport stream (socket, TLS socket, WebSocket stream). */
  readonly inner: Duplex;
  private readonly scanner: PacketScanner;
  private readonly reads: ReadHold;
  private readonly batchedWrites: WriteCork;
  private gate: AdmissionGate | null = null;

  constructor(inner: Duplex, limits: PacketLimits, onViolation: (code: GuardViolation, detail: string) => void) {
    super({ allowHalfOpen: false });
    this.inner = inner;
    this.scanner = new PacketScanner(limits);
    this.reads = new ReadHold(inner, (chunk) => this.push(chunk));
    this.batchedWrites = new WriteCork(inner);
    inner.on('data', (chunk: Buffer) => {
      const violation = this.scanner.scan(chunk);
      if (violation) {
        onViolation(violation.code, violation.detail);
        inner.destroy();
        this.destroy();
        return;
      }
      // Held already: the gate has this connection; only data handed on asks it again.
      if (this.reads.deliver(chunk)) this.gate?.admit(this);
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

  hold(): void {
    this.reads.hold();
  }

  release(): void {
    this.reads.release(this.destroyed);
  }

  override _read(): void {
    this.reads.wanted();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.batchedWrites.untilNextTurn();
    // Accepted by the transport: done at once. Otherwise wait for its drain, so this stream's own
    // buffer (and its 'drain', which Aedes's drain timeout watches) follows the transport's.
    if (this.inner.write(chunk)) cb();
    else this.once('innerDrain', () => cb());
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.batchedWrites.untilNextTurn();
    this.inner.cork();
    let ok = true;
    for (const { chunk } of chunks) ok = this.inner.write(chunk);
    this.inner.uncork();
    if (ok) cb();
    else this.once('innerDrain', () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.batchedWrites.flush();
    this.inner.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.removeAllListeners('innerDrain');
    this.batchedWrites.flush();
    if (!this.inner.destroyed) this.inner.destroy();
    cb(err);
  }
}
