// The page's state in one place, and render scheduling: panels subscribe, updates are batched
// into at most one render per animation frame.
import type { Device, Enterprise, ParkModelData } from '../../../shared/park-model.ts';
import type { KpiSet } from '../../../shared/schema.ts';
import type { ConnectionState, LiveMirror, LiveUpdate } from './live-client.ts';

export type Point = [number, number];

export interface History {
  /** Park total kW, last hour (1-minute buckets, then live samples). */
  power: Point[];
  /** Park total kW, last 24 h (10-minute buckets). */
  power24h: Point[];
  dl: Point[];
  ul: Point[];
  latency: Point[];
  /** Camera events per hour, last 24 h. */
  events24h: Point[];
}

export interface App {
  model: ParkModelData;
  deviceById: Map<string, Device>;
  enterpriseById: Map<string, Enterprise>;
  live: LiveMirror;
  kpis: KpiSet | null;
  connection: ConnectionState;
  /** Browser clock of the last time the connection was open (0: never). */
  lastOpenAt: number;
  history: History;
  /** The server's clock now: its last message time plus what elapsed here since. */
  serverNow(): number;
}

export type RenderReason = { live?: LiveUpdate; kpis?: boolean; history?: boolean; tick?: boolean; all?: boolean };
type Renderer = (app: App, reason: RenderReason) => void;

const renderers: Renderer[] = [];
let pending: RenderReason | null = null;

export function onRender(fn: Renderer): void {
  renderers.push(fn);
}

/** Queues a render; several updates within one frame become one render. */
function mergeLive(a: LiveUpdate | undefined, b: LiveUpdate | undefined): LiveUpdate | undefined {
  if (!a || !b) return a ?? b;
  return {
    kind: a.kind === 'snapshot' || b.kind === 'snapshot' ? 'snapshot' : 'delta',
    devices: [...a.devices, ...b.devices],
    summaryChanged: a.summaryChanged || b.summaryChanged,
    alertsChanged: a.alertsChanged || b.alertsChanged,
    noticesChanged: a.noticesChanged || b.noticesChanged,
  };
}

/** Queues a render; several updates within one frame become one render that carries them all. */
export function requestRender(app: App, reason: RenderReason): void {
  if (pending) {
    pending = {
      live: mergeLive(pending.live, reason.live),
      kpis: pending.kpis || reason.kpis,
      history: pending.history || reason.history,
      tick: pending.tick || reason.tick,
      all: pending.all || reason.all,
    };
    return;
  }
  pending = reason;
  requestAnimationFrame(() => {
    const r = pending!;
    pending = null;
    for (const fn of renderers) {
      try {
        fn(app, r);
      } catch (err) {
        // One broken panel must not blank the wall.
        setTimeout(() => {
          throw err;
        });
      }
    }
  });
}

export function createApp(model: ParkModelData, live: LiveMirror): App {
  const app: App = {
    model,
    deviceById: new Map(model.devices.map((d) => [d.id, d])),
    enterpriseById: new Map(model.enterprises.map((e) => [e.id, e])),
    live,
    kpis: null,
    connection: 'connecting',
    lastOpenAt: 0,
    history: { power: [], power24h: [], dl: [], ul: [], latency: [], events24h: [] },
    serverNow: () => (live.receivedAt === 0 ? Date.now() : live.serverAt + (Date.now() - live.receivedAt)),
  };
  return app;
}
