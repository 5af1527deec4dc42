// A sink that speaks just enough MQTT for the load generator: CONNACK for every CONNECT, PUBACK for
// every QoS 1 PUBLISH, everything else read and dropped. It measures what the generator can send
// when nothing downstream holds it back.   node --import tsx bench/load/sink.ts '{"port":0}'
import { createServer, type Socket } from 'node:net';

const CONNACK = Buffer.from([0x20, 0x02, 0x00, 0x00]);
let publishes = 0;

function serve(socket: Socket): void {
  socket.setNoDelay(true);
  let buf = Buffer.alloc(0);
  let out: Buffer[] = [];
  let scheduled = false;
  const send = (b: Buffer): void => {
    out.push(b);
    if (!scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
        out = [];
      });
    }
  };
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    let o = 0;
    for (;;) {
      if (buf.length - o < 2) break;
      const type = buf[o]! >> 4;
      const qos = (buf[o]! >> 1) & 3;
      let len = 0;
      let mul = 1;
      let i = o + 1;
      let byte: number;
      do {
        if (i >= buf.length) break;
        byte = buf[i++]!;
        len += (byte & 0x7f) * mul;
        mul *= 128;
      } while (byte & 0x80);
      if (i + len > buf.length || (byte! & 0x80)) break;
      if (type === 1) send(CONNACK);
      else if (type === 3) {
        publishes++;
        if (qos === 1) {
          const topicLen = buf.readUInt16BE(i);
          send(Buffer.from([0x40, 0x02, buf[i + 2 + topicLen]!, buf[i + 3 + topicLen]!]));
        }
      }
      o = i + len;
    }
    buf = buf.subarray(o);
  });
}

const server = createServer(serve);
server.listen(0, '127.0.0.1', () => {
  const port = (server.address() as { port: number }).port;
  process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`);
  setInterval(() => process.stdout.write(`${JSON.stringify({ publishes })}\n`), 1000);
});
process.on('SIGTERM', () => process.exit(0));
