// Write batching for the packet guard (packet-guard.ts): holds a transport's writes until the next
// turn of the event loop, so the packets Aedes writes to one client in one turn leave in one
// writev (the guard flushes early once they fill the transport's high-water mark). The profile of the end-to-end benchmark had 30% of the broker's CPU in writev, one
// syscall per delivered message (syscalls are costly here, docs/facts.md).
import type { Duplex } from 'node:stream';

export class WriteCork {
  private readonly inner: Duplex;
  private corked = false;

  constructor(inner: Duplex) {
    this.inner = inner;
  }

  /** Corks the transport unless it already is; uncorks it on the next turn. */
  untilNextTurn(): void {
    if (this.corked) return;
    this.corked = true;
    this.inner.cork();
    setImmediate(() => this.flush());
  }

  /** Hands what is held for this turn to the transport now (a CONNACK before a refusal's close). */
  flush(): void {
    if (!this.corked) return;
    this.corked = false;
    if (!this.inner.destroyed) this.inner.uncork();
  }
}
