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
});
