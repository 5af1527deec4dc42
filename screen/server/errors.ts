// Stable error codes of the screen server's HTTP API (the convention: shared/error-catalog.ts;
// listed in docs/errors.md). A refused request is answered with its `status` and the body
// `{ "error": code, "detail"?: text }`. `retriable`: the same request may succeed later unchanged.
// Refusals of an operator action by the ingest (ingest/alerts/errors.ts) are passed through as they
// come, with the statuses of ALERT_REPLY_STATUS.
import { codedErrorClass, defineCatalog, type CodedErrorOptions } from '../../shared/error-catalog.ts';

const e = (status: number, retriable: boolean, description: string) => ({ status, retriable, description }) as const;

export const SCREEN_ERRORS = defineCatalog({
  'bad-request': e(400, false, 'the request body does not match the contract'),
  'bad-query': e(400, false, 'the query string does not match the contract'),
  'bad-json': e(400, false, 'the body is not valid JSON'),
  'bad-url': e(400, false, 'the request URL cannot be parsed'),
  'bad-credentials': e(401, false, 'console sign-in: unknown operator or wrong password'),
  'not-signed-in': e(401, false, 'sign in to the console first (or the session has expired)'),
  'origin-required': e(403, false, 'a state-changing request without an Origin header'),
  'cross-origin': e(403, false, 'a state-changing request from an origin not in SCREEN_ALLOWED_ORIGINS'),
  'not-found': e(404, false, 'no such resource'),
  'alert-not-found': e(404, false, 'no alert with this id'),
  'device-not-found': e(404, false, 'no device with this id in the park model (the device view, one device history)'),
  'method-not-allowed': e(405, false, 'the path exists, with another method'),
  'kpi-file-not-configured': e(409, false, 'this screen server has no KPI file (KPI_FILE) to write'),
  'too-many-notices': e(409, false, 'the notice board is full: withdraw a notice first'),
  'body-too-large': e(413, false, 'the request body is over the limit'),
  'unsupported-media-type': e(415, false, 'send application/json'),
  'rate-limited': e(429, true, 'console sign-in attempts too fast (by address or by name): retry after retry-after seconds'),
  unavailable: e(503, true, 'a store the request needs failed'),
  'no-operators': e(503, false, 'no console operator is registered: run `npm start -- operator add <name>`'),
  'alerts-store-unavailable': e(503, true, 'the alert database is not configured or not available yet'),
  'broker-unavailable': e(503, true, 'the screen server is not connected to the broker'),
  'broker-unreachable': e(503, true, 'the message broker is unreachable; an operator action was not sent'),
  'screen-shutting-down': e(503, true, 'the screen server stopped before the ingest answered'),
  'ingest-timeout': e(504, true, 'the alert service did not answer in time; the outcome is unknown'),
});

export type ScreenErrorCode = keyof typeof SCREEN_ERRORS;

/** An HTTP refusal: `new HttpError(code, detail?)`; the status comes from the catalog. */
export class HttpError extends codedErrorClass<typeof SCREEN_ERRORS, CodedErrorOptions>('HttpError', SCREEN_ERRORS, { message: 'detail' }) {
  readonly status: number = SCREEN_ERRORS[this.code].status;
}
