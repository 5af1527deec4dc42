// The real CLI in a child process (`node_modules/.bin/tsx bin/parkpulse.ts <command> ...`), in its
// own process group so that a SIGKILL reaches the node process tsx starts, as a crash would.
import { join } from 'node:path';
import { spawnManaged, type Managed } from './processes.ts';

export const TSX = join(process.cwd(), 'node_modules/.bin/tsx');
export const CLI = join(process.cwd(), 'bin/parkpulse.ts');

/** Env of the test run minus the config variables, so only the given ones apply. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(INFLUX_|BROKER_|MQTT_|SQLITE_|INGEST_|SCREEN_|SIM_|DATA_DIR|PARK_|LOG_LEVEL)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export function startCli(args: readonly string[], env: Record<string, string> = {}): Managed {
  // SIGTERM goes to the node process tsx started (see gracefulTo); it exits, and tsx with its code.
  return spawnManaged(TSX, [CLI, ...args], { env: cleanEnv(env), gracefulTo: 'children' });
}
