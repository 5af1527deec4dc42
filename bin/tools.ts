// The tool commands: record, replay, scenario, load and bad-input. Each runs one job with progress
// on stderr and a closing summary on stdout (text, or one JSON line with --report json), against
// the park it starts in this process first (--target embedded, the default) or a park that is
// already running (--target external: --mqtt-url, and the same --data-dir for the secrets).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { connectBrokerAsync } from '../shared/broker-client.ts';
import type { Ingest } from '../ingest/create-ingest.ts';
import type { ToolCommand } from './config/commands.ts';
import type { AppConfig } from './config/load-config.ts';
import { isLoadDeviceId } from '../shared/load-model.ts';
import type { Logger } from '../shared/logger.ts';
import type { ParkModel } from '../shared/park-model.ts';
import { readFleetKey, readServiceSecret, serviceUsername } from '../shared/registry.ts';
import type { LiveMessage } from '../shared/schema.ts';
import { liveTopic } from '../shared/topics.ts';
import { BAD_INPUT_KINDS, runBadInput, type BadInputCounters } from '../simulators/bad-input.ts';
import { createFleet, type Fleet } from '../simulators/fleet.ts';
import { runLoad } from '../simulators/load.ts';
import { createRecorder } from '../simulators/recorder.ts';
import { createReplay, recordingFiles } from '../simulators/replay.ts';
import { loadScenario } from '../simulators/scenario.ts';
import { runScenario } from '../simulators/scenario-runner.ts';
import { bytes, clock, createProgress, num, type Progress } from './progress.ts';
import { startBroker, startIngest, startScreen, startSim, STATIC_DIR, type Ops, type Running, type RunningBroker } from './services.ts';

export interface ToolContext {
  config: AppConfig;
  model: ParkModel;
  logger: Logger;
  /** Everything started is pushed here, in start order; the entry stops it in reverse. */
  running: Running[];
  /** Metrics and readiness shared by the services this process runs. */
  ops: Ops;
}

interface EmbeddedPark {
  broker: RunningBroker | null;
  ingest: Ingest | null;
  fleet: Fleet | null;
}

/** Starts broker, ingest, screen (and the simulator) like `all`, unless the target is external. */
async function embeddedPark(ctx: ToolContext, opts: { sim: boolean; intervalMs?: number; seed?: number }): Promise<EmbeddedPark> {
  const { config, model, logger, running, ops } = ctx;
  if (config.tools.target === 'external') return { broker: null, ingest: null, fleet: null };
  let broker: RunningBroker;
  try {
    broker = await startBroker(config, model, logger, ops);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`port ${config.broker.port} is in use: if the park is already running, add --target external to use it`);
    }
    throw err;
  }
  running.push(broker);
  const ingest = await startIngest(config, model, logger, ops);
  running.push(ingest);
  const screen = await startScreen(config, model, logger, ops);
  running.push(screen);
  if (!existsSync(STATIC_DIR)) logger.warn('the screen app is not built: run `npm run build`');
  process.stderr.write(`park running in this process; screen: http://localhost:${screen.port}/?token=${encodeURIComponent(screen.viewerToken)}\n`);
  let fleet: Fleet | null = null;
  if (opts.sim) {
    const sim = await startSim(config, model, logger, { intervalMs: opts.intervalMs, seed: opts.seed });
    running.push(sim);
    fleet = sim.fleet;
  }
  return { broker, ingest: ingest.ingest, fleet };
}

function summary(ctx: ToolContext, text: string, data: object): void {
  process.stdout.write(ctx.config.tools.report === 'json' ? `${JSON.stringify(data)}\n` : `${text}\n`);
}

/** Resolves when the job should end: after `ms` (if > 0), or when the entry stops the tool (Ctrl-C). */
function endSignal(ms: number): { ended: Promise<void>; end: () => void } {
  let end!: () => void;
  const ended = new Promise<void>((r) => (end = r));
  if (ms > 0) setTimeout(end, ms).unref();
  return { ended, end };
}

function ticker(progress: Progress, render: () => [string, number | null]): () => void {
  const draw = (): void => progress.update(...render());
  draw();
  const t = setInterval(draw, 250);
  return () => {
    clearInterval(t);
    progress.done(...render());
  };
}

const progressOnStderr = (): Progress => createProgress({ stream: process.stderr });

async function record(ctx: ToolContext): Promise<number> {
  const { config, model, logger } = ctx;
  // The recorder subscribes before the embedded simulator starts, so the recording has it all.
  const park = await embeddedPark(ctx, { sim: false });
  const recorder = await createRecorder({
    url: config.mqttUrl, parkId: model.id, username: serviceUsername('recorder', model.id), password: readServiceSecret(config.secretsDir, 'recorder'),
    out: config.record.out, rotateBytes: config.record.rotateMb * 1024 * 1024, rotateMs: config.record.rotateMinutes * 60_000, logger,
  });
  ctx.running.push({ name: 'recorder', close: () => recorder.close() });
  await recorder.ready();
  const sim = park.broker ? await startSim(config, model, logger) : null;
  if (sim) ctx.running.push(sim);
  const durationMs = config.tools.durationS * 1000;
  const started = Date.now();
  const job = endSignal(durationMs);
  let last = { at: started, messages: 0, rate: 0 };
  const stop = ticker(progressOnStderr(), () => {
    const s = recorder.stats();
    const t = Date.now();
    if (t - last.at >= 1000) last = { at: t, messages: s.messages, rate: ((s.messages - last.messages) * 1000) / (t - last.at) };
    const of = durationMs > 0 ? ` of ${clock(durationMs)}` : ' (Ctrl-C to stop)';
    return [`recording ${num(s.messages)} msgs, ${bytes(s.bytes)}, ${s.files.length} file(s) · ${num(last.rate)} msg/s · ${clock(t - started)}${of}`, durationMs > 0 ? (t - started) / durationMs : null];
  });
  const finished = job.ended.then(async () => {
    await sim?.close(); // the simulated devices' goodbyes (offline statuses) end up in the recording
    await new Promise((r) => setTimeout(r, 200));
    await recorder.close();
    stop();
    const s = recorder.stats();
    summary(ctx, `recorded ${num(s.messages)} messages (${bytes(s.bytes)}) in ${clock(Date.now() - started)} to:\n${s.files.map((f) => `  ${f}`).join('\n')}\nreplay with: npm start -- replay ${resolve(config.record.out, '..')} --speed 60`, { command: 'record', ...s, durationMs: Date.now() - started });
    return 0;
  });
  ctx.running.push({ name: 'record', close: async () => (job.end(), void (await finished)) });
  return finished;
}

async function replay(ctx: ToolContext): Promise<number> {
  const { config, model, logger } = ctx;
  recordingFiles(config.files); // a missing recording fails before anything starts
  const park = await embeddedPark(ctx, { sim: false });
  const before = park.ingest?.stats();
  const run = await createReplay({ paths: config.files, url: config.mqttUrl, parkId: model.id, fleetKey: readFleetKey(config.secretsDir), speed: config.replay.speed, clock: config.replay.clock, logger });
  const speed = config.replay.speed;
  const stop = ticker(progressOnStderr(), () => {
    const p = run.progress();
    const rate = p.elapsedMs > 0 ? (p.acked * 1000) / p.elapsedMs : 0;
    // Behind schedule (the park cannot take the pace) the message rate, not the schedule, says when it ends.
    const byRate = rate > 0 ? ((p.total - p.sent) / rate) * 1000 : 0;
    const eta = speed === 'max' ? byRate : Math.max((p.span - p.position) / speed, byRate);
    const x = p.elapsedMs > 0 ? p.position / p.elapsedMs : 0;
    return [`${num(p.sent)}/${num(p.total)} msgs · ${num(rate)} msg/s · recorded ${clock(p.position)} of ${clock(p.span)} · x${x.toFixed(1)} · errors ${p.errors} · ETA ${clock(eta)}`, p.total > 0 ? p.sent / p.total : 1];
  });
  ctx.running.push({ name: 'replay', close: async () => (run.cancel(), void (await run.done.catch(() => {}))) });
  const s = await run.done;
  stop();
  let stored = '';
  let ingest: object = {};
  if (park.ingest && before) {
    // Embedded: wait until the ingest has taken what was acknowledged, and say what it did with it.
    const deadline = Date.now() + 30_000;
    const taken = (): number => park.ingest!.stats().accepted + park.ingest!.stats().rejected - before.accepted - before.rejected;
    while ((taken() < s.acked || park.ingest.stats().pendingWrites > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const a = park.ingest.stats();
    ingest = { accepted: a.accepted - before.accepted, rejected: a.rejected - before.rejected, duplicates: a.duplicates - before.duplicates };
    stored = `\ningest: ${num(a.accepted - before.accepted)} accepted (${num(a.duplicates - before.duplicates)} already in the store), ${num(a.rejected - before.rejected)} rejected`;
  }
  const e = s.errorsBy;
  summary(
    ctx,
    `replay ${s.cancelled ? 'cancelled' : 'done'}: sent ${num(s.sent)} of ${num(s.total)} messages from ${s.devices} devices in ${clock(s.elapsedMs)} (${num(s.ratePerSec)} msg/s, x${s.achievedSpeed} of recorded time); errors ${s.errors}` +
      (s.errors > 0 ? ` (unreadable lines ${e.unreadableLines}, other park ${e.otherPark}, refused devices ${e.refusedDevices} with ${e.refusedMessages} messages, failed publishes ${e.publishFailed})` : '') + stored,
    { command: 'replay', ...s, ingest },
  );
  return s.errors > 0 || s.cancelled ? 1 : 0;
}

async function scenario(ctx: ToolContext): Promise<number> {
  const { config, model, logger } = ctx;
  const sc = loadScenario(config.files[0]!, model); // fails before anything starts
  const park = await embeddedPark(ctx, { sim: true, intervalMs: sc.intervalMs, seed: sc.seed });
  let fleet = park.fleet;
  if (!fleet) {
    fleet = await createFleet({
      model, url: config.mqttUrl, fleetKey: readFleetKey(config.secretsDir), logger,
      devices: model.devices.filter((d) => !isLoadDeviceId(d.id)), intervalMs: sc.intervalMs ?? config.sim.intervalMs, seed: sc.seed ?? config.sim.seed,
      alarms: config.sim.alarms,
    });
    const f = fleet;
    ctx.running.push({ name: 'sim', close: () => f.close() });
  }
  await fleet.connected(60_000);
  const progress = progressOnStderr();
  progress.log(`scenario ${sc.name}: ${sc.steps.length} steps over ${clock(sc.duration)}${sc.description ? ` (${sc.description})` : ''}`);
  const run = runScenario({
    scenario: sc, fleet, model, logger,
    restartBroker: park.broker ? (ms) => park.broker!.restart(ms) : undefined,
    onStep: (r) => progress.log(`  [${clock(r.at)}] ${r.action.padEnd(15)} ${r.ok ? r.detail : `FAILED: ${r.error}`}`),
  });
  const started = Date.now();
  const f = fleet;
  const stop = ticker(progress, () => {
    const s = f.stats();
    return [`${sc.name} ${clock(Date.now() - started)} of ${clock(sc.duration)} · devices ${s.connected}/${s.devices} connected · reconnects ${s.reconnects}`, (Date.now() - started) / sc.duration];
  });
  ctx.running.push({ name: 'scenario', close: async () => (run.cancel(), void (await run.done)) });
  const report = await run.done;
  stop();
  const steps = report.steps.filter((r) => r.action !== 'restore');
  summary(ctx, `scenario ${sc.name}: ${steps.filter((r) => r.ok).length} of ${sc.steps.length} steps done (${report.steps.length - steps.length} faults restored), ${report.failed} failed, in ${clock(report.durationMs)}`, { command: 'scenario', ...report });
  return report.failed > 0 ? 1 : 0;
}

async function load(ctx: ToolContext): Promise<number> {
  const { config, model, logger } = ctx;
  await embeddedPark(ctx, { sim: false });
  const { index, count } = config.load.shard;
  const run = await runLoad({
    model, url: config.mqttUrl, fleetKey: readFleetKey(config.secretsDir), logger,
    devices: config.load.devices, shard: config.load.shard, rampPerSec: config.load.ramp, ratePerSec: config.load.rate,
    payloadBytes: config.load.payloadBytes, durationMs: (config.tools.durationS || 60) * 1000,
    statePath: `${config.dataDir}/load-state-${index}-of-${count}.json`,
  });
  const stop = ticker(progressOnStderr(), () => {
    const p = run.progress();
    return [`load ${clock(p.elapsedMs)} of ${clock(p.durationMs)} · connected ${num(p.connected)}/${num(p.devices)} · ${num(p.ratePerSec)} msg/s (target ${num(p.devices * config.load.rate)}) · acked ${num(p.acked)} · failed ${p.failed}`, p.elapsedMs / p.durationMs];
  });
  ctx.running.push({ name: 'load', close: async () => (run.cancel(), void (await run.done)) });
  const r = await run.done;
  stop();
  summary(
    ctx,
    `load ${r.shard}: ${num(r.devices)} devices, all connected after ${r.allConnectedAfterS ?? '-'} s, ${r.connectFailures} connection failure(s) ${JSON.stringify(r.connectErrors)}; ` +
      `acked ${num(r.acked)} of ${num(r.sent)} (${r.failed} failed); ${r.achievedRatePerSec === null ? 'no steady state' : `${num(r.achievedRatePerSec)} msg/s`} against a target of ${num(r.targetRatePerSec)} msg/s (${num(r.overallRatePerSec)} over the whole run, ramp included)`,
    { command: 'load', ...r },
  );
  return r.connectFailures > 0 || r.failed > 0 ? 1 : 0;
}

/** The ingest's reject counters as the screen sees them: in the live deltas' summary. */
async function liveRejects(ctx: ToolContext): Promise<BadInputCounters & { close(): Promise<void> }> {
  const { config, model, logger } = ctx;
  const client = await connectBrokerAsync(config.mqttUrl, {
    clientId: `svc-screen-bad-input-${process.pid}`, username: serviceUsername('screen', model.id), password: readServiceSecret(config.secretsDir, 'screen'), reconnectPeriod: 1000,
  });
  let latest: Record<string, number> | null = null;
  client.on('message', (_t, payload) => {
    latest = (JSON.parse(payload.toString()) as LiveMessage).summary.ingest.rejects;
  });
  await client.subscribeAsync([liveTopic(model.id, 'snapshot'), liveTopic(model.id, 'delta')], { qos: 1 });
  const deadline = Date.now() + 15_000;
  while (latest === null) {
    if (Date.now() > deadline) throw new Error('no live state from the ingest within 15 s: is the ingest running?');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { ingestRejects: async () => ({ ...latest! }), close: () => client.endAsync() };
}

async function badInput(ctx: ToolContext): Promise<number> {
  const { config, model, logger } = ctx;
  const park = await embeddedPark(ctx, { sim: false });
  const external = park.ingest ? null : await liveRejects(ctx);
  const counters: BadInputCounters = park.ingest
    ? { ingestRejects: async () => park.ingest!.stats().rejects, brokerRefused: () => park.broker!.broker().stats().refused }
    : external!;
  const progress = progressOnStderr();
  progress.log(`bad-input: ${config.badInput.perKind} of each kind (${Object.keys(BAD_INPUT_KINDS).join(', ')})`);
  const results = await runBadInput({ url: config.mqttUrl, model, fleetKey: readFleetKey(config.secretsDir), logger, counters, perKind: config.badInput.perKind });
  await external?.close();
  const rows = results.map(
    (r) => `  ${r.ok ? 'ok  ' : 'FAIL'} ${r.kind.padEnd(17)} sent ${String(r.sent).padStart(4)}  client saw: ${r.clientSaw.padEnd(18)} counted ${r.counted === null ? '(broker in another process)' : String(r.counted).padStart(4)} as ${r.counter}${r.sharesCounterWith.length > 0 && r.counted !== null ? ` (shared with ${r.sharesCounterWith.join(', ')})` : ''}`,
  );
  const failed = results.filter((r) => !r.ok).length;
  summary(ctx, `bad-input: ${results.length - failed} of ${results.length} kinds rejected and counted as expected\n${rows.join('\n')}`, { command: 'bad-input', results });
  return failed > 0 ? 1 : 0;
}

/** One function per tool command of bin/config/commands.ts (the type makes the two lists one). */
export const TOOLS: Record<ToolCommand, (ctx: ToolContext) => Promise<number>> = { record, replay, scenario, load, 'bad-input': badInput };
