// docker-compose cannot run here (no Docker engine), so check that it is true to the code: every
// service runs a command the CLI has, and every variable it sets is one the config reads.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMMANDS, OPTIONS } from '../shared/config.ts';

interface Service {
  command?: string[];
  environment?: Record<string, string>;
  image?: string;
  build?: unknown;
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, Service> };
  const configEnv = new Set(OPTIONS.map((o) => o.env));

  it('runs broker, ingest, screen and sim from the one image', () => {
    for (const name of ['broker', 'ingest', 'screen', 'sim']) expect(compose.services[name], name).toBeDefined();
  });

  it.each(['broker', 'ingest', 'screen', 'sim'])('%s: command exists in the CLI, env names exist in the config', (name) => {
    const svc = compose.services[name]!;
    const cmd = svc.command?.[0];
    expect(cmd && cmd in COMMANDS, `${name} command ${cmd}`).toBe(true);
    for (const key of Object.keys(svc.environment ?? {})) expect(configEnv.has(key), `${name}: ${key}`).toBe(true);
  });
});
