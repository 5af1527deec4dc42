import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../bin/errors.ts';
import { helpText } from '../../bin/config/help.ts';
import { loadConfig } from '../../bin/config/load-config.ts';
import { flatten } from '../../bin/config/setting.ts';
import { SETTINGS } from '../../bin/config/settings.ts';

const OPTIONS = flatten(SETTINGS).map((r) => r.setting);

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

  it('has documented defaults for the hardening options', () => {
    const c = loadConfig({ argv: [], env: {}, cwd: '/srv/park' });
    expect(c.broker).toMatchObject({ tlsPort: 8883, wssPort: 8084, httpPort: 9101, drainTimeoutMs: 10_000 });
    expect(c.broker.limits).toMatchObject({ maxConnections: 5000, maxConnectBytes: 8192, maxPacketBytes: 1_048_576, maxTopicBytes: 256, maxTopicLevels: 10, rate: { perSecond: 200, burst: 400 }, flap: { maxConnects: 15, windowMs: 60_000, banMs: 300_000 } });
    expect(c.broker.tlsCert).toBeUndefined();
    expect(c.ingest.httpPort).toBe(9102);
    expect(c.screen).toMatchObject({ viewerTokenFile: '/srv/park/var/secrets/viewer.token', allowedOrigins: ['self'], wsMaxMessageBytes: 4096 });
  });

  it('takes TLS certificate and key together, as absolute paths', () => {
    const c = loadConfig({ argv: ['broker', '--broker-tls-cert', 'tls/park.crt'], env: { BROKER_TLS_KEY: 'tls/park.key' }, cwd: '/srv/park' });
    expect(c.broker.tlsCert).toBe('/srv/park/tls/park.crt');
    expect(c.broker.tlsKey).toBe('/srv/park/tls/park.key');
    expect(() => loadConfig({ argv: ['--broker-tls-cert', 'a.crt'], env: {} })).toThrow(/go together/);
  });

  it('normalises allowed origins and refuses what is not an origin', () => {
    const c = loadConfig({ argv: [], env: { SCREEN_ALLOWED_ORIGINS: 'self, HTTPS://Wall.Example:8443 ,http://10.0.0.5:8080' } });
    expect(c.screen.allowedOrigins).toEqual(['self', 'https://wall.example:8443', 'http://10.0.0.5:8080']);
    for (const bad of ['https://wall.example/path', 'wall.example', 'ftp://x', ' , ']) {
      expect(() => loadConfig({ argv: [], env: { SCREEN_ALLOWED_ORIGINS: bad } }), bad).toThrow(ConfigError);
    }
  });

  it('takes the NATS monitoring URLs as a list, and none by default (no watchdog)', () => {
    expect(loadConfig({ argv: ['ingest'], env: {} }).natsMonitorUrls).toBeNull();
    const c = loadConfig({ argv: ['ingest', '--nats-monitor-url', 'http://nats-1:8222/, http://10.0.0.12:8222'], env: {} });
    expect(c.natsMonitorUrls).toEqual(['http://nats-1:8222', 'http://10.0.0.12:8222']);
    for (const bad of ['nats-1:8222x', 'mqtt://nats-1:1883', 'http://nats-1:8222/?x=1', ' , ']) {
      expect(() => loadConfig({ argv: [], env: { NATS_MONITOR_URL: bad } }), bad).toThrow(ConfigError);
    }
  });

  it('parses the device command and refuses incomplete ones', () => {
    expect(loadConfig({ argv: ['device', 'add', 'cam-900', '--kind', 'camera'], env: {} }).device).toEqual({ action: 'add', id: 'cam-900', kind: 'camera' });
    expect(loadConfig({ argv: ['device', 'revoke', 'cam-001'], env: {} }).device).toEqual({ action: 'revoke', id: 'cam-001' });
    expect(loadConfig({ argv: ['device', 'list'], env: {} }).device).toEqual({ action: 'list' });
    for (const argv of [['device'], ['device', 'delete', 'cam-1'], ['device', 'rotate'], ['device', 'revoke', 'CAM 1'], ['device', 'add', 'cam-900'], ['device', 'add', 'cam-900', '--kind', 'drone'], ['device', 'list', 'cam-1'], ['broker', 'cam-1']]) {
      expect(() => loadConfig({ argv, env: {} }), argv.join(' ')).toThrow(ConfigError);
    }
  });

  it('lists every option and command in --help', () => {
    const text = helpText();
    for (const o of OPTIONS) {
      expect(text).toContain(`--${o.flag}`);
      expect(text).toContain(o.env);
    }
    for (const cmd of ['all', 'broker', 'ingest', 'screen', 'sim', 'provision', 'device', 'record', 'replay', 'scenario', 'load', 'bad-input']) expect(text).toContain(`  ${cmd} `);
    expect(text).toContain('npm start -- replay var/recordings --speed 60');
  });

  it('uses SQLite and an in-memory broker unless told otherwise', () => {
    const c = loadConfig({ argv: [], env: {}, cwd: '/srv/park' });
    expect(c.influx).toBeNull();
    expect(c.broker.persistence.kind).toBe('memory');
    expect(c.broker.persistence.dir).toBe('/srv/park/var/broker-queue');
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
    expect(c.broker.persistence.kind).toBe('disk');
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
