// JSON files: read and validate with one wording of what went wrong, and write atomically (a
// temporary file beside the target, then a rename, so a reader sees the old file or the new one,
// never half of one).
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { formatIssues } from './validation.ts';

/** Builds the error thrown for a file that cannot be read or is invalid (a module's own coded error). */
export type FileErrorFactory = (detail: string) => Error;

const plainError: FileErrorFactory = (detail) => new Error(detail);

/** The parsed JSON of a file; `what` names it in the error ("cannot read <what> <path>: ..."). */
export function readJson(path: string, what: string, fail: FileErrorFactory = plainError): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw fail(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

/** A JSON file validated by `schema` ("invalid <what> <path>: path: message; ..."). */
export function readJsonFile<S extends z.ZodType>(path: string, schema: S, what: string, fail: FileErrorFactory = plainError): z.output<S> {
  const parsed = schema.safeParse(readJson(path, what, fail));
  if (!parsed.success) throw fail(`invalid ${what} ${path}: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

export interface AtomicWriteOptions {
  /** File mode, e.g. 0o600 for secrets; default 0o644. */
  mode?: number;
}

/** Writes `text` to `path` atomically, creating its folder. */
export function writeFileAtomic(path: string, text: string, opts: AtomicWriteOptions = {}): void {
  const mode = opts.mode ?? 0o644;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, text, { mode });
  // The mode of writeFileSync is masked by the umask; the file's mode must not depend on it.
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/** Writes `data` as JSON (`indent` spaces, a final newline) to `path` atomically. */
export function writeJsonFileAtomic(path: string, data: unknown, opts: AtomicWriteOptions & { indent?: number } = {}): void {
  writeFileAtomic(path, `${JSON.stringify(data, null, opts.indent ?? 1)}\n`, opts);
}
