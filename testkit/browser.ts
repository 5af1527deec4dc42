// Debian's chromium driven by playwright-core (never a downloaded browser). Skips with a printed
// reason where chromium is missing; fails instead in CI (see external.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { requireProgram } from './external.ts';

export const CHROMIUM = requireProgram('chromium', 'browser tests of the screen');

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--autoplay-policy=no-user-gesture-required'];

/** What the wall exposes on `window.__parkpulse` for tests and diagnostics (screen/web/src/main.ts). */
export interface WallDiagnostics {
  chime: { played: number; news: number; reminders: number; wanted: boolean; reminderMs: number; muted: boolean };
  live: { nextRetryAt: number; waits: readonly number[]; retryNow(): void };
  app: { connection: string };
}

declare global {
  interface Window {
    __parkpulse: WallDiagnostics;
  }
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh profile in a temp folder; `close()` removes it. */
export async function launchBrowser(opts: { width?: number; height?: number; deviceScaleFactor?: number; timezoneId?: string; locale?: string } = {}): Promise<Browser> {
  if (!CHROMIUM) throw new Error('chromium is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'parkpulse-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: opts.width ?? 1920, height: opts.height ?? 1080 },
    deviceScaleFactor: opts.deviceScaleFactor ?? 1,
    // The browser's own zone and locale (a wall PC left in UTC, a laptop in en-US).
    ...(opts.timezoneId ? { timezoneId: opts.timezoneId } : {}),
    ...(opts.locale ? { locale: opts.locale } : {}),
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
