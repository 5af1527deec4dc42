// Follows the registry file, so a device revoked or rotated with `parkpulse device ...` is
// disconnected at once and its old secret refused, without restarting the broker. Writers replace
// the file atomically (temp file + rename), so the folder is watched, not the file's inode; a
// slow stat poll covers file systems where change events do not arrive (network mounts).
// A change is debounced, re-read, validated and only then handed on: a half-written or invalid
// file is logged and ignored, and the broker keeps the registry it has.
import { createHash } from 'node:crypto';
import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../shared/logger.ts';
import { readRegistry, type RegistryData } from '../shared/registry.ts';

export interface RegistryWatcherOptions {
  path: string;
  /** The park the broker serves: a registry for another park is refused. */
  parkId: string;
  logger: Logger;
  onChange(registry: RegistryData): void;
  /** ms to wait for writes to settle before re-reading; default 100. */
  debounceMs?: number;
  /** ms between stat polls (fallback for missed events); default 2000. */
  pollMs?: number;
}

export interface RegistryWatcher {
  /** Changes applied and changes refused (invalid file), since start. */
  stats(): { applied: number; refused: number };
  close(): void;
}

function digest(path: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return null;
  }
}

function statKey(path: string): string {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

export function watchRegistry(opts: RegistryWatcherOptions): RegistryWatcher {
  const log = opts.logger.child({ module: 'registry-watcher' });
  const name = basename(opts.path);
  let lastDigest = digest(opts.path);
  let lastStat = statKey(opts.path);
  let timer: NodeJS.Timeout | undefined;
  const stats = { applied: 0, refused: 0 };

  function reload(): void {
    timer = undefined;
    lastStat = statKey(opts.path);
    const d = digest(opts.path);
    if (d === null || d === lastDigest) return; // gone for a moment, or rewritten unchanged
    let registry: RegistryData;
    try {
      registry = readRegistry(opts.path);
      if (registry.parkId !== opts.parkId) throw new Error(`registry is for park ${registry.parkId}, not ${opts.parkId}`);
    } catch (err) {
      stats.refused++;
      log.error({ err: (err as Error).message, path: opts.path }, 'registry change refused; keeping the previous registry');
      lastDigest = d; // do not retry the same bad content every poll
      return;
    }
    lastDigest = d;
    stats.applied++;
    log.info({ accounts: registry.accounts.length }, 'registry reloaded');
    opts.onChange(registry);
  }

  function schedule(): void {
    if (timer) clearTimeout(timer);
    timer = setTimeout(reload, opts.debounceMs ?? 100);
  }

  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dirname(opts.path), (_event, file) => {
      if (file === null || file === name) schedule();
    });
    watcher.on('error', (err) => log.warn({ err: err.message }, 'registry folder watch failed; polling only'));
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'cannot watch the registry folder; polling only');
  }
  const poll = setInterval(() => {
    if (statKey(opts.path) !== lastStat) schedule();
  }, opts.pollMs ?? 2000);
  poll.unref();

  return {
    stats: () => ({ ...stats }),
    close() {
      watcher?.close();
      clearInterval(poll);
      if (timer) clearTimeout(timer);
    },
  };
}
