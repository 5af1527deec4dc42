// The README's Quick start, as a user runs it: the CLI's help, and `all` serving live data.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WsServerMessage } from '../shared/schema.ts';
import { CLI, freePort, TSX } from './helpers/cli.ts';

describe('parkpulse CLI', () => {
  it('--help lists every process and option', async () => {
    const { stdout } = await promisify(execFile)(TSX, [CLI, '--help']);
    for (const word of ['all', 'broker', 'ingest', 'screen', 'sim', '--screen-port', 'SCREEN_PORT', '--sim-interval-ms']) expect(stdout).toContain(word);
  });

  it('refuses a bad option with a clear message and exit code 2', async () => {
    const err = await promisify(execFile)(TSX, [CLI, '--screen-port', 'abc']).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr).toMatch(/--screen-port: expected a whole number/);
  });

  it('runs the whole park in one process, prints the URL, serves live data, and stops cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parkpulse-cli-'));
    const [broker, ws, screen] = [await freePort(), await freePort(), await freePort()];
    // node with tsx's loader rather than the tsx binary: tsx relays SIGTERM to its child and, if the
    // child does not confirm within 30 ms (a busy loop on a loaded machine), SIGKILLs it (exit 143).
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--data-dir', dir, '--broker-port', String(broker), '--broker-ws-port', String(ws), '--screen-port', String(screen), '--broker-http-port', '0', '--sim-interval-ms', '500', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const started = Date.now();
      let token: string | undefined;
      while (!(token = new RegExp(`http://localhost:${screen}/\\?token=([\\w%-]+)`).exec(out)?.[1])) {
        if (Date.now() - started > 90_000 || child.exitCode !== null) throw new Error(`no URL printed:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // The printed URL carries the viewer token the live socket requires.
      const sock = new WebSocket(`ws://127.0.0.1:${screen}/ws?token=${token}`);
      const live = await new Promise<WsServerMessage>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no live data within 30 s')), 30_000);
        sock.on('message', (d) => {
          const m = JSON.parse(d.toString()) as WsServerMessage;
          const summary = m.summary;
          if (summary && summary.ingest.accepted > 50 && summary.cameras.online > 0 && summary.energy.totalKw > 0) {
            clearTimeout(timer);
            resolve(m);
          }
        });
      });
      sock.close();
      expect(live).toBeDefined();
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
