// The on-disk spool: line-protocol lines InfluxDB could not take yet, in segment files replayed
// oldest first. An append resolves only after fdatasync, so a reading acknowledged to the broker
// because it was spooled survives a crash of the process or the machine.
//
// Format: each append is a record, its lines followed by `#commit <n>` (line protocol treats `#`
// lines as comments and our measurements never start with one). A record without its commit line
// (a crash mid-append) was never acknowledged and is skipped on reading. A segment that saw a
// failed append, and every segment of an earlier run, is never appended to again, so a torn tail
// cannot glue itself to the next record.
import { mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { open, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from './errors.ts';

export interface SpoolSegment {
  no: number;
  path: string;
  bytes: number;
  /** Committed lines it holds (the spool depth the metrics report). */
  lines: number;
}

export interface SpoolRead {
  lines: string[];
  /** Lines of records without a commit line (never acknowledged), skipped. */
  torn: number;
}

export interface Spool {
  /** True when no segment holds data. */
  readonly empty: boolean;
  stats(): { segments: number; bytes: number; lines: number };
  /** Appends one record and fsyncs it. */
  append(lines: readonly string[]): Promise<void>;
  /** The oldest segment, sealed first if it is the one being appended to; null when empty. */
  oldest(): Promise<SpoolSegment | null>;
  read(segment: SpoolSegment): Promise<SpoolRead>;
  /** Deletes a segment whose lines are all written. */
  remove(segment: SpoolSegment): Promise<void>;
  close(): Promise<void>;
}

export interface SpoolOptions {
  dir: string;
  /** A segment is sealed once it grows past this; default 8 MiB. */
  maxSegmentBytes?: number;
}

const SEGMENT = /^(\d{12})\.lp$/;
const COMMIT = '#commit ';

/** Splits a segment's text into the lines of its committed records. */
export function parseSegment(text: string): SpoolRead {
  const lines: string[] = [];
  let pending: string[] = [];
  let torn = 0;
  const parts = text.split('\n');
  // The last part is '' after a final newline, or an unterminated (torn) line.
  const last = parts.pop();
  if (last) pending.push(last);
  for (const part of parts) {
    if (part.startsWith(COMMIT)) {
      const n = Number(part.slice(COMMIT.length));
      // Lines before a record's own n lines belong to an append that failed half-way.
      if (pending.length > n) torn += pending.length - n;
      lines.push(...pending.slice(Math.max(0, pending.length - n)));
      pending = [];
    } else if (part !== '') {
      pending.push(part);
    }
  }
  torn += pending.length;
  return { lines, torn };
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function openSpool(opts: SpoolOptions): Spool {
  const { dir } = opts;
  const maxBytes = opts.maxSegmentBytes ?? 8 * 1024 * 1024;
  mkdirSync(dir, { recursive: true });
  const segments: SpoolSegment[] = readdirSync(dir)
    .map((name) => SEGMENT.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    // Segments of an earlier run are read once here to know their depth (they are replayed next).
    .map((m) => ({ no: Number(m[1]), path: join(dir, m[0]), bytes: statSync(join(dir, m[0])).size, lines: parseSegment(readFileSync(join(dir, m[0]), 'utf8')).lines.length }))
    .sort((a, b) => a.no - b.no);
  let lastNo = segments.at(-1)?.no ?? 0;
  let active: { segment: SpoolSegment; fh: FileHandle } | null = null;
  // Appends and seals run one at a time.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn);
    chain = run.catch(() => {});
    return run;
  };

  async function seal(): Promise<void> {
    const a = active;
    active = null;
    if (a) await a.fh.close().catch(() => {});
  }

  return {
    get empty() {
      return segments.length === 0;
    },
    stats: () => ({ segments: segments.length, bytes: segments.reduce((s, x) => s + x.bytes, 0), lines: segments.reduce((s, x) => s + x.lines, 0) }),
    append(lines) {
      return serial(async () => {
        if (lines.length === 0) return;
        try {
          if (!active) {
            const no = ++lastNo;
            const segment = { no, path: join(dir, `${String(no).padStart(12, '0')}.lp`), bytes: 0, lines: 0 };
            const fh = await open(segment.path, 'a');
            // The new file's directory entry must be durable too.
            await fsyncDir(dir);
            segments.push(segment);
            active = { segment, fh };
          }
          const buf = Buffer.from(`${lines.join('\n')}\n${COMMIT}${lines.length}\n`);
          await active.fh.appendFile(buf);
          await active.fh.datasync();
          active.segment.bytes += buf.length;
          active.segment.lines += lines.length;
          if (active.segment.bytes >= maxBytes) await seal();
        } catch (err) {
          await seal();
          throw new StoreError('spool-io', `spool append failed in ${dir}: ${(err as Error).message}`, { cause: err });
        }
      });
    },
    oldest() {
      return serial(async () => {
        const first = segments[0];
        if (!first) return null;
        if (active?.segment === first) await seal();
        return first;
      });
    },
    async read(segment) {
      try {
        return parseSegment(await readFile(segment.path, 'utf8'));
      } catch (err) {
        throw new StoreError('spool-io', `spool read failed (${segment.path}): ${(err as Error).message}`, { cause: err });
      }
    },
    remove(segment) {
      return serial(async () => {
        if (active?.segment === segment) await seal();
        await unlink(segment.path).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw new StoreError('spool-io', `spool remove failed (${segment.path}): ${err.message}`, { cause: err });
        });
        const i = segments.indexOf(segment);
        if (i >= 0) segments.splice(i, 1);
      });
    },
    close: () => serial(seal),
  };
}
