// Picks the store from the config: InfluxDB when INFLUX_URL is set, else the embedded SQLite file.
// The ingest opens it to write; the screen opens it read-only for its history endpoints, so the
// charts come from whichever store the ingest writes.
import type { Logger } from '../../shared/logger.ts';
import type { ParkModel } from '../../shared/park-model.ts';
import type { InfluxEndpoint } from './influx-endpoint.ts';
import { createInfluxStore } from './influx-store.ts';
import { createSqliteStore } from './sqlite-store.ts';
import type { TelemetryStore } from './types.ts';

/** The store part of the configuration: the SQLite file, or (when set) InfluxDB. */
export interface StoreConfig {
  ingest: { sqlitePath: string };
  influx: (Omit<InfluxEndpoint, 'token'> & { token?: string; spoolDir: string; deadLetterPath: string }) | null;
}

export async function openStore(config: StoreConfig, model: ParkModel, logger: Logger, opts: { readOnly?: boolean } = {}): Promise<TelemetryStore> {
  const influx = config.influx;
  if (!influx) return createSqliteStore({ path: config.ingest.sqlitePath, model, logger, readOnly: opts.readOnly ?? false });
  return createInfluxStore({
    endpoint: {
      url: influx.url,
      token: influx.token,
      org: influx.org,
      bucket: influx.bucket,
      database: influx.database,
      retentionPolicy: influx.retentionPolicy,
      timeoutMs: influx.timeoutMs,
    },
    model,
    logger,
    readOnly: opts.readOnly ?? false,
    spoolDir: influx.spoolDir,
    deadLetterPath: influx.deadLetterPath,
  });
}
