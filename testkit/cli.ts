// The real CLI in a child process, as a user runs it, on free ports: to its end (runCli) or as a
// managed process (startCli). Both start `node --import tsx bin/parkpulse.ts` (startTs in
// processes.ts), never the tsx binary: tsx relays SIGTERM and SIGKILLs a child that has not
// confirmed within 30 ms, which a busy event loop on a loaded machine misses (exit 143 instead of
// a clean stop).
import { join } from 'node:path';
import { RUNTIME_ENV } from '../bin/runtime-env.ts';
import { freePort, runTs, spawnManaged, startTs, type Managed, type SpawnOptions, type TsRun } from './processes.ts';

export const CLI = join(process.cwd(), 'bin/parkpulse.ts');

/** The CLI compiled to JavaScript (dist/, built by scripts/ensure-build.mjs before tests and benchmarks), as `npm start` and the image run it. */
export const COMPILED_CLI = join(process.cwd(), 'dist/bin/parkpulse.js');

/**
 * Starts `node [nodeArgs] dist/bin/parkpulse.js args...`: the deployed form, no TypeScript loader,
 * with the environment `npm start` and the image give it (bin/runtime-env.ts); `env`, when given, is
 * the whole environment.
 */
export function startCompiled(args: readonly string[], opts: SpawnOptions & { nodeArgs?: readonly string[] } = {}): Managed {
  return spawnManaged(process.execPath, [...(opts.nodeArgs ?? []), COMPILED_CLI, ...args], { ...opts, env: opts.env ?? { ...process.env, ...RUNTIME_ENV } });
}

export { freePort };
export type { Managed };

/** Flags that put an embedded park on free ports in `dir`. */
export async function embeddedFlags(dir: string): Promise<string[]> {
  return ['--data-dir', dir, '--broker-port', String(await freePort()), '--broker-ws-port', String(await freePort()), '--screen-port', String(await freePort()), '--screen-host', '127.0.0.1', '--broker-host', '127.0.0.1'];
}

export type CliResult = TsRun;

/**
 * The test run's environment without ParkPulse's settings, so only the given ones apply. Health and
 * metrics ports on free ones unless a test names them: the defaults (9101, 9102) would collide
 * between CLI processes of tests running in parallel, and the loser exits.
 */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(INFLUX_|BROKER_|MQTT_|SQLITE_|INGEST_|SCREEN_|SIM_|DATA_DIR|PARK_|LOG_LEVEL)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, BROKER_HTTP_PORT: '0', INGEST_HTTP_PORT: '0', ...extra };
}

/** Runs `parkpulse args...` to its end (SIGKILLed after `timeoutMs`), with `input` on its stdin. */
export function runCli(args: readonly string[], opts: { env?: Record<string, string>; timeoutMs?: number; input?: string } = {}): Promise<CliResult> {
  return runTs(CLI, args, { env: cliEnv(opts.env), timeoutMs: opts.timeoutMs ?? 120_000, input: opts.input });
}

/** Starts a long-running command (broker, ingest, screen, sim, all); `stop()` sends SIGTERM and gives its exit code. */
export function startCli(args: readonly string[], env: Record<string, string> = {}): Managed {
  return startTs(CLI, args, { env: cliEnv(env) });
}
