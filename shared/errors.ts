// Stable error codes of the shared modules the admin commands and every client use (the
// convention: shared/error-catalog.ts; listed in docs/errors.md). The detail is the whole message
// (it names the operator, device or URL); the admin commands print it and exit 1.
import { codedErrorClass, defineCatalog, final } from './error-catalog.ts';

export const SHARED_ERRORS = defineCatalog({
  'broker-url-invalid': final('the broker address is not an mqtt://, mqtts://, ws:// or wss:// URL or a one-scheme list of them'),
  'operator-input-invalid': final('operator command: bad name, password or usage'),
  'operators-file-invalid': final('the operators file cannot be read or does not match its schema'),
  'operator-exists': final('an operator of that name exists'),
  'operator-not-found': final('no operator of that name'),
  'device-id-invalid': final('the device id does not match the id pattern'),
  'device-exists': final('an account with that id exists already'),
  'device-not-found': final('no account with that id in the registry'),
  'account-not-device': final('the account is a service account, not a device'),
});

export type SharedErrorCode = keyof typeof SHARED_ERRORS;

/** A broker address (MQTT_URL) that is not one. */
export class BrokerUrlError extends codedErrorClass('BrokerUrlError', SHARED_ERRORS, { message: 'detail' }) {}
/** `parkpulse operator ...` refusals. */
export class OperatorError extends codedErrorClass('OperatorError', SHARED_ERRORS, { message: 'detail' }) {}
/** `parkpulse device ...` refusals. */
export class DeviceAdminError extends codedErrorClass('DeviceAdminError', SHARED_ERRORS, { message: 'detail' }) {}
