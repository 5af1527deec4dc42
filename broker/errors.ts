// Stable error codes of the broker. Every refusal is counted under its code and logged with it.
// `retriable` says whether a client may usefully try the same thing again unchanged.

export const BROKER_ERRORS = {
  AUTH_BAD_CREDENTIALS: { returnCode: 4, retriable: false, message: 'bad user name or password' },
  AUTH_REVOKED: { returnCode: 5, retriable: false, message: 'account revoked' },
  AUTH_CLIENT_ID_MISMATCH: { returnCode: 2, retriable: false, message: 'client id does not belong to this account' },
  AUTH_WILL_DENIED: { returnCode: 5, retriable: false, message: 'last will topic not allowed for this account' },
  AUTH_UNAVAILABLE: { returnCode: 3, retriable: true, message: 'authentication temporarily unavailable' },
  PUBLISH_DENIED: { returnCode: 0, retriable: false, message: 'publish not allowed on this topic' },
  SUBSCRIBE_DENIED: { returnCode: 0, retriable: false, message: 'subscription not allowed' },
} as const;

export type BrokerErrorCode = keyof typeof BROKER_ERRORS;

export class BrokerError extends Error {
  readonly code: BrokerErrorCode;
  readonly retriable: boolean;
  /** CONNACK return code (MQTT 3.1.1, 3.2.2.3) for connect refusals; 0 otherwise. */
  readonly returnCode: number;

  constructor(code: BrokerErrorCode, detail?: string) {
    const spec = BROKER_ERRORS[code];
    super(detail ? `${spec.message}: ${detail}` : spec.message);
    this.name = 'BrokerError';
    this.code = code;
    this.retriable = spec.retriable;
    this.returnCode = spec.returnCode;
  }
}
