// One switch for reading from every client socket. It closes while anything holds it: Aedes's
// message bus falling behind (safe-emitter.ts), or a subscriber whose socket has megabytes queued
// (packet-guard.ts). Publishers are then slowed by TCP flow control instead of the broker buffering
// without bound; writing to clients goes on, which is what drains both.
//
// The trade-off: one slow subscriber slows every publisher. Only services subscribe to more than
// their own command topic (ACL), and the one that matters, the ingest, must get every reading, so
// holding the publishers back is right; a subscriber that stops draining altogether is cut by the
// drain timeout and releases its hold.

export class FlowGate {
  private readonly holders = new Set<object>();
  private readonly waiting = new Set<() => void>();
  /** Times the gate closed. */
  closures = 0;

  get closed(): boolean {
    return this.holders.size > 0;
  }

  hold(holder: object): void {
    if (this.holders.has(holder)) return;
    if (this.holders.size === 0) this.closures++;
    this.holders.add(holder);
  }

  release(holder: object): void {
    if (!this.holders.delete(holder) || this.holders.size > 0) return;
    const resume = [...this.waiting];
    this.waiting.clear();
    for (const fn of resume) fn();
  }

  /** Runs `fn` when the gate is open (at once if it is). */
  whenOpen(fn: () => void): void {
    if (this.closed) this.waiting.add(fn);
    else fn();
  }

  forget(fn: () => void): void {
    this.waiting.delete(fn);
  }
}
