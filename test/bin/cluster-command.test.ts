// `parkpulse cluster-config FILE` through the real CLI: provisions the park, writes the files a
// nats-server accepts (checked with `nats-server -t` where it is installed), and a bad cluster file
// ends with exit 2 and the reason.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../testkit/cli.ts';
import { findProgram } from '../../testkit/external.ts';

describe('parkpulse cluster-config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-cluster-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes accounts.conf and one file per node, mode 0600, that nats-server accepts', async () => {
    const file = join(dir, 'cluster.json');
    const nodes = [1, 2, 3].map((i) => ({ name: `nats-${i}`, host: `nats-${i}`, storeDir: join(dir, `js${i}`) }));
    writeFileSync(file, JSON.stringify({ nodes, parks: [{ dataDir: 'dantu', shards: 2 }] }));
    const out = join(dir, 'nats');
    const r = await runCli(['cluster-config', file, '--nats-config-dir', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/park dantu: 88 users, 2 ingest shards \(9 device-shard mappings\)/);
    expect(r.stdout).toMatch(/--signal reload/);
    for (const f of ['accounts.conf', 'nats-1.conf', 'nats-2.conf', 'nats-3.conf', 'route.secret']) {
      expect(existsSync(join(out, f)), f).toBe(true);
      expect(statSync(join(out, f)).mode & 0o777, f).toBe(0o600);
    }
    expect(existsSync(join(dir, 'dantu', 'registry.json'))).toBe(true);
    expect(readFileSync(join(out, 'accounts.conf'), 'utf8')).not.toMatch(/"password": "[^$]/);
    const nats = findProgram('nats-server');
    if (nats) expect(execFileSync(nats, ['-c', join(out, 'nats-2.conf'), '-t'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })).toBe('');
  });

  it('ends with exit 2 and the reason for a bad cluster file', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ nodes: [], parks: [{ dataDir: 'x' }] }));
    const r = await runCli(['cluster-config', file, '--nats-config-dir', join(dir, 'bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid cluster file .*nodes/);
    const none = await runCli(['cluster-config']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/cluster-config takes one cluster description file/);
  });
});
