// A subscriber process for the broker benchmark: counts what arrives per second and the latency
// from each message's own `ts` to its arrival. Prints one JSON line per second and a final one.
//   node --import tsx bench/load/subscriber.ts '<json SubscriberConfig>'
import { waitForFile } from './go-file.ts';
import { leanConnect } from './lean-client.ts';

export interface SubscriberConfig {
  host: string;
  port: number;
  clientId: string;
  username?: string;
  password?: string;
  filters: string[];
  qos: 0 | 1;
  durationMs: number;
  /** Count durationMs from when this file exists (the publishers' start barrier, publisher.ts goFile). */
  goFile?: string;
  /** Put every latency sample, with its arrival time, in the final line (`samples`), so a caller can take the percentiles over its own steady window. */
  keepSamples?: boolean;
}

const config = JSON.parse(process.argv[2] ?? '{}') as SubscriberConfig;
const latencies: number[] = [];
/** Arrival time (epoch ms) of each entry of `latencies`, with keepSamples. */
const arrivals: number[] = [];
let count = 0;
/** `sentAt` (publisher.ts stampMicros) when the reading has it: sub-millisecond latencies. */
const TS = /"ts":(\d+),(?:"sentAt":([\d.]+),)?/;

const client = await leanConnect({
  host: config.host, port: config.port, clientId: config.clientId,
  ...(config.username ? { username: config.username, password: config.password } : {}),
  onMessage(_topic, payload) {
    count++;
    // Sample 1 in 16 for latency: enough for percentiles, cheap at 60k msg/s.
    if ((count & 15) === 0) {
      const m = TS.exec(payload.toString('latin1', 0, 64));
      if (m) {
        const now = Date.now();
        // Both ends on the wall clock through each process's monotonic one (the same clock here).
        latencies.push(m[2] ? Math.round((performance.timeOrigin + performance.now() - Number(m[2])) * 100) / 100 : now - Number(m[1]));
        if (config.keepSamples) arrivals.push(now);
      }
    }
  },
});
await client.subscribe(config.filters, config.qos);
process.stdout.write(`${JSON.stringify({ t: 0, ready: true })}\n`);
const started = Date.now();
const ticker = setInterval(() => process.stdout.write(`${JSON.stringify({ t: Date.now() - started, at: Date.now(), received: count })}\n`), 1000);
const begun = config.goFile ? waitForFile(config.goFile) : Promise.resolve();
await Promise.race([begun.then(() => new Promise((r) => setTimeout(r, config.durationMs))), client.closed]);
clearInterval(ticker);
const samples = config.keepSamples ? arrivals.map((at, i) => [at, latencies[i]!]) : undefined;
const sorted = [...latencies].sort((a, b) => a - b);
const q = (p: number): number | null => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : null);
process.stdout.write(`${JSON.stringify({ t: Date.now() - started, at: Date.now(), received: count, final: true, disconnected: !client.connected, p50: q(0.5), p95: q(0.95), p99: q(0.99), samples })}\n`);
client.end();
setTimeout(() => process.exit(0), 200);
