// Every error catalog of the project, in the order docs/errors.md lists them (written by
// `npm run docs`, checked by test/docs/errors.test.ts). A new catalog is added here.
import { BROKER_ERRORS, CLUSTER_ERRORS } from '../broker/errors.ts';
import { ALERT_ACTION_CODES } from '../ingest/alerts/errors.ts';
import { READING_FLAGS, REJECT_REASONS } from '../ingest/errors.ts';
import { STORE_ERRORS } from '../ingest/store/errors.ts';
import { SCREEN_ERRORS } from '../screen/server/errors.ts';
import type { ErrorCatalog } from '../shared/error-catalog.ts';
import { SHARED_ERRORS } from '../shared/errors.ts';
import { CLI_ERRORS } from './errors.ts';

export interface CatalogEntry {
  /** Section title in docs/errors.md. */
  title: string;
  /** The module that declares it. */
  file: string;
  /** Where a user meets the codes. */
  where: string;
  catalog: ErrorCatalog;
  /** An extra column: its heading and the field of each spec. */
  extra?: { heading: string; field: string };
}

export const ERROR_CATALOGS: readonly CatalogEntry[] = [
  { title: 'Broker refusals', file: 'broker/errors.ts', where: 'the `reason` label of `parkpulse_broker_refusals_total`, broker logs, `broker.stats().refused`', catalog: BROKER_ERRORS, extra: { heading: 'CONNACK', field: 'returnCode' } },
  { title: 'NATS cluster configuration', file: 'broker/errors.ts', where: '`parkpulse cluster-config` (exit 1)', catalog: CLUSTER_ERRORS },
  { title: 'Ingest rejections of device messages', file: 'ingest/errors.ts', where: 'the `reason` label of `parkpulse_ingest_rejects_total`, ingest logs', catalog: REJECT_REASONS },
  { title: 'Ingest flags on stored readings', file: 'ingest/errors.ts', where: 'the `flag` label of `parkpulse_ingest_flags_total`, ingest logs', catalog: READING_FLAGS },
  { title: 'Store failures', file: 'ingest/store/errors.ts', where: 'ingest logs, the start (configuration errors stop it), the dead-letter file', catalog: STORE_ERRORS },
  { title: 'Operator actions on alerts', file: 'ingest/alerts/errors.ts', where: 'the `code` of an alerts reply, the console, the audit trail', catalog: ALERT_ACTION_CODES },
  { title: 'Screen HTTP API', file: 'screen/server/errors.ts', where: 'the `error` field of an HTTP error body', catalog: SCREEN_ERRORS, extra: { heading: 'HTTP', field: 'status' } },
  { title: 'Admin commands and clients', file: 'shared/errors.ts', where: '`parkpulse operator`, `parkpulse device` (exit 1), MQTT_URL checks', catalog: SHARED_ERRORS },
  { title: 'Command line', file: 'bin/errors.ts', where: 'any `parkpulse` command (exit 2)', catalog: CLI_ERRORS },
];

/** The text of docs/errors.md. */
export function errorsMarkdown(): string {
  const out = [
    '# Error codes',
    '',
    '<!-- Generated from the catalogs (bin/error-catalogs.ts) by `npm run docs`; test/docs/errors.test.ts fails when it is stale. -->',
    '',
    'Every stable code ParkPulse counts, logs or answers with, by the module that declares it. All',
    'follow one convention (shared/error-catalog.ts): kebab-case codes, each with an explicit',
    '`retriable` flag (yes = trying the same thing again unchanged may succeed, the cause is passing)',
    'and a one-line description; errors are thrown as `new XError(code, detail?, options?)`.',
  ];
  for (const entry of ERROR_CATALOGS) {
    out.push('', `## ${entry.title}`, '', `Declared in [${entry.file}](../${entry.file}); seen in ${entry.where}.`, '');
    out.push(entry.extra ? `| code | retriable | ${entry.extra.heading} | meaning |` : '| code | retriable | meaning |');
    out.push(entry.extra ? '| --- | --- | --- | --- |' : '| --- | --- | --- |');
    for (const [code, spec] of Object.entries(entry.catalog)) {
      const cells = [`\`${code}\``, spec.retriable ? 'yes' : 'no'];
      if (entry.extra) cells.push(String((spec as unknown as Record<string, unknown>)[entry.extra.field]));
      cells.push(spec.description.replace(/\|/g, '\\|'));
      out.push(`| ${cells.join(' | ')} |`);
    }
  }
  return `${out.join('\n')}\n`;
}
