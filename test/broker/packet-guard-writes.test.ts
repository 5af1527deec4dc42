// The packet guard's write batching (broker/write-cork.ts, broker/packet-guard.ts): a turn's writes
// to one client leave together, but never wait for the end of a long turn once they fill the
// transport's high-water mark (a subscriber such as the ingest must not get a busy turn's
// deliveries in one late burst).
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PacketGuard } from '../../broker/packet-guard.ts';

describe('packet guard writes', () => {
  let server: Server | null = null;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    sockets.length = 0;
    await new Promise((r) => (server ? server.close(r) : r(null)));
    server = null;
  });

  async function pair(): Promise<{ guard: PacketGuard; inner: Socket; peer: Socket; received: () => number }> {
    const accepted = new Promise<Socket>((resolve) => {
      server = createServer((s) => resolve(s));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server!.address() as { port: number }).port;
    const peer = connect(port, '127.0.0.1');
    sockets.push(peer);
    let bytes = 0;
    peer.on('data', (d: Buffer) => (bytes += d.length));
    const inner = await accepted;
    sockets.push(inner);
    const guard = new PacketGuard(inner, { maxConnectBytes: 1 << 20, maxPacketBytes: 1 << 20 }, () => {});
    guard.on('error', () => {});
    return { guard, inner, peer, received: () => bytes };
  }

  it('holds a small turn of writes until the turn ends, then sends them all', async () => {
    const { guard, inner, received } = await pair();
    for (let i = 0; i < 10; i++) guard.write(Buffer.alloc(100, i));
    // Still corked in this turn: nothing handed to the kernel yet.
    expect(inner.writableLength).toBe(1000);
    await expect.poll(received, { timeout: 5000 }).toBe(1000);
  });

  it('sends a turn\'s writes as soon as they fill the high-water mark, without waiting for the turn to end', async () => {
    const { guard, inner, received } = await pair();
    const hwm = inner.writableHighWaterMark;
    const writes = Math.ceil((hwm * 8) / 200);
    const total = writes * 200;
    // One long synchronous turn, as when the broker reads a thousand devices' windows at once.
    for (let i = 0; i < writes; i++) guard.write(Buffer.alloc(200, 1));
    // The first high-water mark's worth went to the kernel during the turn (loopback takes it at
    // once); held corked it would still sit in the transport's buffer.
    expect(inner.writableLength).toBeLessThan(hwm);
    await expect.poll(received, { timeout: 5000 }).toBe(total);
  });
});
