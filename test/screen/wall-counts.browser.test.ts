/// <reference lib="dom" />
// Counts agree: the header, the map, the camera list and the alert board never contradict each
// other for longer than a delta interval, also right after a restart. Sampled ten times a second
// in Chromium while (1) the whole park (`parkpulse all`) is stopped and started again, as after a
// Ctrl-C, and (2) the simulated fleet stops and comes back while broker, ingest and screen (each
// its own process) keep running.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadParkModel } from '../../shared/park-model.ts';
import { provisionDataDir } from '../../testkit/provisioning.ts';
import { CHROMIUM, launchBrowser, type Browser } from '../../testkit/browser.ts';
import { TEST_SCRYPT, waitFor } from '../../testkit/park.ts';
import { startParkProcesses, type ParkProcesses } from '../helpers/park-processes.ts';
import { CLI } from '../../testkit/cli.ts';
import { freePort, startTs, waitForHttp, type Managed } from '../../testkit/processes.ts';

const ARTIFACTS = join(process.cwd(), 'artifacts', 'screen');
/** A contradiction may last one delta interval (250 ms) plus a frame or two of the sampling. */
const MAX_CONTRADICTION_MS = 600;

interface Sample {
  at: number;
  live: boolean;
  problems: string[];
  camerasOnline: number;
  offlineAlerts: number;
}

/** Samples what the wall shows every 100 ms; each sample lists the contradictions it found. */
function startSampling(): void {
  const w = window as unknown as { __samples: Sample[]; __parkpulse: { liveness(): { live: boolean }; app: { live: { summary: { energy: { metersOnline: number; metersTotal: number } } | null; alerts: { rule: string; state: string; kind: string; normalSince: number | null }[]; devices: Map<string, { kind: string; status: string }> } } } };
  w.__samples = [];
  const num = (id: string): number => Number(document.getElementById(id)!.dataset.value ?? NaN);
  const legend = (k: string): number => Number(document.querySelector<HTMLElement>(`#map-legend [data-legend="${k}"]`)?.dataset.count ?? 0);
  setInterval(() => {
    const app = w.__parkpulse.app;
    const s = app.live.summary;
    if (!s) return;
    const problems: string[] = [];
    const grid = (st: string): number => document.querySelectorAll(`#camera-grid .cam[data-status="${st}"]`).length;
    // Header figures against the camera list and the map.
    const camOnline = num('cam-online');
    const camOffline = num('cam-offline');
    if (camOnline !== grid('online')) problems.push(`header cameras online ${camOnline} vs list ${grid('online')}`);
    if (camOffline !== grid('offline')) problems.push(`header cameras offline ${camOffline} vs list ${grid('offline')}`);
    const online = camOnline + num('node-up') + s.energy.metersOnline;
    if (online !== legend('online')) problems.push(`header online ${online} vs map ${legend('online')}`);
    const offline = camOffline + num('node-down') + [...app.live.devices.values()].filter((d) => d.kind === 'meter' && d.status === 'offline').length;
    if (offline !== legend('offline')) problems.push(`header offline ${offline} vs map ${legend('offline')}`);
    // The board's offline alerts against the devices shown offline (an alert already back to
    // normal, waiting out its off-delay, is shown as recovered, not as a fault).
    const faults = app.live.alerts.filter((a) => a.state !== 'cleared' && a.normalSince === null && /-offline$/.test(a.rule));
    for (const kind of ['camera', 'node5g', 'meter']) {
      const alerts = faults.filter((a) => a.kind === kind).length;
      const devices = [...app.live.devices.values()].filter((d) => d.kind === kind && d.status === 'offline').length;
      if (alerts !== devices) problems.push(`${kind}: ${alerts} offline alerts vs ${devices} devices offline`);
    }
    w.__samples.push({ at: Date.now(), live: w.__parkpulse.liveness().live, problems, camerasOnline: camOnline, offlineAlerts: faults.length });
  }, 100);
}

/** The longest run of contradicting samples while the wall was live, ms, and what they said. */
function longestContradiction(samples: Sample[]): { ms: number; problems: string[] } {
  let worst = { ms: 0, problems: [] as string[] };
  let from: Sample | null = null;
  for (const s of samples) {
    if (s.live && s.problems.length > 0) {
      from ??= s;
      const ms = s.at - from.at + 100;
      if (ms > worst.ms) worst = { ms, problems: s.problems };
    } else from = null;
  }
  return worst;
}

const measured: Record<string, { samples: number; longestMs: number }> = {};

describe.skipIf(!CHROMIUM)('counts agree on the wall, also right after a restart', () => {
  let browser: Browser;
  afterAll(async () => {
    await browser?.close();
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'counts.json'), `${JSON.stringify(measured, null, 2)}\n`);
  });

  async function wall(url: string): Promise<Page> {
    browser ??= await launchBrowser({ width: 1920, height: 1080 });
    const page = await browser.context.newPage();
    await page.goto(`${url}&mute=1`);
    await page.waitForSelector('body[data-rendered="full"]', { timeout: 60_000 });
    await page.evaluate(startSampling);
    return page;
  }
  const samples = (page: Page): Promise<Sample[]> => page.evaluate(() => (window as unknown as { __samples: Sample[] }).__samples);
  const cameras = loadParkModel().devicesOfKind('camera').length;

  it('the whole park stopped with Ctrl-C and started again: no offline storm, counts agree throughout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parkpulse-counts-all-'));
    const model = loadParkModel();
    const provisioned = await provisionDataDir(dir, model, TEST_SCRYPT);
    const ports = { mqtt: await freePort(), ws: await freePort(), http: await freePort(), screen: await freePort() };
    const args = ['all', '--data-dir', dir, '--log-level', 'warn', '--broker-host', '127.0.0.1', '--broker-port', String(ports.mqtt),
      '--broker-ws-port', String(ports.ws), '--broker-http-port', String(ports.http), '--screen-host', '127.0.0.1', '--screen-port', String(ports.screen), '--sim-interval-ms', '500'];
    let park: Managed = startTs(CLI, args);
    try {
      await waitForHttp(`http://127.0.0.1:${ports.http}/readyz`, [200], 90_000, park);
      const page = await wall(`http://127.0.0.1:${ports.screen}/?token=${encodeURIComponent(provisioned.viewerToken)}`);
      await waitFor('every camera online', async () => (await samples(page)).at(-1)?.camerasOnline === cameras, 30_000, 200);
      expect(await park.stop('SIGTERM')).toBe(0); // Ctrl-C: every device leaves with the park
      park = startTs(CLI, args);
      await waitForHttp(`http://127.0.0.1:${ports.http}/readyz`, [200], 90_000, park);
      const restartedAt = Date.now();
      await waitFor('the wall live and every camera online again', async () => {
        const s = (await samples(page)).at(-1);
        return s?.live && s.at > restartedAt && s.camerasOnline === cameras;
      }, 60_000, 200);
      await sleep(5000);
      const all = (await samples(page)).filter((s) => s.at >= restartedAt);
      const worst = longestContradiction(all);
      measured['all restarted'] = { samples: all.length, longestMs: worst.ms };
      console.log(`counts after \`all\` restart: ${all.length} samples, longest contradiction ${worst.ms} ms ${worst.problems.join('; ')}`);
      expect(worst.ms, worst.problems.join('; ')).toBeLessThanOrEqual(MAX_CONTRADICTION_MS);
      // The devices that left with the park are not accused when it comes back.
      expect(Math.max(...all.map((s) => s.offlineAlerts))).toBe(0);
      await page.close();
    } finally {
      await park.stop('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the fleet stops and comes back while the rest runs: the alerts and the counts move together', async () => {
    let park: ParkProcesses | undefined;
    try {
      park = await startParkProcesses({ simIntervalMs: 500 });
      for (const p of ['broker', 'ingest', 'screen', 'sim'] as const) await park.start(p);
      const page = await wall(park.wallUrl);
      await waitFor('every camera online', async () => (await samples(page)).at(-1)?.camerasOnline === cameras, 30_000, 200);
      const from = Date.now();
      await park.stop('sim', 'SIGTERM'); // every device says offline: a real outage, alerted
      await waitFor('every device alerted offline', async () => (await samples(page)).at(-1)?.offlineAlerts === park!.model.devices.length, 30_000, 200);
      await park.start('sim');
      await waitFor('every camera online again', async () => (await samples(page)).at(-1)?.camerasOnline === cameras, 60_000, 200);
      // The offline alerts wait out their off-delay as recovered, then close (slower on a loaded machine).
      await waitFor('every offline alert closed', async () => (await samples(page)).at(-1)?.offlineAlerts === 0, 30_000, 200);
      await sleep(1000);
      const all = (await samples(page)).filter((s) => s.at >= from);
      const worst = longestContradiction(all);
      measured['fleet stopped and back'] = { samples: all.length, longestMs: worst.ms };
      console.log(`counts through a fleet outage: ${all.length} samples, longest contradiction ${worst.ms} ms ${worst.problems.join('; ')}`);
      expect(worst.ms, worst.problems.join('; ')).toBeLessThanOrEqual(MAX_CONTRADICTION_MS);
      expect(all.at(-1)!.offlineAlerts).toBe(0);
      await page.close();
    } finally {
      await park?.close();
    }
  });
});
