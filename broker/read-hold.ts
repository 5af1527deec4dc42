// The read side of the packet guard (packet-guard.ts): reading a transport stops for either of two
// reasons, Aedes has not taken what was pushed (stream backpressure) or the admission gate holds
// this device (admission-gate.ts); it resumes only when neither holds. While held, what the socket
// still delivered waits here (one chunk at most, the transport is paused), not in the readable
// buffer Aedes drains.
import type { Duplex } from 'node:stream';

export class ReadHold {
  private readonly inner: Duplex;
  /** Pushes to the reader (Aedes); false: it wants no more for now. */
  private readonly push: (chunk: Buffer) => boolean;
  private wantsData = true;
  private held = false;
  private stash: Buffer[] = [];

  constructor(inner: Duplex, push: (chunk: Buffer) => boolean) {
    this.inner = inner;
    this.push = push;
  }

  /** A chunk from the transport, already checked; false when it waits in the stash (held). */
  deliver(chunk: Buffer): boolean {
    if (this.held) {
      this.stash.push(chunk);
      return false;
    }
    if (!this.push(chunk)) {
      this.wantsData = false;
      this.inner.pause();
    }
    return true;
  }

  /** The reader asks for more. */
  wanted(): void {
    this.wantsData = true;
    if (!this.held) this.inner.resume();
  }

  hold(): void {
    this.held = true;
    this.inner.pause();
  }

  /** The gate opened: the stash goes to the reader, and reading resumes if the reader wants it. */
  release(destroyed: boolean): void {
    this.held = false;
    if (destroyed) return;
    for (const chunk of this.stash.splice(0)) if (!this.push(chunk)) this.wantsData = false;
    if (this.wantsData) this.inner.resume();
  }
}
