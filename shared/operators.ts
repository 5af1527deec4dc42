// Console operators: a JSON file (<data-dir>/operators.json, mode 0600) of names and scrypt hashes
// of their passwords, managed with `parkpulse operator add|passwd|remove|list` and read by the
// screen server at sign-in (re-read when the file changes, so adding an operator needs no restart).
import { existsSync, statSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_SCRYPT, hashSecret, secretHashSchema, verifySecret, type SecretHash } from './credentials.ts';
import { OPERATOR_NAME_PATTERN } from './schema.ts';
import { OperatorError } from './errors.ts';
import { readJsonFile, writeJsonFileAtomic } from './json-file.ts';

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 256;

export const operatorSchema = z.strictObject({
  name: z.string().regex(OPERATOR_NAME_PATTERN),
  password: secretHashSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const operatorsFileSchema = z.strictObject({ version: z.literal(1), operators: z.array(operatorSchema) });
export type Operator = z.infer<typeof operatorSchema>;
export type OperatorsFile = z.infer<typeof operatorsFileSchema>;

/** Names compare without regard to case or Unicode normalization form (张三 = 张三, Li = li). */
export const nameKey = (name: string): string => name.normalize('NFC').toLowerCase();

export function validateOperatorName(name: string): string {
  const n = name.normalize('NFC');
  if (!OPERATOR_NAME_PATTERN.test(n)) throw new OperatorError('operator-input-invalid', `operator name ${JSON.stringify(name)}: 1-32 letters, digits, '.', '_' or '-'`);
  return n;
}

export function validatePassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new OperatorError('operator-input-invalid', `password: at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) throw new OperatorError('operator-input-invalid', `password: at most ${MAX_PASSWORD_LENGTH} characters`);
}

export function readOperators(path: string): OperatorsFile {
  if (!existsSync(path)) return { version: 1, operators: [] };
  return readJsonFile(path, operatorsFileSchema, 'operators file', (detail) => new OperatorError('operators-file-invalid', detail));
}

/** Atomic (temp file + rename), owner-only. */
export function writeOperators(path: string, data: OperatorsFile): void {
  writeJsonFileAtomic(path, data, { mode: 0o600 });
}

type Cost = { N: number; r: number; p: number };

export async function addOperator(path: string, name: string, password: string, cost: Cost = DEFAULT_SCRYPT): Promise<Operator> {
  const n = validateOperatorName(name);
  validatePassword(password);
  const file = readOperators(path);
  if (file.operators.some((o) => nameKey(o.name) === nameKey(n))) throw new OperatorError('operator-exists', `operator ${n} exists (use: operator passwd ${n})`);
  const now = new Date().toISOString();
  const op: Operator = { name: n, password: await hashSecret(password, cost), createdAt: now, updatedAt: now };
  file.operators.push(op);
  writeOperators(path, file);
  return op;
}

export async function setOperatorPassword(path: string, name: string, password: string, cost: Cost = DEFAULT_SCRYPT): Promise<void> {
  validatePassword(password);
  const file = readOperators(path);
  const op = file.operators.find((o) => nameKey(o.name) === nameKey(name));
  if (!op) throw new OperatorError('operator-not-found', `no operator ${name}`);
  op.password = await hashSecret(password, cost);
  op.updatedAt = new Date().toISOString();
  writeOperators(path, file);
}

export function removeOperator(path: string, name: string): void {
  const file = readOperators(path);
  const left = file.operators.filter((o) => nameKey(o.name) !== nameKey(name));
  if (left.length === file.operators.length) throw new OperatorError('operator-not-found', `no operator ${name}`);
  writeOperators(path, { ...file, operators: left });
}

export interface OperatorDirectory {
  /** The operator's name as registered when the password is right; null otherwise (same cost either way). */
  verify(name: string, password: string): Promise<string | null>;
  /** Whether the operator is still registered (a removed operator's sessions end). */
  exists(name: string): boolean;
  /** Operators known now (re-read if the file changed). */
  count(): number;
}

/** A reader for the screen server: re-reads the file when its modification time changes. */
export function createOperatorDirectory(path: string): OperatorDirectory {
  let stamp = '';
  let byName = new Map<string, Operator>();
  // Checked when the name is unknown, so an unknown name costs as much as a wrong password.
  let decoy: SecretHash | null = null;
  function refresh(): void {
    let now = 'missing';
    try {
      const st = statSync(path);
      now = `${st.mtimeMs}:${st.size}`;
    } catch {
      // no file: no operators
    }
    if (now === stamp) return;
    const file = readOperators(path);
    byName = new Map(file.operators.map((o) => [nameKey(o.name), o]));
    stamp = now;
  }
  return {
    async verify(name, password) {
      refresh();
      if (password.length > MAX_PASSWORD_LENGTH || name.length > 64) return null;
      const op = byName.get(nameKey(name));
      if (!op) {
        decoy ??= await hashSecret('decoy-password-never-matches', DEFAULT_SCRYPT);
        const cost = [...byName.values()][0]?.password ?? decoy;
        await verifySecret(password, { ...decoy, N: cost.N, r: cost.r, p: cost.p });
        return null;
      }
      return (await verifySecret(password, op.password)) ? op.name : null;
    },
    exists(name) {
      refresh();
      return byName.has(nameKey(name));
    },
    count() {
      refresh();
      return byName.size;
    },
  };
}
