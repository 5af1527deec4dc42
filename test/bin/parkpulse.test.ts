// The README's Quick start, as a user runs it: the CLI's help, and `all` (compiled, as `npm start`
// runs it) serving the wall and live data.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WsServerMessage } from '../../shared/schema.ts';
import { cliEnv, freePort, runCli, startCompiled } from '../../testkit/cli.ts';

describe('parkpulse CLI', () => {
  it('--help lists every process and option', async () => {
    const { stdout } = await runCli(['--help']);
    for (const word of ['all', 'broker', 'ingest', 'screen', 'sim', '--screen-port', 'SCREEN_PORT', '--sim-interval-ms']) expect(stdout).toContain(word);
  });

  it('refuses a bad option with a clear message and exit code 2', async () => {
    const err = await runCli(['--screen-port', 'abc']);
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/--screen-port: expected a whole number/);
  });

  it('runs the whole park in one process, prints the URL, serves live data, and stops cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parkpulse-cli-'));
    const [broker, ws, screen, ops] = [await freePort(), await freePort(), await freePort(), await freePort()];
    // As `npm start` runs it: node on the compiled CLI (dist/, built by scripts/ensure-build.mjs
    // before the tests), no TypeScript loader; SIGTERM reaches the CLI itself.
    const child = startCompiled(['--data-dir', dir, '--broker-port', String(broker), '--broker-ws-port', String(ws), '--screen-port', String(screen), '--broker-http-port', String(ops), '--sim-interval-ms', '500', '--log-level', 'warn'], { env: cliEnv() });
    try {
      const started = Date.now();
      let token: string | undefined;
      while (!(token = new RegExp(`http://localhost:${screen}/\\?token=([\\w%-]+)`).exec(child.output())?.[1])) {
        if (Date.now() - started > 90_000 || !child.running) throw new Error(`no URL printed:\n${child.output()}`);
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
      // The wall itself (the screen's build, found from the compiled tree), and the broker's heap
      // bound in force on an idle park (shared/heap-growth.ts).
      const page = await fetch(`http://127.0.0.1:${screen}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="screen">');
      expect(await (await fetch(`http://127.0.0.1:${ops}/metrics`)).text()).toMatch(/^parkpulse_process_heap_growth_bounded 1$/m);
      expect(await child.stop('SIGTERM')).toBe(0);
    } finally {
      if (child.running) await child.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
