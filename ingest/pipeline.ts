// The ingest pipeline: an array of small named steps. Each step reads the context, adds what it
// learned, or stops the message with a reject reason. Routing (store, live state, seq accounting)
// happens after the steps, in create-ingest.ts.
import { TextDecoder } from 'node:util';
import type { Device, ParkModel } from '../shared/park-model.ts';
import { MAX_DEVICE_PAYLOAD_BYTES, payloadSchemas } from '../shared/schema.ts';
import { parseDeviceTopic, type DeviceTopic } from '../shared/topics.ts';
import type { RejectReason } from './errors.ts';
import type { Reading } from './store/types.ts';
import { formatIssue } from '../shared/validation.ts';
import { shorten } from '../shared/text.ts';

export interface RawMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** Ingest clock at arrival, ms. */
  receivedAt: number;
}

export interface Context {
  msg: RawMessage;
  topic?: DeviceTopic;
  json?: unknown;
  device?: Device;
  payload?: Record<string, unknown> & { ts: number; seq: number };
  reading?: Reading;
}

export interface Rejection {
  reason: RejectReason;
  detail: string;
}

export interface Step {
  name: string;
  /** Returns a rejection to stop the message, or nothing to pass it on. */
  run(ctx: Context): Rejection | undefined;
}

export interface PipelineOptions {
  model: ParkModel;
  /** Largest payload accepted, bytes; default MAX_DEVICE_PAYLOAD_BYTES. */
  maxPayloadBytes?: number;
  /** ms a device timestamp may be ahead of the ingest clock; default DEFAULT_MAX_FUTURE_MS. */
  maxFutureMs?: number;
}

/** Default of INGEST_MAX_FUTURE_MS: clocks drift, but a reading from the future is a broken clock. */
export const DEFAULT_MAX_FUTURE_MS = 300_000;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Text shown in logs for a hostile topic: bounded, control characters escaped. */
export function printableTopic(topic: string): string {
  const cut = shorten(topic, 121);
  return JSON.stringify(cut);
}

export function decodeStep(parkId: string, maxBytes: number): Step {
  return {
    name: 'decode',
    run(ctx) {
      const parsed = parseDeviceTopic(ctx.msg.topic, parkId);
      if (!parsed.ok) {
        return parsed.error === 'wrong-park'
          ? { reason: 'topic-wrong-park', detail: printableTopic(ctx.msg.topic) }
          : { reason: 'topic-invalid', detail: `${parsed.error}: ${printableTopic(ctx.msg.topic)}` };
      }
      ctx.topic = parsed.topic;
      const size = ctx.msg.payload.length;
      if (size > maxBytes) return { reason: 'payload-too-large', detail: `${size} bytes > ${maxBytes}` };
      let text: string;
      try {
        text = utf8.decode(ctx.msg.payload);
      } catch {
        return { reason: 'payload-not-utf8', detail: `${size} bytes` };
      }
      try {
        ctx.json = JSON.parse(text);
      } catch (err) {
        return { reason: 'json-malformed', detail: (err as Error).message.slice(0, 120) };
      }
      return undefined;
    },
  };
}

export function validateStep(model: ParkModel): Step {
  return {
    name: 'validate',
    run(ctx) {
      const topic = ctx.topic!;
      const device = model.deviceById.get(topic.deviceId);
      if (!device) return { reason: 'device-unknown', detail: topic.deviceId };
      if (device.kind !== topic.kind) return { reason: 'kind-mismatch', detail: `${topic.deviceId} is a ${device.kind}, topic says ${topic.kind}` };
      const schema = payloadSchemas[topic.kind][topic.channel];
      if (!schema) return { reason: 'channel-unsupported', detail: `${topic.kind}/${topic.channel}` };
      const result = schema.safeParse(ctx.json);
      if (!result.success) {
        return { reason: 'schema-invalid', detail: formatIssue(result.error.issues[0]) };
      }
      ctx.device = device;
      ctx.payload = result.data as Context['payload'];
      return undefined;
    },
  };
}

/**
 * A device clock far ahead of the ingest's is broken (the schema alone admits years up to ~5138):
 * such a reading would claim to be the device's newest for as long as the clock is ahead.
 * Late readings are fine (a backlog, a replay); the live state bounds the small leads it admits.
 */
export function clockStep(maxFutureMs: number): Step {
  return {
    name: 'clock',
    run(ctx) {
      const ahead = ctx.payload!.ts - ctx.msg.receivedAt;
      if (ahead > maxFutureMs) return { reason: 'ts-future', detail: `ts ${ctx.payload!.ts} is ${Math.round(ahead / 1000)} s ahead of the ingest clock (limit ${Math.round(maxFutureMs / 1000)} s)` };
      return undefined;
    },
  };
}

export function normalizeStep(): Step {
  return {
    name: 'normalize',
    run(ctx) {
      const topic = ctx.topic!;
      const device = ctx.device!;
      const { ts, seq, ...values } = ctx.payload!;
      ctx.reading = {
        device: device.id,
        kind: topic.kind,
        channel: topic.channel,
        seq,
        ts,
        receivedAt: ctx.msg.receivedAt,
        enterprise: device.enterprise ?? null,
        zone: device.zone,
        values: values as Reading['values'],
      };
      return undefined;
    },
  };
}

export function createPipeline(opts: PipelineOptions): Step[] {
  return [
    decodeStep(opts.model.id, opts.maxPayloadBytes ?? MAX_DEVICE_PAYLOAD_BYTES),
    validateStep(opts.model),
    clockStep(opts.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS),
    normalizeStep(),
  ];
}

/**
 * What a rejected message still tells: the device (from its topic, which the broker lets only that
 * device publish on) and the seq its payload carried, when both can be read. The seq accounting
 * notes it, so the rejected message is not also counted as a lost one.
 */
export interface RejectedSeq {
  device: string;
  seq: number;
}

function rejectedSeq(ctx: Context): RejectedSeq | undefined {
  const device = ctx.topic?.deviceId;
  const json = ctx.json as { seq?: unknown; will?: unknown } | null | undefined;
  if (!device || typeof json !== 'object' || json === null || ctx.topic?.channel === 'status') return undefined;
  const seq = json.seq;
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? { device, seq } : undefined;
}

/** Runs the steps in order; the first rejection stops the message. */
export function runPipeline(steps: readonly Step[], msg: RawMessage): { ok: true; reading: Reading } | ({ ok: false; step: string; seen?: RejectedSeq } & Rejection) {
  const ctx: Context = { msg };
  for (const step of steps) {
    const rejection = step.run(ctx);
    if (rejection) return { ok: false, step: step.name, ...rejection, seen: rejectedSeq(ctx) };
  }
  return { ok: true, reading: ctx.reading! };
}
