// Stable codes of store failures (the convention: shared/error-catalog.ts; listed in
// docs/errors.md). `retriable`: the reading is good and the same write may succeed later (the disk
// or database is not well); not retriable: repeating it unchanged cannot help (a refused point goes
// to the dead-letter file; a configuration error stops the start).
import { codedErrorClass, defineCatalog, type CodedErrorOptions } from '../../shared/error-catalog.ts';

export const STORE_ERRORS = defineCatalog({
  'store-failed': { retriable: true, description: 'store operation failed' },
  'influx-unavailable': { retriable: true, description: 'InfluxDB did not answer or answered with a server error' },
  'influx-refused': { retriable: false, description: 'InfluxDB refused the points as malformed (HTTP 400)' },
  'influx-too-large': { retriable: true, description: 'InfluxDB refused the request as too large (HTTP 413); sent again in halves' },
  'influx-auth': { retriable: false, description: 'InfluxDB refused the credentials (HTTP 401/403): check INFLUX_TOKEN' },
  'influx-not-found': { retriable: false, description: 'InfluxDB has no such bucket/database or organization (HTTP 404)' },
  'influx-no-v2-write': {
    retriable: false,
    description: 'the server at INFLUX_URL has no /api/v2/write (HTTP 404): InfluxDB before 1.8 answers so; use InfluxDB 1.8+, 2.x or 3.x, or put the /api/v2/write -> /write rewrite of the README in front of it',
  },
  'influx-query': { retriable: false, description: 'InfluxQL query failed' },
  /** A reading with no InfluxDB measurement (kind/channel): kept in the dead-letter file. */
  'reading-unmapped': { retriable: false, description: 'no InfluxDB measurement for the reading\'s kind and channel' },
  'spool-io': { retriable: true, description: 'spool file could not be written or read' },
});

export type StoreErrorCode = keyof typeof STORE_ERRORS;

export interface StoreErrorOptions extends CodedErrorOptions {
  /** HTTP status where a server answered. */
  status?: number;
}

/** Store failures; the detail is the whole message (it names the file or server). */
export const StoreError = codedErrorClass<typeof STORE_ERRORS, StoreErrorOptions>('StoreError', STORE_ERRORS, { message: 'detail' });
export type StoreError = InstanceType<typeof StoreError>;
