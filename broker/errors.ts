// Stable error codes of the broker. Every refusal is counted under its code and logged with it.
// `retriable` says whether a client may usefully try the same thing again unchanged.
// `returnCode` is the CONNACK return code (MQTT 3.1.1, 3.2.2.3) for refusals at CONNECT; 0 for
// refusals that simply close the connection (MQTT 3.1.1 has no negative PUBACK) or deny a grant.

export const BROKER_ERRORS = {
  AUTH_BAD_CREDENTIALS: { returnCode: 4, retriable: false, message: 'bad user name or password' },
  AUTH_REVOKED: { returnCode: 5, retriable: false, message: 'account revoked' },
  AUTH_CLIENT_ID_MISMATCH: { returnCode: 2, retriable: false, message: 'client id does not belong to this account' },
  AUTH_WILL_DENIED: { returnCode: 5, retriable: false, message: 'last will topic not allowed for this account' },
  AUTH_UNAVAILABLE: { returnCode: 3, retriable: true, message: 'authentication temporarily unavailable' },
  /** Client id with NUL, control characters, ill-formed UTF-8 or over 64 characters (MQTT-1.5.3). */
  IDENTIFIER_INVALID: { returnCode: 2, retriable: false, message: 'client id contains forbidden characters or is too long' },
  /** User name with NUL, control characters, ill-formed UTF-8 or over 64 characters (MQTT-1.5.3). */
  USERNAME_INVALID: { returnCode: 4, retriable: false, message: 'user name contains forbidden characters or is too long' },
  /** The client id connected too often within the flapping window; refused until the ban ends. */
  FLAPPING_BANNED: { returnCode: 3, retriable: true, message: 'reconnecting too fast: banned for a while' },
  /** The broker holds its maximum number of connections; the socket is closed before CONNECT is read. */
  TOO_MANY_CONNECTIONS: { returnCode: 0, retriable: true, message: 'connection limit reached' },
  /** A packet before the CONNECT was accepted exceeded the pre-authentication budget. */
  CONNECT_TOO_LARGE: { returnCode: 0, retriable: false, message: 'packet before authentication exceeds the limit' },
  /** A packet of an authenticated client declared a remaining length above the limit. */
  PACKET_TOO_LARGE: { returnCode: 0, retriable: false, message: 'packet exceeds the maximum packet size' },
  /** Bytes that are not MQTT: first packet not CONNECT (MQTT-3.1.0-1), reserved type, bad length. */
  PACKET_MALFORMED: { returnCode: 0, retriable: false, message: 'malformed MQTT packet' },
  /** Topic or filter too long, too deep, or with NUL, control characters or ill-formed UTF-8. */
  TOPIC_INVALID: { returnCode: 0, retriable: false, message: 'topic is too long, too deep or has forbidden characters' },
  /** The client published faster than its token bucket allows: disconnected. */
  RATE_LIMITED: { returnCode: 0, retriable: true, message: 'message rate limit exceeded' },
  /** The client did not read what it was sent within the drain timeout: disconnected. */
  SLOW_CONSUMER: { returnCode: 0, retriable: true, message: 'client did not drain its socket in time' },
  PUBLISH_DENIED: { returnCode: 0, retriable: false, message: 'publish not allowed on this topic' },
  SUBSCRIBE_DENIED: { returnCode: 0, retriable: false, message: 'subscription not allowed' },
} as const;

export type BrokerErrorCode = keyof typeof BROKER_ERRORS;

export const BROKER_ERROR_CODES = Object.keys(BROKER_ERRORS) as BrokerErrorCode[];

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
