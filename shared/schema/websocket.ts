// The WebSocket between the screen server and browsers (part of the schema module, shared/schema.ts).
import { z } from 'zod';
import { alertSchema } from './alerts.ts';
import { noticeSchema } from './content.ts';
import { liveStateShape } from './live-state.ts';

export const WS_PATH = '/ws';

/**
 * What the screen server knows of the pipeline behind it (sent with every message, and at least
 * every second when nothing else is sent), so a browser can tell a quiet park from a broken one.
 */
export const pipelineSchema = z.object({
  /** The screen server's own connection to the broker is up. */
  broker: z.boolean(),
  /** The ingest's live stream is arriving: a message within its heartbeat timeout. */
  ingest: z.boolean(),
  /** Server clock when the ingest's newest live message arrived, ms (null: none since the server started). */
  ingestSeenAt: z.number().nullable(),
});
export type PipelineState = z.infer<typeof pipelineSchema>;

const wsBase = {
  /** This connection's stream counter: the next message carries seq + 1. */
  seq: z.number().int(),
  /** Server clock, ms. */
  at: z.number(),
  pipeline: pipelineSchema,
  devices: liveStateShape.devices,
};

export const wsServerMessageSchema = z.discriminatedUnion('type', [
  /** The whole state: on connect, on request, after a browser fell behind. */
  z.object({
    type: z.literal('snapshot'),
    ...wsBase,
    /** Null until the ingest's first message reached the server. */
    summary: liveStateShape.summary.nullable(),
    /** Every open (not cleared) alert. */
    alerts: z.array(alertSchema),
    notices: z.array(noticeSchema),
  }),
  /** What changed since `seq - 1`; with no change at all it is the server's heartbeat (pipeline only). */
  z.object({
    type: z.literal('delta'),
    ...wsBase,
    /** Present when the ingest sent a newer summary. */
    summary: liveStateShape.summary.optional(),
    /** Present when the open alerts changed: the whole list again (it is short). */
    alerts: z.array(alertSchema).optional(),
    /** Present when the notices changed. */
    notices: z.array(noticeSchema).optional(),
  }),
]);
export type WsServerMessage = z.infer<typeof wsServerMessageSchema>;

export const wsClientMessageSchema = z.discriminatedUnion('type', [
  /** The browser saw a gap (or just started) and wants the full state. */
  z.object({ type: z.literal('resync') }),
]);
export type WsClientMessage = z.infer<typeof wsClientMessageSchema>;
