#!/usr/bin/env -S npx tsx
// The one CLI and the only entry file: reads flags and env, builds the logger, starts the chosen
// process(es), prints where the screen is, and handles signals. `npm start` runs `all`.
import { loadParkModel } from '../shared/park-model.ts';
import { isToolCommand } from './config/commands.ts';
import { helpText } from './config/help.ts';
import { loadConfig, type AppConfig } from './config/load-config.ts';
import { ConfigError } from './errors.ts';
import { buildLoadModel } from '../shared/load-model.ts';
import { createLogger } from '../shared/logger.ts';
import { createMetricsRegistry, gaugeFrom } from '../shared/metrics.ts';
import { startHeapGrowth } from '../shared/heap-growth.ts';
import { listenOps } from '../shared/ops-server.ts';
import { provision } from '../shared/registry.ts';
import { auditCommand, operatorCommand } from './admin-commands.ts';
import { runDeviceCommand } from './device-command.ts';
import { clusterConfigCommand } from './cluster-command.ts';
import { busFeedOf, startAggregator, startBroker, startIngest, startScreen, startSim, STATIC_DIR, type Ops, type Running, type RunningBroker } from './services.ts';
import { TOOLS } from './tools.ts';
import { missingRuntimeEnv, RUNTIME_ENV } from './runtime-env.ts';
import { existsSync } from 'node:fs';

let config: AppConfig;
try {
  config = loadConfig({ argv: process.argv.slice(2), env: process.env });
} catch (err) {
  process.stderr.write(`parkpulse: ${(err as Error).message}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
}
if (config.help) {
  process.stdout.write(`${helpText()}\n`);
  process.exit(0);
}

// One-shot admin commands: no logger, no services. OPERATOR_PASSWORD is a secret, so it is read
// here and never becomes part of the (logged) config.
if (config.command === 'operator') process.exit(await operatorCommand(config, process.env.OPERATOR_PASSWORD));
if (config.command === 'audit') process.exit(auditCommand(config));

// Tool commands keep stdout for their summary (or JSON): their logs go to stderr.
const logger = createLogger({ level: config.logLevel, name: config.command, destination: isToolCommand(config.command) ? process.stderr : undefined });
const baseModel = loadParkModel(config.parkModelPath);
// With --load-devices N every process knows the synthetic load meters (registry, ingest, screen).
const model = config.load.devices > 0 ? buildLoadModel(config.load.devices, baseModel) : baseModel;
const running: Running[] = [];
// One metrics registry and one set of readiness checks for every service in this process.
const ops: Ops = { metrics: createMetricsRegistry({ processMetrics: true }), checks: [] };

/** The broker's process keeps its old generation near its live data while it has CPU to spare (shared/heap-growth.ts). */
function applyHeapGrowth(percent: number): void {
  const log = logger.child({ module: 'heap-growth' });
  const growth = startHeapGrowth({ percent, onChange: (bounded, utilisation) => log.info({ bounded, percent: bounded ? percent : 'V8', eventLoopUtilisation: Number(utilisation.toFixed(2)) }, bounded ? 'old generation bounded to live data + percent' : 'event loop busy: V8 sizes the old generation itself') });
  gaugeFrom(ops.metrics, 'process_heap_growth_bounded', 'Whether the V8 old generation is bounded to live data + BROKER_HEAP_GROWTH_PERCENT now (1) or sized by V8 because the process is busy (0)', () => (growth.bounded() ? 1 : 0));
}

async function main(): Promise<void> {
  const cmd = config.command;
  if (isToolCommand(cmd)) {
    const code = await TOOLS[cmd]({ config, model, logger, running, ops });
    if (!stopping) void shutdown('done', code);
    return;
  }
  if (cmd === 'provision') {
    const { added } = await provision({ model, registryPath: config.registryPath, secretsDir: config.secretsDir });
    process.stdout.write(`registry ${config.registryPath}: ${added.length} account(s) added; secrets in ${config.secretsDir}\n`);
    return;
  }
  if (cmd === 'device') {
    process.exitCode = await runDeviceCommand(config);
    return;
  }
  if (cmd === 'cluster-config') {
    process.exitCode = await clusterConfigCommand(config, logger);
    return;
  }
  if (cmd === 'aggregator') running.push(await startAggregator(config, model, logger, ops));
  let broker: RunningBroker | null = null;
  if (cmd === 'all' || cmd === 'broker') {
    const missing = missingRuntimeEnv(process.env);
    // Said once, for a broker started by hand rather than by npm start or the image.
    if (missing.length > 0) logger.info({ set: Object.fromEntries(missing.map((k) => [k, RUNTIME_ENV[k]])) }, 'started without the launcher environment: each thread that checks a secret keeps ~16 MiB of RSS (bin/runtime-env.ts)');
    applyHeapGrowth(config.broker.heapGrowthPercent);
    broker = await startBroker(config, model, logger, ops);
    running.push(broker);
  }
  if (cmd === 'all' || cmd === 'ingest') {
    // Sharing the process with the broker, the ingest takes device messages from its bus.
    const feed = broker && config.ingest.feed === 'bus' ? busFeedOf(broker) : null;
    running.push(await startIngest(config, model, logger, ops, feed ? { feed } : {}));
  }
  if (cmd === 'all' || cmd === 'screen') {
    const screen = await startScreen(config, model, logger, ops);
    running.push(screen);
    // The wall screen's address carries the viewer token; the page keeps it and drops it from the
    // address bar. This is terminal output for the operator, never a log line.
    const url = `http://localhost:${screen.port}/?token=${encodeURIComponent(screen.viewerToken)}`;
    if (!existsSync(STATIC_DIR)) logger.warn('the screen app is not built: run `npm run build`');
    process.stdout.write(`\n  ParkPulse screen: ${url}\n  (zh-CN; English: ${url}&lang=en)\n\n`);
  }
  if (cmd === 'all' || cmd === 'sim') running.push(await startSim(config, model, logger));
  // /healthz, /readyz, /metrics: the broker's port serves the whole process in `all`; the screen
  // serves them on its own port.
  const opsAt = cmd === 'all' || cmd === 'broker' ? { host: config.broker.host, port: config.broker.httpPort } : cmd === 'ingest' || cmd === 'aggregator' ? { host: config.ingest.httpHost, port: config.ingest.httpPort } : null;
  if (opsAt !== null) {
    const opsHttp = await listenOps({ ...opsAt, metrics: ops.metrics, checks: () => ops.checks });
    // First in the list, so stopped last: /readyz says 503 while the services shut down.
    running.unshift({ name: 'ops', close: () => opsHttp.close() });
    logger.info({ port: opsHttp.port }, 'health and metrics on /healthz, /readyz, /metrics');
  }
  logger.info({ processes: running.map((r) => r.name) }, 'running; Ctrl-C to stop');
}

let stopping = false;
async function shutdown(signal: string, exitCode = 0): Promise<void> {
  if (stopping) {
    logger.warn('second signal: exiting now');
    process.exit(1);
  }
  stopping = true;
  logger.info({ signal }, 'shutting down');
  const timer = setTimeout(() => {
    logger.error('shutdown took over 15 s; exiting');
    process.exit(1);
  }, 15_000);
  timer.unref();
  for (const r of running) r.beforeStop?.();
  // Reverse start order: devices leave first, then the screen, then the ingest flushes and
  // acknowledges what it holds, and the broker goes last.
  for (const r of [...running].reverse()) {
    try {
      await r.close();
    } catch (err) {
      logger.error({ err, process: r.name }, 'error while stopping');
    }
  }
  logger.flush();
  process.exit(exitCode);
}

process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

main().catch((err: Error) => {
  logger.fatal({ err }, 'failed to start');
  logger.flush();
  void shutdown('startup-failure', 1);
});
