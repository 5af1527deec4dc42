// External programs (influxd, victoria-metrics, mosquitto, nginx, chromium): a test that needs one
// skips with a printed reason where it is missing, except in CI, where `.ci/run` installs them and
// sets PARKPULSE_REQUIRE_EXTERNAL=1 so that a missing program fails instead of skipping.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const REQUIRE_EXTERNAL = process.env.PARKPULSE_REQUIRE_EXTERNAL === '1';

export function findProgram(name: string, extraPaths: string[] = []): string | null {
  const dirs = [...extraPaths, ...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/sbin'];
  for (const dir of dirs) {
    const path = name.startsWith('/') ? name : join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return null;
}

/** The program's path, or null after printing why the test is skipped; throws in CI. */
export function requireProgram(name: string, why: string): string | null {
  const path = findProgram(name);
  if (path) return path;
  const message = `${name} not found: ${why} (apt-get install it, or run .ci/run)`;
  if (REQUIRE_EXTERNAL) throw new Error(`PARKPULSE_REQUIRE_EXTERNAL=1 and ${message}`);
  process.stdout.write(`SKIP: ${message}\n`);
  return null;
}
