// The message bus inside Aedes (mqemitter), made safe under overload.
//
// 1. No stack overflow. mqemitter queues messages once `concurrency` deliveries are in flight. When a
//    delivery completes it takes the next queued message and delivers it in the same call stack; if
//    those deliveries also complete synchronously (a client that is gone, a QoS 0 drop) it recurses,
//    and a long queue overflows the stack: under QoS 0 overload Aedes 1.2 crashed with "RangeError:
//    Maximum call stack size exceeded" in Qlobber.match / MQEmitter._do (docs/facts.md; reproduced by the
//    broker benchmark and test/broker/safe-emitter.test.ts). Here a delivery started from that
//    recursion beyond a small depth goes back to the head of the queue and is taken up on the next
//    turn of the event loop, its slot still counted, so nothing overtakes it and order is kept.
// 2. No quadratic slowdown. mqemitter's queues are arrays drained with shift(), which copies the
//    whole array: with the 100k+ queued under overload (Aedes hands the bus a whole socket read of
//    every client at once) every delivery moved megabytes. They are replaced by a
//    ring buffer with O(1) push, shift and unshift.
// (Publishers need no extra backpressure here: Aedes reads a client's next packet only once the bus
// has taken its last one, and a subscriber that stops draining is cut by the drain timeout.)
// Relies on mqemitter 7.1.0 internals (`_do`, `_released`, the two queues): the version is pinned in
// package.json and the test fails if they change.
import MQEmitter from 'mqemitter';

export interface SafeEmitterOptions {
  /** Deliveries in flight before messages queue (Aedes's default is 100). */
  concurrency?: number;
  /** Nested synchronous deliveries allowed before the rest continues on the next turn; default 64. */
  maxDepth?: number;
}

/** A growable ring buffer: the queue shape mqemitter uses (push, shift, length), plus unshift. */
export class Deque<T> {
  private items: (T | undefined)[] = new Array(1024);
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(item: T): number {
    if (this.size === this.items.length) this.grow();
    this.items[(this.head + this.size) % this.items.length] = item;
    return ++this.size;
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.size--;
    return item;
  }

  unshift(item: T): number {
    if (this.size === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = item;
    return ++this.size;
  }

  private grow(): void {
    const next: (T | undefined)[] = new Array(this.items.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}

interface Internals {
  _do(message: unknown, callback: unknown): unknown;
  _released(): void;
  _messageQueue: Deque<unknown>;
  _messageCallbacks: Deque<unknown>;
  current: number;
  _doing: boolean;
}

export type SafeEmitter = ReturnType<typeof MQEmitter>;

export function createSafeEmitter(opts: SafeEmitterOptions = {}): SafeEmitter {
  const mq = MQEmitter({ concurrency: opts.concurrency ?? 100 });
  const inner = mq as unknown as Internals;
  inner._messageQueue = new Deque();
  inner._messageCallbacks = new Deque();
  const plainDo = inner._do;
  const maxDepth = opts.maxDepth ?? 64;
  let depth = 0;

  inner._do = function (this: Internals, message: unknown, callback: unknown) {
    if (depth >= maxDepth) {
      // Back to the head of the queue; the slot `released` just freed stays taken until the
      // deferred release gives it back, so a new emit queues behind instead of overtaking.
      this._messageQueue.unshift(message);
      this._messageCallbacks.unshift(callback);
      this.current++;
      this._doing = true;
      setImmediate(this._released);
      return this;
    }
    depth++;
    try {
      return plainDo.call(this, message, callback);
    } finally {
      depth--;
    }
  };
  return mq;
}
