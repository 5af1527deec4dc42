// The read side of the packet guard (packet-guard.ts): reading a transport stops while Aedes has not
// taken what was pushed (stream backpressure) or while anything holds it: the admission gate
// (admission-gate.ts), the acknowledgement chain for a device with too many messages waiting to be
// stored (ack-chain.ts), a gentle close. It resumes only when nothing holds. While held, what the socket
// still delivered waits here (one chunk at most, the transport is paused), not in the readable
// buffer Aedes drains.
import type { Duplex } from 'node:stream';

/** Why reading is held; each is released on its own. */
export type HoldReason = 'gate' | 'acks' | 'close';

export class ReadHold {
  private readonly inner: Duplex;
  /** Pushes to the reader (Aedes); false: it wants no more for now. */
  private readonly push: (chunk: Buffer) => boolean;
  private wantsData = true;
  private readonly holds = new Set<HoldReason>();
  private stash: Buffer[] = [];

  constructor(inner: Duplex, push: (chunk: Buffer) => boolean) {
    this.inner = inner;
    this.push = push;
  }

  /** A chunk from the transport, already checked; false when it waits in the stash (held). */
  deliver(chunk: Buffer): boolean {
    if (this.holds.size > 0) {
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
    if (this.holds.size === 0) this.inner.resume();
  }

  hold(reason: HoldReason): void {
    this.holds.add(reason);
    this.inner.pause();
  }

  /** Once nothing holds: the stash goes to the reader, and reading resumes if the reader wants it. */
  release(destroyed: boolean, reason: HoldReason): void {
    this.holds.delete(reason);
    if (destroyed || this.holds.size > 0) return;
    for (const chunk of this.stash.splice(0)) if (!this.push(chunk)) this.wantsData = false;
    if (this.wantsData) this.inner.resume();
  }
}
