// The wall in Chromium: time to first full render, and JS heap growth while the simulator runs at
// 10x speed (read through the DevTools protocol after forced GCs). Default run ~2 minutes; --soak
// runs 30 minutes.
import { join } from 'node:path';
import type { CDPSession } from 'playwright-core';
import { createFleet } from '../../simulators/fleet.ts';
import { CHROMIUM, launchBrowser } from '../../testkit/browser.ts';
import { startPark } from '../../testkit/park.ts';
import type { BenchSuite } from '../harness.ts';

const DEFAULT_INTERVAL_MS = 2000;

function slopePerMinute(samples: { t: number; v: number }[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mt = samples.reduce((s, p) => s + p.t, 0) / n;
  const mv = samples.reduce((s, p) => s + p.v, 0) / n;
  const num = samples.reduce((s, p) => s + (p.t - mt) * (p.v - mv), 0);
  const den = samples.reduce((s, p) => s + (p.t - mt) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 60_000;
}

async function heapMb(cdp: CDPSession): Promise<{ heap: number; nodes: number }> {
  await cdp.send('HeapProfiler.collectGarbage');
  const usage = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  const metrics = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  return { heap: usage.usedSize / 2 ** 20, nodes: metrics.metrics.find((m) => m.name === 'Nodes')?.value ?? 0 };
}

export const screenSuite: BenchSuite = {
  name: 'screen',
  description: 'wall screen: time to first full render; JS heap growth with the simulator at 10x',
  estimatedSeconds: 160,
  async run(ctx) {
    if (!CHROMIUM) throw new Error('chromium is not installed (apt-get install chromium)');
    const minutes = ctx.soak ? 30 : 2;
    const park = await startPark({ coalesceMs: 250, liveIntervalMs: 250 });
    const fleet = await createFleet({ model: park.model, url: park.mqttUrl, fleetKey: park.provisioned.fleetKey, logger: park.logger, intervalMs: DEFAULT_INTERVAL_MS / 10 });
    try {
      await fleet.connected();
      ctx.progress(`park up, ${park.model.devices.length} devices at 10x speed; warming up 15 s`);
      await new Promise((r) => setTimeout(r, 15_000));

      // Time to first full render: a fresh browser profile each time (cold cache), median of 3.
      const renders: number[] = [];
      for (let i = 0; i < 3; i++) {
        const browser = await launchBrowser({ width: 1920, height: 1080 });
        const page = await browser.context.newPage();
        await page.goto(`${park.screenUrl}/?token=${park.provisioned.viewerToken}`);
        await page.waitForSelector('body[data-rendered="full"]', { timeout: 60_000 });
        renders.push(await page.evaluate(() => Math.round(performance.getEntriesByName('parkpulse:full-render')[0]!.startTime)));
        await browser.close();
        ctx.progress(`first full render #${i + 1}: ${renders.at(-1)} ms`);
      }
      renders.sort((a, b) => a - b);

      // Heap over time on one long-lived page.
      const browser = await launchBrowser({ width: 1920, height: 1080 });
      const page = await browser.context.newPage();
      await page.goto(`${park.screenUrl}/?token=${park.provisioned.viewerToken}`);
      await page.waitForSelector('body[data-rendered="full"]', { timeout: 60_000 });
      const cdp = await browser.context.newCDPSession(page);
      await cdp.send('Performance.enable');
      await new Promise((r) => setTimeout(r, 10_000)); // let history and first tweens settle
      const samples: { t: number; heap: number; nodes: number }[] = [];
      const started = Date.now();
      const end = started + minutes * 60_000;
      while (Date.now() < end) {
        const m = await heapMb(cdp);
        samples.push({ t: Date.now() - started, ...m });
        ctx.progress(`heap ${m.heap.toFixed(2)} MB, DOM nodes ${m.nodes}, ${Math.round((Date.now() - started) / 1000)}/${minutes * 60} s, ingest ${park.ingest!.stats().accepted} msgs`);
        await new Promise((r) => setTimeout(r, ctx.soak ? 60_000 : 15_000));
      }
      samples.push({ t: Date.now() - started, ...(await heapMb(cdp)) });
      await page.screenshot({ path: join(ctx.outDir, 'screen-after-heap-run.png') });
      await browser.close();

      const first = samples[0]!;
      const last = samples.at(-1)!;
      const slope = slopePerMinute(samples.map((s) => ({ t: s.t, v: s.heap })));
      return {
        rows: [
          { metric: 'first full render (median of 3)', value: renders[1]!, unit: 'ms', note: `min ${renders[0]} max ${renders[2]}` },
          { metric: 'JS heap at start (after GC)', value: first.heap, unit: 'MB' },
          { metric: `JS heap after ${minutes} min (after GC)`, value: last.heap, unit: 'MB' },
          { metric: 'JS heap growth', value: last.heap - first.heap, unit: 'MB', note: `slope ${slope.toFixed(3)} MB/min` },
          { metric: 'DOM nodes start -> end', value: `${first.nodes} -> ${last.nodes}`, unit: 'nodes' },
          { metric: 'messages ingested during run', value: park.ingest!.stats().accepted, unit: 'msgs', note: 'simulator at 10x (200 ms per device)' },
        ],
        details: { renders, samples, slopeMbPerMin: slope },
      };
    } finally {
      await fleet.close();
      await park.stop();
    }
  },
};
