// Points InfluxDB refused as malformed (HTTP 400): sending them again cannot help, dropping them
// would be a silent loss, so each goes to an NDJSON file with the server's reason, fsynced,
// counted and logged. An operator can fix and re-post the lines (README "Dead letters").
import { mkdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../shared/logger.ts';
import { createThrottledLog } from '../../shared/throttled-log.ts';
import { StoreError } from './errors.ts';

export interface DeadLetterEntry {
  /** The refused line-protocol line. */
  line: string;
  /** The server's reason. */
  reason: string;
  /** HTTP status, when a server answered. */
  status?: number;
}

export interface DeadLetters {
  add(entries: readonly DeadLetterEntry[]): Promise<void>;
  readonly count: number;
}

export function createDeadLetters(opts: { path: string; logger: Logger; now?: () => number }): DeadLetters {
  const log = opts.logger.child({ module: 'influx-dead-letter' });
  const warn = createThrottledLog(log);
  const now = opts.now ?? Date.now;
  let count = 0;
  let chain: Promise<unknown> = Promise.resolve();
  return {
    add(entries) {
      const run = chain.then(async () => {
        if (entries.length === 0) return;
        mkdirSync(dirname(opts.path), { recursive: true });
        const at = new Date(now()).toISOString();
        const text = entries.map((e) => JSON.stringify({ at, status: e.status, reason: e.reason, line: e.line })).join('\n') + '\n';
        const fh = await open(opts.path, 'a');
        try {
          await fh.appendFile(text);
          await fh.datasync();
        } catch (err) {
          throw new StoreError('spool-io', `dead-letter file ${opts.path} not writable: ${(err as Error).message}`, { cause: err });
        } finally {
          await fh.close();
        }
        count += entries.length;
        for (const e of entries) warn('dead-letter', { reason: e.reason, status: e.status, line: e.line.slice(0, 200), file: opts.path, total: count }, 'InfluxDB refused a point: kept in the dead-letter file');
      });
      chain = run.catch(() => {});
      return run;
    },
    get count() {
      return count;
    },
  };
}
