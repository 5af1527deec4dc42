// The read side of the packet guard (packet-guard.ts): reading a transport stops while Aedes has not
// taken what was pushed (stream backpressure) or while anything holds it: the admission gate
// (admission-gate.ts), the acknowledgement chain for a device with too many messages waiting to be
// stored (ack-chain.ts), a gentle close. It resumes only when nothing holds. While held, what the socket
// still delivered waits here (one chunk at most, the transport is paused), not in the readable
// buffer Aedes drains.
//
// Every chunk, fresh or from the stash, is announced (`ask`, with its packet count) before it is
// handed on, so the admission gate can hold it first: a held device's stashed chunk used to go to
// Aedes unasked on release, and with 400 devices flooding QoS 0 each release let 400 x 64 KiB
// (~165k messages) onto a bus whose high water is 5000 (broker RSS 700-850 MB).
import type { Duplex } from 'node:stream';

/** Why reading is held; each is released on its own. */
export type HoldReason = 'gate' | 'acks' | 'close';

export class ReadHold {
  private readonly inner: Duplex;
  /** Pushes to the reader (Aedes); false: it wants no more for now. */
  private readonly push: (chunk: Buffer) => boolean;
  /** Told of a chunk of `packets` packets about to be handed on; may hold reading (the chunk then waits). */
  private readonly ask: (packets: number) => void;
  private wantsData = true;
  private readonly holds = new Set<HoldReason>();
  private stash: { chunk: Buffer; packets: number }[] = [];

  constructor(inner: Duplex, push: (chunk: Buffer) => boolean, ask: (packets: number) => void = () => {}) {
    this.inner = inner;
    this.push = push;
    this.ask = ask;
  }

  /** A chunk from the transport, already checked, with the packets that start in it; false when it waits in the stash (held). */
  deliver(chunk: Buffer, packets = 0): boolean {
    if (this.holds.size === 0) this.ask(packets);
    if (this.holds.size > 0) {
      this.stash.push({ chunk, packets });
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

  /** Once nothing holds: the stash goes to the reader, each chunk asked first, and reading resumes if the reader wants it. */
  release(destroyed: boolean, reason: HoldReason): void {
    this.holds.delete(reason);
    if (destroyed || this.holds.size > 0) return;
    while (this.stash.length > 0) {
      this.ask(this.stash[0]!.packets);
      if (this.holds.size > 0) return; // held again: the chunk waits for the next release
      if (!this.push(this.stash.shift()!.chunk)) this.wantsData = false;
    }
    if (this.wantsData) this.inner.resume();
  }
}
