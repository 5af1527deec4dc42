// Stable codes an operator action (park/{p}/ops/alerts) is refused with, answered on
// alerts/reply/{requestId} and kept in the audit trail (the convention: shared/error-catalog.ts;
// listed in docs/errors.md). Only `store-unavailable` is retriable (the alert database failed; the
// same action may succeed later); the others describe the action or the alert as it stands.
import { defineCatalog, final } from '../../shared/error-catalog.ts';

export const ALERT_ACTION_CODES = defineCatalog({
  'invalid-action': final('the action does not match the contract (shared/schema.ts alertActionSchema)'),
  expired: final('the action is older than actionMaxAgeMs when it reached the ingest'),
  'alert-not-found': final('no alert with this id'),
  'already-cleared': final('the alert has cleared'),
  'already-acknowledged': final('the alert is already acknowledged'),
  'already-shelved': final('the alert is already shelved'),
  'not-shelved': final('the alert is not shelved'),
  'shelve-until-invalid': final('the shelving must end in the future'),
  'shelve-too-long': final('the shelving is longer than shelveMaxMs'),
  'store-unavailable': { retriable: true, description: 'the alert database could not record the change' },
});

export type AlertActionCode = keyof typeof ALERT_ACTION_CODES;
