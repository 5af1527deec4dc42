// The one schema module: device payloads, the live park state the ingest derives, alerts and
// operator actions, notices and KPIs, and the WebSocket messages the screen speaks. Types come
// from the schemas, never beside them. Everything is imported from here; the sections live in
// shared/schema/, one file each, so that no one file holds the whole contract.
export * from './schema/device-payloads.ts';
export * from './schema/live-state.ts';
export * from './schema/alerts.ts';
export * from './schema/content.ts';
export * from './schema/websocket.ts';
