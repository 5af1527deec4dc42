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
    [{ argv: ['replay'], env: {} }, /replay takes recording file\(s\) or folder\(s\), got none/],
    [{ argv: ['scenario', 'a.yaml', 'b.yaml'], env: {} }, /scenario takes one scenario file, got a.yaml b.yaml/],
    [{ argv: ['record', 'x.ndjson'], env: {} }, /one command/],
    [{ argv: ['load'], env: {} }, /load needs --load-devices N/],
    [{ argv: ['replay', 'r', '--speed', 'fast'], env: {} }, /--speed: expected a speed factor > 0 \(e.g. 1, 60\) or max/],
    [{ argv: ['replay', 'r', '--speed', '0'], env: {} }, /--speed/],
    [{ argv: ['load', '--load-devices', '10', '--rate', 'lots'], env: {} }, /--rate: expected a number/],
    [{ argv: ['load', '--load-devices', '10', '--payload-bytes', '50'], env: {} }, /payload-bytes: 0 \(natural size\) or 100..4096/],
    [{ argv: ['load', '--load-devices', '10', '--shard', '2/2'], env: {} }, /--shard: expected i\/n/],
    [{ argv: ['record', '--target', 'remote'], env: {} }, /--target: expected one of embedded\|external/],
  ])('refuses %j clearly', (input, message) => {
    expect(() => loadConfig(input)).toThrow(ConfigError);
    expect(() => loadConfig(input)).toThrow(message);
  });

  it('takes positional files for replay and scenario, resolved against the working folder', () => {
    const r = loadConfig({ argv: ['replay', 'var/recordings', 'old/a.ndjson', '--speed', 'max'], env: {}, cwd: '/srv/park' });
    expect(r.files).toEqual(['/srv/park/var/recordings', '/srv/park/old/a.ndjson']);
    expect(r.replay.speed).toBe('max');
    expect(loadConfig({ argv: ['replay', 'x', '--speed', '60'], env: {} }).replay.speed).toBe(60);
    expect(loadConfig({ argv: ['scenario', 's.yaml'], env: {}, cwd: '/a' }).files).toEqual(['/a/s.yaml']);
    expect(loadConfig({ argv: [], env: {} }).files).toEqual([]);
  });

  it('configures the tool commands, with their logs kept off stdout by default', () => {
    const c = loadConfig({ argv: ['load', '--load-devices', '2000', '--ramp', '200', '--rate', '0.5', '--payload-bytes', '200', '--duration', '60', '--shard', '1/4'], env: {}, cwd: '/p' });
    expect(c.load).toEqual({ devices: 2000, ramp: 200, rate: 0.5, payloadBytes: 200, shard: { index: 1, count: 4 } });
    expect(c.tools).toEqual({ target: 'embedded', durationS: 60, report: 'text' });
    expect(c.logLevel).toBe('error');
    expect(loadConfig({ argv: ['broker'], env: {} }).logLevel).toBe('info');
    expect(loadConfig({ argv: ['record', '--log-level', 'debug'], env: {} }).logLevel).toBe('debug');
    const r = loadConfig({ argv: ['record'], env: { RECORD_ROTATE_MB: '8' }, cwd: '/p' });
    expect(r.record).toEqual({ out: '/p/var/recordings/park.ndjson', rotateMb: 8, rotateMinutes: 0 });
  });

  it('lists every option and command in --help', () => {
    const text = helpText();
    for (const o of OPTIONS) {
      expect(text).toContain(`--${o.flag}`);
      expect(text).toContain(o.env);
    }
    for (const cmd of ['all', 'broker', 'ingest', 'screen', 'sim', 'record', 'replay', 'scenario', 'load', 'bad-input']) expect(text).toContain(`  ${cmd} `);
    expect(text).toContain('npm start -- replay var/recordings --speed 60');
  });
});
