// Stable error codes of the broker (the convention: shared/error-catalog.ts; every code is listed
// in docs/errors.md). Every refusal is counted under its code (the `reason` label of
// parkpulse_broker_refusals_total) and logged with it.
// `retriable` says whether a client may usefully try the same thing again unchanged.
// `returnCode` is the CONNACK return code (MQTT 3.1.1, 3.2.2.3) for refusals at CONNECT; 0 for
// refusals that simply close the connection (MQTT 3.1.1 has no negative PUBACK) or deny a grant.
import { codedErrorClass, defineCatalog } from '../shared/error-catalog.ts';

export const BROKER_ERRORS = defineCatalog({
  'auth-bad-credentials': { returnCode: 4, retriable: false, description: 'bad user name or password' },
  'auth-revoked': { returnCode: 5, retriable: false, description: 'account revoked' },
  'auth-client-id-mismatch': { returnCode: 2, retriable: false, description: 'client id does not belong to this account' },
  'auth-will-denied': { returnCode: 5, retriable: false, description: 'last will topic not allowed for this account' },
  'auth-unavailable': { returnCode: 3, retriable: true, description: 'authentication temporarily unavailable' },
  /** Too many failed authentications from this address (or of this client id from it): no secret is checked until the window ends. */
  'auth-throttled': { returnCode: 3, retriable: true, description: 'too many failed authentications from this address: try later' },
  /** The broker-wide budget of secret verifications (scrypt) is used up for the moment. */
  'auth-busy': { returnCode: 3, retriable: true, description: 'too many secret verifications at once: try again shortly' },
  /** A CONNECT with a protocol level other than 3 or 4 (MQTT 5): CONNACK 1 (MQTT-3.1.2-2). */
  'protocol-unsupported': { returnCode: 1, retriable: false, description: 'only MQTT 3.1 and 3.1.1 are served' },
  /** A CONNECT that breaks MQTT 3.1.1 (Will QoS 3, MQTT-3.1.2-14; password without user name, MQTT-3.1.2-22): closed without CONNACK. */
  'connect-invalid': { returnCode: 0, retriable: false, description: 'CONNECT violates MQTT 3.1.1' },
  /** No CONNECT within the connect timeout after the connection opened. */
  'connect-timeout': { returnCode: 0, retriable: true, description: 'no CONNECT arrived in time' },
  /** Client id with NUL, control characters, ill-formed UTF-8 or over 64 characters (MQTT-1.5.3). */
  'identifier-invalid': { returnCode: 2, retriable: false, description: 'client id contains forbidden characters or is too long' },
  /** User name with NUL, control characters, ill-formed UTF-8 or over 64 characters (MQTT-1.5.3). */
  'username-invalid': { returnCode: 4, retriable: false, description: 'user name contains forbidden characters or is too long' },
  /** The client id connected too often within the flapping window; refused until the ban ends. */
  'flapping-banned': { returnCode: 3, retriable: true, description: 'reconnecting too fast: banned for a while' },
  /** The broker holds its maximum number of connections; the socket is closed before CONNECT is read. */
  'too-many-connections': { returnCode: 0, retriable: true, description: 'connection limit reached' },
  /** A packet before the CONNECT was accepted exceeded the pre-authentication budget. */
  'connect-too-large': { returnCode: 0, retriable: false, description: 'packet before authentication exceeds the limit' },
  /** A packet of an authenticated client declared a remaining length above the limit. */
  'packet-too-large': { returnCode: 0, retriable: false, description: 'packet exceeds the maximum packet size' },
  /** Bytes that are not MQTT: first packet not CONNECT (MQTT-3.1.0-1), reserved type or flag bits (MQTT-2.2.2-2, MQTT-3.1.2-3), bad length, QoS > 0 PUBLISH with packet id 0 (MQTT-2.3.1-1). */
  'packet-malformed': { returnCode: 0, retriable: false, description: 'malformed MQTT packet' },
  /** A packet stayed half-sent longer than the packet timeout (keepalive or not): disconnected. */
  'packet-incomplete': { returnCode: 0, retriable: true, description: 'packet left incomplete past the packet timeout' },
  /** A WebSocket frame larger than the largest packet allowed: closed with 1009. */
  'ws-frame-too-large': { returnCode: 0, retriable: false, description: 'WebSocket frame exceeds the maximum packet size' },
  /** Topic or filter too long, too deep, or with NUL, control characters or ill-formed UTF-8. */
  'topic-invalid': { returnCode: 0, retriable: false, description: 'topic is too long, too deep or has forbidden characters' },
  /** The client published faster than its token bucket allows: disconnected. */
  'rate-limited': { returnCode: 0, retriable: true, description: 'message rate limit exceeded' },
  /** The client did not read what it was sent within the drain timeout: disconnected. */
  'slow-consumer': { returnCode: 0, retriable: true, description: 'client did not drain its socket in time' },
  'publish-denied': { returnCode: 0, retriable: false, description: 'publish not allowed on this topic' },
  'subscribe-denied': { returnCode: 0, retriable: false, description: 'subscription not allowed' },
});

export type BrokerErrorCode = keyof typeof BROKER_ERRORS;

export const BROKER_ERROR_CODES = Object.keys(BROKER_ERRORS) as BrokerErrorCode[];

export class BrokerError extends codedErrorClass('BrokerError', BROKER_ERRORS) {
  /** CONNACK return code (MQTT 3.1.1, 3.2.2.3) for connect refusals; 0 otherwise. */
  readonly returnCode: number = BROKER_ERRORS[this.code].returnCode;
}

/** Errors of the NATS cluster configuration (`parkpulse cluster-config`, broker/nats/). */
export const CLUSTER_ERRORS = defineCatalog({
  'cluster-file-invalid': { retriable: false, description: 'the cluster description file cannot be read or does not match its schema' },
  'cluster-parks-conflict': { retriable: false, description: "the cluster's parks conflict (a park listed twice, a device id in two parks)" },
});

export type ClusterErrorCode = keyof typeof CLUSTER_ERRORS;

/** The cluster description file is unreadable or invalid. */
export class ClusterSpecError extends codedErrorClass('ClusterSpecError', CLUSTER_ERRORS, { message: 'detail' }) {}
/** The parks of a valid cluster file cannot share one cluster as they are. */
export class ClusterConfigError extends codedErrorClass('ClusterConfigError', CLUSTER_ERRORS, { message: 'detail' }) {}
