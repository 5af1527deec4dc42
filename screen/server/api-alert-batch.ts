// Group actions from the console: acknowledge, shelve or unshelve many alerts (a group of one rule
// in one zone, or a selection) with one note, in one request.
//
// The ingest stays the owner of alert state: the screen sends it one ordinary action per alert,
// each with its own request id, all tagged with one batch id and size, so each alert gets its own
// audit record (attributed to the signed-in operator, with the shared note and the batch id) and
// its own verdict. One alert refused (already acknowledged by a colleague, cleared meanwhile) does
// not hold back the others: the answer lists every alert's outcome. Same rules as a single action:
// a session (401), an allowed origin (403, checked for every POST by create-screen.ts).
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../../shared/logger.ts';
import { MAX_BATCH_ALERTS, type Alert } from '../../shared/schema.ts';
import type { ActionInput, AlertActions } from './alert-actions.ts';
import { HttpError } from './errors.ts';
import { json, readJsonBody, type Route } from './http-kit.ts';
import type { OperatorAuth } from './operator-auth.ts';
import { formatIssues } from '../../shared/validation.ts';

export const BATCH_PATH = /^\/api\/alerts\/batch\/(?<verb>ack|shelve|unshelve)$/;

const ids = z.array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,127}$/)).min(1).max(MAX_BATCH_ALERTS).refine((list) => new Set(list).size === list.length, 'ids must be distinct');
const note = z.string().trim().min(1, 'a note is required').max(500);
const BODIES = {
  ack: z.strictObject({ ids, note }),
  shelve: z.strictObject({ ids, note, minutes: z.number().int().min(1).max(7 * 24 * 60) }),
  unshelve: z.strictObject({ ids, note: z.string().trim().max(500).default('') }),
} as const;
type Verb = keyof typeof BODIES;

export interface BatchOutcome {
  id: string;
  ok: boolean;
  /** The ingest's refusal code, `ingest-timeout` (outcome unknown) or `broker-unreachable`. */
  code: string | null;
  alert: Alert | null;
}

export interface BatchRoutesOptions {
  auth: OperatorAuth;
  actions: AlertActions;
  logger: Logger;
  /** ms to wait for the ingest's answers: this plus `perAlertMs` for each alert; default 5000 and 25. */
  timeoutMs?: number;
  perAlertMs?: number;
}

export function batchRoutes(opts: BatchRoutesOptions): Route[] {
  const log = opts.logger.child({ module: 'api-alert-batch' });
  return [
    {
      method: 'POST',
      path: BATCH_PATH,
      async handle({ req, res, params }) {
        const verb = params.verb as Verb;
        const session = opts.auth.require(req, { attempted: verb, alertId: null });
        const parsed = BODIES[verb].safeParse(await readJsonBody(req, 64 * 1024));
        if (!parsed.success) throw new HttpError('bad-request', formatIssues(parsed.error));
        const body = parsed.data as { ids: string[]; note: string; minutes?: number };
        const by = session.operator;
        const batch = { id: `b-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`, size: body.ids.length };
        const wait = (opts.timeoutMs ?? 5000) + (opts.perAlertMs ?? 25) * body.ids.length;
        const until = verb === 'shelve' ? Date.now() + body.minutes! * 60_000 : 0;
        const input = (alertId: string): ActionInput =>
          verb === 'ack' ? { action: 'ack', alertId, by, note: body.note, batch }
          : verb === 'shelve' ? { action: 'shelve', alertId, by, note: body.note, until, batch }
          : { action: 'unshelve', alertId, by, note: body.note, batch };
        const settled = await Promise.allSettled(body.ids.map((id) => opts.actions.send(input(id), wait)));
        const results: BatchOutcome[] = settled.map((s, i) =>
          s.status === 'fulfilled'
            ? { id: body.ids[i]!, ok: s.value.ok, code: s.value.code, alert: s.value.alert }
            : { id: body.ids[i]!, ok: false, code: s.reason instanceof HttpError ? s.reason.code : 'error', alert: null },
        );
        if (results.every((r) => r.code === 'broker-unreachable')) throw new HttpError('broker-unreachable', 'the message broker is unreachable; try again');
        const done = results.filter((r) => r.ok).length;
        log.info({ operator: by, verb, batch: batch.id, alerts: results.length, done }, 'group action');
        json(res, 200, { batch: batch.id, done, refused: results.length - done, results });
      },
    },
  ];
}
