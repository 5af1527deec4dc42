// One-shot admin commands of the CLI: console operators and the audit trail check. They print
// for a person (process.stdout.write) and return the exit code.
import { existsSync } from 'node:fs';
import { openAlertDb, verifyTrail } from '../ingest/alerts/alert-db.ts';
import type { AppConfig } from './config/load-config.ts';
import { OperatorError } from '../shared/errors.ts';
import { addOperator, readOperators, removeOperator, setOperatorPassword } from '../shared/operators.ts';

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const err = (line: string): void => void process.stderr.write(`parkpulse: ${line}\n`);

/** Reads a password: from `env` if given, else a hidden prompt on a terminal, else stdin's first line. */
export async function readPassword(env: string | undefined, confirm: boolean): Promise<string> {
  if (env !== undefined && env !== '') return env;
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let text = '';
    for await (const chunk of stdin) text += String(chunk);
    return text.split(/\r?\n/)[0] ?? '';
  }
  const ask = (prompt: string): Promise<string> =>
    new Promise((resolve, reject) => {
      process.stdout.write(prompt);
      stdin.setRawMode(true);
      stdin.resume();
      stdin.setEncoding('utf8');
      let value = '';
      const onData = (s: string): void => {
        for (const ch of s) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            stdin.setRawMode(false);
            stdin.pause();
            process.stdout.write('\n');
            return resolve(value);
          }
          if (ch === '\u0003') {
            stdin.setRawMode(false);
            return reject(new OperatorError('operator-input-invalid', 'cancelled'));
          }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on('data', onData);
    });
  const first = await ask('password: ');
  if (confirm && (await ask('again: ')) !== first) throw new OperatorError('operator-input-invalid', 'the passwords differ');
  return first;
}

export async function operatorCommand(config: AppConfig, passwordEnv: string | undefined): Promise<number> {
  const [verb, name, ...rest] = config.args;
  const path = config.screen.operatorsPath;
  const usage = 'usage: operator add <name> | operator passwd <name> | operator remove <name> | operator list';
  try {
    if (rest.length > 0) throw new OperatorError('operator-input-invalid', usage);
    if (verb === 'list' && name === undefined) {
      const ops = readOperators(path).operators;
      if (ops.length === 0) out(`no operators in ${path}`);
      for (const o of ops) out(`${o.name}\tcreated ${o.createdAt}\tpassword changed ${o.updatedAt}`);
      return 0;
    }
    if (name === undefined) throw new OperatorError('operator-input-invalid', usage);
    if (verb === 'add') {
      const op = await addOperator(path, name, await readPassword(passwordEnv, true));
      out(`operator ${op.name} added to ${path}`);
      return 0;
    }
    if (verb === 'passwd') {
      await setOperatorPassword(path, name, await readPassword(passwordEnv, true));
      out(`password of ${name} changed`);
      return 0;
    }
    if (verb === 'remove') {
      removeOperator(path, name);
      out(`operator ${name} removed (their open sessions end at their next request)`);
      return 0;
    }
    throw new OperatorError('operator-input-invalid', usage);
  } catch (e) {
    if (!(e instanceof OperatorError)) throw e;
    err(e.message);
    return 2;
  }
}

export function auditCommand(config: AppConfig): number {
  if (config.args.join(' ') !== 'verify') {
    err('usage: audit verify');
    return 2;
  }
  const path = config.alerts.dbPath;
  if (!existsSync(path)) {
    err(`no alert database at ${path}`);
    return 2;
  }
  const db = openAlertDb(path, { readOnly: true });
  try {
    const v = verifyTrail(db);
    if (v.ok) {
      out(`audit trail ${path}: ${v.records} record(s), chain intact${v.head ? `; head #${v.head.seq} ${v.head.hash}` : ''}`);
      return 0;
    }
    out(`audit trail ${path}: BROKEN at record #${v.brokenAt} (${v.reason}); ${v.records - 1} record(s) before it verify`);
    return 1;
  } finally {
    db.close();
  }
}
