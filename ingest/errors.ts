// Stable reasons an ingest rejects a device message (the convention: shared/error-catalog.ts;
// listed in docs/errors.md). Each is counted (the `reason` label of parkpulse_ingest_rejects_total)
// and logged under its code. None is retriable: the same bytes would be rejected again, so the
// message is acknowledged to the broker (it must not be redelivered forever) and kept only as a
// counted, logged rejection. Store failures: ingest/store/errors.ts; operator actions on alerts:
// ingest/alerts/errors.ts.
import { defineCatalog, final as reject } from '../shared/error-catalog.ts';

export const REJECT_REASONS = defineCatalog({
  'topic-invalid': reject('topic is not park/{park}/{kind}/{device}/{channel}'),
  'topic-wrong-park': reject('topic names another park'),
  'payload-too-large': reject('payload exceeds the size limit'),
  'payload-not-utf8': reject('payload is not valid UTF-8'),
  'json-malformed': reject('payload is not valid JSON'),
  'device-unknown': reject('device is not in the park model'),
  'kind-mismatch': reject('topic kind differs from the device kind in the park model'),
  'channel-unsupported': reject('this device kind has no such channel'),
  'schema-invalid': reject('payload does not match the schema'),
  'ts-future': reject('the device timestamp is further ahead of the ingest clock than INGEST_MAX_FUTURE_MS'),
  'shard-mismatch': reject("a shard topic whose shard or device hash is not this ingest shard's (the cluster mappings and --ingest-shard disagree on the shard count)"),
});

export type RejectReason = keyof typeof REJECT_REASONS;

/**
 * Readings stored as they are but flagged: counted (the `flag` label of parkpulse_ingest_flags_total)
 * and logged, because they change what the park's figures mean.
 */
export const READING_FLAGS = defineCatalog({
  'counter-reset': { retriable: false, description: "a meter's kWh counter went backwards (meter replaced or reset): stored, today's kWh keeps what was counted before" },
  'seq-reset': { retriable: false, description: "a device's seq jumped beyond the sane window (forward over 100 000 or backward over 10 000): counted as a reset, not as lost readings" },
});

export type ReadingFlag = keyof typeof READING_FLAGS;
