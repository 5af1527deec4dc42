// Running the real CLI in a child process, as a user would, on free ports: to its end (runCli), or
// as a managed process in its own group, so that a SIGKILL reaches the node process tsx starts, as
// a crash would (startCli).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { spawnManaged, type Managed } from './processes.ts';

export const TSX = join(process.cwd(), 'node_modules/.bin/tsx');
export const CLI = join(process.cwd(), 'bin/parkpulse.ts');

// One free-port helper for all test processes.
import { freePort } from './processes.ts';

export { freePort };

/** Flags that put an embedded park on free ports in `dir`. */
export async function embeddedFlags(dir: string): Promise<string[]> {
  return ['--data-dir', dir, '--broker-port', String(await freePort()), '--broker-ws-port', String(await freePort()), '--screen-port', String(await freePort()), '--screen-host', '127.0.0.1', '--broker-host', '127.0.0.1'];
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `parkpulse args...` to its end (killed after `timeoutMs`). */
export function runCli(args: string[], timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(TSX, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Env of the test run minus the config variables, so only the given ones apply. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(INFLUX_|BROKER_|MQTT_|SQLITE_|INGEST_|SCREEN_|SIM_|DATA_DIR|PARK_|LOG_LEVEL)/.test(k)) continue;
    env[k] = v;
  }
  // Health/metrics ports on free ones unless a test names them: the defaults (9101, 9102) would
  // collide between CLI processes of tests running in parallel, and the loser exits.
  return { ...env, BROKER_HTTP_PORT: '0', INGEST_HTTP_PORT: '0', ...extra };
}

export function startCli(args: readonly string[], env: Record<string, string> = {}): Managed {
  // SIGTERM goes to the node process tsx started (see gracefulTo); it exits, and tsx with its code.
  return spawnManaged(TSX, [CLI, ...args], { env: cleanEnv(env), gracefulTo: 'children' });
}
