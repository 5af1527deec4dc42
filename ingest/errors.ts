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
} as const;

export type RejectReason = keyof typeof REJECT_REASONS;

/** Store failures are the retriable kind: the reading is good, the disk or database is not. */
export class StoreError extends Error {
  override name = 'StoreError';
  readonly retriable = true;
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
