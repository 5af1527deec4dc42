// Stable reasons an ingest rejects a device message. Each is counted and logged under its code.
// None is retriable: the same bytes would be rejected again, so the message is acknowledged to the
// broker (it must not be redelivered forever) and kept only as a counted, logged rejection.

export const REJECT_REASONS = {
  'topic-invalid': 'topic is not park/{park}/{kind}/{device}/{channel}',
  'topic-wrong-park': 'topic names another park',
  'payload-too-large': 'payload exceeds the size limit',
  'payload-not-utf8': 'payload is not valid UTF-8',
  'json-malformed': 'payload is not valid JSON',
  'device-unknown': 'device is not in the park model',
  'kind-mismatch': 'topic kind differs from the device kind in the park model',
  'channel-unsupported': 'this device kind has no such channel',
  'schema-invalid': 'payload does not match the schema',
  'ts-future': 'the device timestamp is further ahead of the ingest clock than INGEST_MAX_FUTURE_MS',
  'shard-mismatch': 'a shard topic whose shard or device hash is not this ingest shard\'s (the cluster mappings and --ingest-shard disagree on the shard count)',
} as const;

export type RejectReason = keyof typeof REJECT_REASONS;

/**
 * Stable codes of store failures. `retriable`: the reading is good and the same write may succeed
 * later (the disk or database is not well); not retriable: repeating it unchanged cannot help
 * (a refused point goes to the dead-letter file; a configuration error stops the start).
 */
export const STORE_ERRORS = {
  STORE_FAILED: { retriable: true, message: 'store operation failed' },
  INFLUX_UNAVAILABLE: { retriable: true, message: 'InfluxDB did not answer or answered with a server error' },
  INFLUX_REFUSED: { retriable: false, message: 'InfluxDB refused the points as malformed (HTTP 400)' },
  INFLUX_TOO_LARGE: { retriable: true, message: 'InfluxDB refused the request as too large (HTTP 413); sent again in halves' },
  INFLUX_AUTH: { retriable: false, message: 'InfluxDB refused the credentials (HTTP 401/403): check INFLUX_TOKEN' },
  INFLUX_NOT_FOUND: { retriable: false, message: 'InfluxDB has no such bucket/database or organization (HTTP 404)' },
  INFLUX_NO_V2_WRITE: {
    retriable: false,
    message: 'the server at INFLUX_URL has no /api/v2/write (HTTP 404): InfluxDB before 1.8 answers so; use InfluxDB 1.8+, 2.x or 3.x, or put the /api/v2/write -> /write rewrite of the README in front of it',
  },
  INFLUX_QUERY: { retriable: false, message: 'InfluxQL query failed' },
  SPOOL_IO: { retriable: true, message: 'spool file could not be written or read' },
} as const;

export type StoreErrorCode = keyof typeof STORE_ERRORS;

/** Store failures; most are retriable: the reading is good, the disk or database is not. */
export class StoreError extends Error {
  override name = 'StoreError';
  readonly code: StoreErrorCode;
  readonly retriable: boolean;
  /** HTTP status where a server answered. */
  readonly status?: number;

  constructor(message: string, code: StoreErrorCode = 'STORE_FAILED', opts: { status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.retriable = STORE_ERRORS[code].retriable;
    if (opts.status !== undefined) this.status = opts.status;
  }
}

/**
 * Stable codes an operator action (park/{p}/ops/alerts) is refused with, answered on
 * alerts/reply/{requestId} and kept in the audit trail. None is retriable as it stands except
 * `store-unavailable` (the alert database failed; the same action may succeed later).
 */
export const ALERT_ACTION_CODES = {
  'invalid-action': 'the action does not match the contract (shared/schema.ts alertActionSchema)',
  expired: 'the action is older than actionMaxAgeMs when it reached the ingest',
  'alert-not-found': 'no alert with this id',
  'already-cleared': 'the alert has cleared',
  'already-acknowledged': 'the alert is already acknowledged',
  'already-shelved': 'the alert is already shelved',
  'not-shelved': 'the alert is not shelved',
  'shelve-until-invalid': 'the shelving must end in the future',
  'shelve-too-long': 'the shelving is longer than shelveMaxMs',
  'store-unavailable': 'the alert database could not record the change (retriable)',
} as const;

export type AlertActionCode = keyof typeof ALERT_ACTION_CODES;
