import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, helpText, loadConfig, OPTIONS } from '../../shared/config.ts';

describe('config', () => {
  it('has defaults for the whole park in one process', () => {
    const c = loadConfig({ argv: [], env: {}, cwd: '/srv/park' });
    expect(c.command).toBe('all');
    expect(c.screen.port).toBe(8080);
    expect(c.broker.port).toBe(1883);
    expect(c.mqttUrl).toBe('mqtt://127.0.0.1:1883');
    expect(c.ingest.sqlitePath).toBe('/srv/park/var/parkpulse.db');
    expect(c.secretsDir).toBe('/srv/park/var/secrets');
  });

  it('takes flags over env over defaults', () => {
    const c = loadConfig({ argv: ['screen', '--screen-port', '9000'], env: { SCREEN_PORT: '9100', BROKER_PORT: '2883', LOG_LEVEL: 'warn' }, cwd: '/x' });
    expect(c.command).toBe('screen');
    expect(c.screen.port).toBe(9000);
    expect(c.broker.port).toBe(2883);
    expect(c.mqttUrl).toBe('mqtt://127.0.0.1:2883');
    expect(c.logLevel).toBe('warn');
  });

  it('is frozen all the way down', () => {
    const c = loadConfig({ argv: [], env: {} });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.screen)).toBe(true);
    expect(() => {
      (c.screen as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it.each([
    [{ argv: ['--screen-port', 'eighty'], env: {} }, /whole number/],
    [{ argv: ['--screen-port', '70000'], env: {} }, /outside/],
    [{ argv: [], env: { LOG_LEVEL: 'loud' } }, /LOG_LEVEL/],
    [{ argv: ['--no-such-flag'], env: {} }, /--help/],
    [{ argv: ['launch'], env: {} }, /unknown command/],
    [{ argv: ['broker', 'ingest'], env: {} }, /one command/],
    [{ argv: [], env: { MQTT_URL: 'http://x' } }, /mqtt/],
    [{ argv: [], env: { PARK_ID: 'Park One' } }, /parkId/],
  ])('refuses %j clearly', (input, message) => {
    expect(() => loadConfig(input)).toThrow(ConfigError);
    expect(() => loadConfig(input)).toThrow(message);
  });

  it('lists every option and command in --help', () => {
    const text = helpText();
    for (const o of OPTIONS) {
      expect(text).toContain(`--${o.flag}`);
      expect(text).toContain(o.env);
    }
    for (const cmd of ['all', 'broker', 'ingest', 'screen', 'sim']) expect(text).toContain(cmd);
  });

  it('uses SQLite and an in-memory broker unless told otherwise', () => {
    const c = loadConfig({ argv: [], env: {}, cwd: '/srv/park' });
    expect(c.influx).toBeNull();
    expect(c.broker.persistence).toBe('memory');
    expect(c.broker.persistenceDir).toBe('/srv/park/var/broker-queue');
  });

  it('reads the InfluxDB settings, with the spool and dead letters under the data folder', () => {
    const c = loadConfig({
      argv: ['ingest', '--influx-bucket', 'telemetry'],
      env: { INFLUX_URL: 'http://influx:8086/', INFLUX_TOKEN: 's3cret', INFLUX_ORG: 'dantu', INFLUX_DATABASE: 'park', INFLUX_RETENTION_POLICY: 'autogen', BROKER_PERSISTENCE: 'disk' },
      cwd: '/srv/park',
    });
    expect(c.influx).toEqual({
      url: 'http://influx:8086', token: 's3cret', org: 'dantu', bucket: 'telemetry', database: 'park', retentionPolicy: 'autogen',
      spoolDir: '/srv/park/var/influx-spool', deadLetterPath: '/srv/park/var/influx-dead-letter.ndjson', timeoutMs: 10_000,
    });
    expect(c.broker.persistence).toBe('disk');
  });

  it('reads the token from INFLUX_TOKEN_FILE, and says which file when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parkpulse-config-'));
    try {
      writeFileSync(join(dir, 'token'), 'from-a-file\n');
      expect(loadConfig({ argv: [], env: { INFLUX_URL: 'http://x:8086', INFLUX_TOKEN_FILE: join(dir, 'token') } }).influx?.token).toBe('from-a-file');
      expect(loadConfig({ argv: [], env: { INFLUX_URL: 'http://x:8086', INFLUX_TOKEN: 'direct', INFLUX_TOKEN_FILE: join(dir, 'token') } }).influx?.token).toBe('direct');
      expect(() => loadConfig({ argv: [], env: { INFLUX_URL: 'http://x:8086', INFLUX_TOKEN_FILE: join(dir, 'missing') } })).toThrow(/INFLUX_TOKEN_FILE: cannot read .*missing: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [{ INFLUX_URL: 'influx:8086' }, /influx.url: must be an http/],
    [{ BROKER_PERSISTENCE: 'redis' }, /BROKER_PERSISTENCE: expected one of memory\|disk/],
    [{ INFLUX_URL: 'http://x', INFLUX_TIMEOUT_MS: '5' }, /INFLUX_TIMEOUT_MS/],
  ])('refuses %j clearly', (env, message) => {
    expect(() => loadConfig({ argv: [], env })).toThrow(message);
  });

  it('never echoes the token: not in errors, not in --help', () => {
    const token = 'tok-1234567890';
    const err = (() => {
      try {
        loadConfig({ argv: [], env: { INFLUX_URL: 'ftp://x', INFLUX_TOKEN: token } });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).not.toContain(token);
    expect(helpText()).toMatch(/INFLUX_TOKEN.*\n.*secret: never logged/);
  });
});
