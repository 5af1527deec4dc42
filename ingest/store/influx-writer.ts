// Sends line-protocol lines through the client's WriteApi (gzip, precision µs) and reports the
// outcome of each send honestly.
//
// The WriteApi keeps retries in memory only, sends full batches in the background without
// awaiting them, and swallows their errors (docs/testing-external-servers.md). So: maxRetries 0 (our spool
// retries), a batchSize above anything sent at once (no background batch ever fires), and
// `await flush()` per send, which then rejects with the server's error.
import { HttpError, InfluxDB, setLogger, type WriteApi } from '@influxdata/influxdb-client';
import type { Logger } from '../../shared/logger.ts';
import { StoreError } from './errors.ts';
import { safeUrl, writeBucket, type InfluxEndpoint } from './influx-endpoint.ts';

export interface LineSender {
  /** Resolves once InfluxDB answered 2xx for every line; rejects with a classified StoreError. */
  send(lines: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export interface LineSenderOptions {
  endpoint: InfluxEndpoint;
  logger: Logger;
  /** Lines per send at most (the caller splits larger sets); default 5000. */
  maxLines?: number;
}

/** Turns a WriteApi failure into a StoreError with a stable code. */
export function classifyWriteError(err: unknown, endpoint: InfluxEndpoint): StoreError {
  if (err instanceof StoreError) return err;
  if (err instanceof HttpError) {
    const detail = (typeof err.json?.message === 'string' ? err.json.message : typeof err.json?.error === 'string' ? err.json.error : err.body ?? err.message).slice(0, 500);
    const status = err.statusCode;
    if (status === 400 || status === 422) return new StoreError('influx-refused', detail, { status, cause: err });
    if (status === 413) return new StoreError('influx-too-large', detail, { status, cause: err });
    if (status === 401 || status === 403) return new StoreError('influx-auth', `credentials refused (HTTP ${status}): ${detail}`, { status, cause: err });
    if (status === 404) {
      const code = err.json ? 'influx-not-found' : 'influx-no-v2-write';
      return new StoreError(code, `HTTP 404 from ${safeUrl(endpoint.url)}/api/v2/write (bucket ${JSON.stringify(writeBucket(endpoint))}): ${detail}`, { status, cause: err });
    }
    return new StoreError('influx-unavailable', `HTTP ${status}: ${detail}`, { status, cause: err });
  }
  return new StoreError('influx-unavailable', `InfluxDB write failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

let libraryLoggerSet = false;

export function createLineSender(opts: LineSenderOptions): LineSender {
  const log = opts.logger.child({ module: 'influx-writer' });
  const { endpoint } = opts;
  const maxLines = opts.maxLines ?? 5000;
  if (!libraryLoggerSet) {
    // The library logs to the console by default; its messages duplicate the errors we classify
    // and log ourselves, so they go to debug.
    libraryLoggerSet = true;
    setLogger({
      error: (message, err) => log.debug({ err: (err as Error | undefined)?.message }, `influxdb-client: ${message}`),
      warn: (message, err) => log.debug({ err: (err as Error | undefined)?.message }, `influxdb-client: ${message}`),
    });
  }
  const client = new InfluxDB({ url: endpoint.url, token: endpoint.token, timeout: endpoint.timeoutMs });
  const writeApi: WriteApi = client.getWriteApi(endpoint.org, writeBucket(endpoint), 'us', {
    batchSize: maxLines + 1,
    maxBatchBytes: 256 * 1024 * 1024,
    flushInterval: 1000,
    maxRetries: 0,
    maxBufferLines: maxLines + 1,
    gzipThreshold: 1000,
  });
  // One request at a time: the WriteApi's buffer is shared, and a failure must be attributable to
  // exactly the lines of its send.
  let chain: Promise<unknown> = Promise.resolve();

  return {
    send(lines) {
      if (lines.length > maxLines) return Promise.reject(new RangeError(`at most ${maxLines} lines per send, got ${lines.length}`));
      const run = chain.then(async () => {
        if (lines.length === 0) return;
        writeApi.writeRecords(lines as string[]);
        try {
          await writeApi.flush();
        } catch (err) {
          throw classifyWriteError(err, endpoint);
        }
      });
      chain = run.catch(() => {});
      return run;
    },
    async close() {
      await chain;
      // Nothing is buffered here (every send flushed), so close() has nothing of ours to lose.
      await writeApi.close();
    },
  };
}
