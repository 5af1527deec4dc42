// The tool commands as a user runs them: the real CLI in a child process, against the park it
// starts itself (embedded) or against a running park (external), with the documented flags.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLoadModel } from '../../shared/load-model.ts';
import { loadParkModel } from '../../shared/park-model.ts';
import { embeddedFlags, runCli } from '../../testkit/cli.ts';
import { startPark, waitFor } from '../../testkit/park.ts';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'parkpulse-tools-'));
  dirs.push(d);
  return d;
};
const json = (stdout: string): Record<string, unknown> => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('parkpulse tool commands', () => {
  it('scenario: runs an example file against the embedded park, step by step', async () => {
    const r = await runCli(['scenario', 'simulators/scenarios/every-fault-quick.yaml', ...(await embeddedFlags(tmp()))]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/scenario every-fault-quick: 12 of 12 steps done \(3 faults restored\), 0 failed/);
    for (const line of ['camera-offline  cam-012 offline (will)', 'intrusion       3 intrusion event(s) in zone prj', 'broker-restart  broker restarted after 1000 ms down', 'meter-spike     enterprise zhonghai']) {
      expect(r.stderr).toContain(line);
    }
    expect(r.stderr).toContain('100.0%');
  });

  it('record, then replay at x60 into a fresh park: every recorded message back, with a progress bar', async () => {
    const dir = tmp();
    const out = join(dir, 'recordings', 'park.ndjson');
    const rec = await runCli(['record', '--out', out, '--duration', '5', '--sim-interval-ms', '500', '--report', 'json', ...(await embeddedFlags(join(dir, 'park')))]);
    expect(rec.code, rec.stderr).toBe(0);
    const recorded = json(rec.stdout);
    expect(recorded.command).toBe('record');
    expect(recorded.messages as number).toBeGreaterThan(50);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines.length).toBe(recorded.messages);

    const rep = await runCli(['replay', join(dir, 'recordings'), '--speed', '60', '--report', 'json', ...(await embeddedFlags(join(dir, 'replayed')))]);
    expect(rep.code, rep.stderr).toBe(0);
    const s = json(rep.stdout);
    expect(s).toMatchObject({ command: 'replay', total: lines.length, sent: lines.length, acked: lines.length, errors: 0, cancelled: false });
    expect(s.ingest).toEqual({ accepted: lines.length, rejected: 0, duplicates: 0 });
    expect(rep.stderr).toMatch(/100\.0%.*msgs/);
  });

  it('load: two processes share one load test against a running park, each reporting JSON', async () => {
    const park = await startPark({ screen: false, model: buildLoadModel(40, loadParkModel()) });
    try {
      const args = (shard: string): string[] => ['load', '--target', 'external', '--mqtt-url', park.mqttUrl, '--data-dir', park.dir, '--load-devices', '40', '--shard', shard, '--ramp', '100', '--rate', '2', '--payload-bytes', '160', '--duration', '8', '--report', 'json'];
      const [a, b] = await Promise.all([runCli(args('0/2')), runCli(args('1/2'))]);
      expect(a!.code, a!.stderr).toBe(0);
      expect(b!.code, b!.stderr).toBe(0);
      const ra = json(a!.stdout);
      const rb = json(b!.stdout);
      expect([ra.shard, rb.shard]).toEqual(['0/2', '1/2']);
      expect([ra.devices, rb.devices]).toEqual([20, 20]);
      expect([ra.connectFailures, rb.connectFailures]).toEqual([0, 0]);
      expect(a!.stderr).toMatch(/load .* connected 20\/20/);
      const acked = (ra.acked as number) + (rb.acked as number);
      await waitFor('the load readings stored', () => park.ingest!.stats().pendingWrites === 0 && park.ingest!.stats().accepted >= acked);
      const keys = (await (await park.reader()).keys()).filter((k) => k.channel === 'telemetry' && k.device.startsWith('ld-'));
      expect(keys.length).toBe(acked);
      expect(new Set(keys.map((k) => k.device)).size).toBe(40);
    } finally {
      await park.stop();
    }
  });

  describe('bad-input against a running park', () => {
    let park: Awaited<ReturnType<typeof startPark>>;
    beforeAll(async () => {
      park = await startPark({ screen: false });
    });
    afterAll(async () => park?.stop());

    it('counts what the ingest reports in its live state, and says the broker is out of its sight', async () => {
      const r = await runCli(['bad-input', '--target', 'external', '--mqtt-url', park.mqttUrl, '--data-dir', park.dir, '--bad-count', '3']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('7 of 7 kinds rejected and counted as expected');
      expect(r.stdout).toMatch(/ok +malformed-json +sent +3 +client saw: 3 PUBACK +counted +3 as ingest: json-malformed/);
      expect(r.stdout).toMatch(/ok +wrong-secret .*CONNACK 4 .*\(broker in another process\)/);
      expect(park.ingest!.stats().rejects).toEqual({ 'json-malformed': 3, 'schema-invalid': 3, 'payload-too-large': 3, 'payload-not-utf8': 3 });
      expect(park.broker.stats().refused).toEqual({ 'publish-denied': 3, 'auth-bad-credentials': 6 });
    });
  });

  it('refuses bad usage before starting anything: exit 2 for arguments, 1 for a bad scenario file', async () => {
    const usage = await runCli(['replay']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('replay takes recording file(s) or folder(s), got none');
    const dir = tmp();
    const bad = await runCli(['scenario', 'test/no-such-scenario.yaml', ...(await embeddedFlags(dir))]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('cannot read scenario');
    const missing = await runCli(['replay', join(dir, 'nothing-here'), '--target', 'external', '--data-dir', dir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such recording');
  });
});
