// The PUBACK promise under SIGKILL at load: 1000 load meters x 8 msg/s (QoS 1, each with an
// outbox that resends unacknowledged readings after a reconnect) into the park as one process
// (`parkpulse all`) and as separate broker and ingest processes, SIGKILLed at random moments and
// restarted; then every acknowledged (device, seq) is looked up in the store. The old behaviour
// (`--broker-ack receipt`: PUBACK on receipt) runs the same faults beside it for comparison.
import type { BenchRow, BenchSuite } from '../harness.ts';
import { runPubackFaults, type Deployment, type PubackFaultResult } from '../../testkit/puback-faults.ts';

const DEVICES = 1000;
const RATE = 8;

export const faultsSuite: BenchSuite = {
  name: 'faults',
  description: 'SIGKILL of the single process, the broker, the ingest at random moments at 8k msg/s: acknowledged vs stored, with --broker-ack ingest (default; in one process with the ingest on the broker\'s bus, the default, and on its MQTT session) and receipt (the old path)',
  estimatedSeconds: 450,
  async run(ctx) {
    // In one process the ingest takes device messages from the broker's bus (the default) or
    // through its MQTT session (--ingest-feed mqtt); both hold the PUBACK until stored.
    const runs: { deployment: Deployment; ack: 'ingest' | 'receipt'; feed?: 'mqtt' }[] = [
      { deployment: 'single', ack: 'ingest' }, { deployment: 'single', ack: 'ingest', feed: 'mqtt' }, { deployment: 'split', ack: 'ingest' },
      { deployment: 'single', ack: 'receipt' }, { deployment: 'split', ack: 'receipt' },
    ];
    const rows: BenchRow[] = [];
    const results: (PubackFaultResult & { ack: string })[] = [];
    for (const run of runs) {
      ctx.progress(`${run.deployment}, --broker-ack ${run.ack}: ${DEVICES} devices x ${RATE}/s, 3 kills`);
      const label = `${run.deployment === 'single' ? 'parkpulse all' : 'broker + ingest'} --broker-ack ${run.ack}${run.feed ? ` --ingest-feed ${run.feed}` : ''}`;
      let r: PubackFaultResult;
      try {
        r = await runPubackFaults({
          deployment: run.deployment, devices: DEVICES, ratePerDevice: RATE, kills: 3, gapMs: [2000, 5000],
          flags: ['--broker-ack', run.ack, '--broker-rate-per-sec', '0', '--broker-max-connections', '20000', ...(run.feed ? ['--ingest-feed', run.feed] : [])],
          readyTimeoutMs: 180_000,
          progress: (l) => ctx.progress(`  ${l}`),
        });
      } catch (err) {
        // One run that could not finish (a restart not ready in time on a loaded machine) is a row, not the end of the suite.
        rows.push({ metric: `${label}: acknowledged / stored / missing`, value: 'failed', unit: '', note: (err as Error).message.split('\n')[0]!.slice(0, 200) });
        continue;
      }
      results.push({ ...r, ack: run.ack });
      rows.push({
        metric: `${label}: acknowledged / stored / missing`,
        value: `${r.acked}/${r.stored}/${r.missing}`, unit: 'readings',
        note: `kills ${r.kills.map((k) => k.target).join(', ')}; duplicated rows ${r.duplicated}; resent after reconnect ${r.fleet.resent}; ${r.drained ? 'all outboxes acknowledged' : 'outboxes NOT drained'}; ${Math.round(r.acked / (r.elapsedMs / 1000))} acknowledged/s over ${Math.round(r.elapsedMs / 1000)} s`,
      });
    }
    return { rows, details: { devices: DEVICES, ratePerDevice: RATE, results } };
  },
};
