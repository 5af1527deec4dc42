// Debian's chromium driven by playwright-core (never a downloaded browser). Skips with a printed
// reason where chromium is missing; fails instead in CI (see external.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { requireProgram } from './external.ts';

export const CHROMIUM = requireProgram('chromium', 'browser tests of the screen');

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--autoplay-policy=no-user-gesture-required'];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh profile in a temp folder; `close()` removes it. */
export async function launchBrowser(opts: { width?: number; height?: number; deviceScaleFactor?: number } = {}): Promise<Browser> {
  if (!CHROMIUM) throw new Error('chromium is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'parkpulse-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: opts.width ?? 1920, height: opts.height ?? 1080 },
    deviceScaleFactor: opts.deviceScaleFactor ?? 1,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
