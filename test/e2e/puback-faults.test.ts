// A PUBACK means stored: load meters publish QoS 1 while the park is SIGKILLed at random moments
// (the single `parkpulse all` process; the broker and the ingest as separate processes), and
// afterwards every reading a device got a PUBACK for is in the store exactly once (device, seq).
// A light rate keeps it in the suite; `npm run bench -- faults` runs the same at 8k msg/s.
import { describe, expect, it } from 'vitest';
import { runPubackFaults, type PubackFaultResult, type Target } from '../../testkit/puback-faults.ts';

const report = (r: PubackFaultResult): string =>
  `${r.deployment}: kills ${r.kills.map((k) => `${k.target}@${k.atMs}ms`).join(', ')}; sent ${r.fleet.sent}, acked ${r.acked}, resent ${r.fleet.resent}, stored ${r.stored}, missing ${r.missing}, duplicated ${r.duplicated}, ${r.elapsedMs} ms`;

/** The run's report, then: every acknowledged reading stored once, and nothing stored that was not acknowledged. */
function expectStoredOnce(r: PubackFaultResult): void {
  process.stdout.write(`${report(r)}\n`);
  expect(r.drained).toBe(true);
  expect(r.acked).toBeGreaterThan(300);
  expect(r.missing).toBe(0);
  expect(r.duplicated).toBe(0);
  // Nothing else of the fleet got in either: what is stored was all acknowledged in the end.
  expect(r.stored).toBe(r.acked);
}

describe('PUBACK means stored, under SIGKILL', () => {
  it('one process (parkpulse all): killed twice at random moments', async () => {
    const r = await runPubackFaults({ deployment: 'single', devices: 20, ratePerDevice: 20, kills: 2, gapMs: [500, 2500] });
    expectStoredOnce(r);
  }, 120_000);

  it('broker and ingest as separate processes: each killed at random moments', async () => {
    // The broker and the ingest, then one of them again, at random.
    const order = ['broker', 'ingest', 'broker', 'ingest'].sort(() => Math.random() - 0.5);
    const r = await runPubackFaults({
      deployment: 'split', devices: 20, ratePerDevice: 20, kills: 3, gapMs: [500, 2000],
      order: [...(['broker', 'ingest'] as Target[]).sort(() => Math.random() - 0.5), Math.random() < 0.5 ? 'broker' : 'ingest'],
    });
    expect(new Set(r.kills.map((k) => k.target))).toEqual(new Set(['broker', 'ingest']));
    expectStoredOnce(r);
  }, 150_000);
});
