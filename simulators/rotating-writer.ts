// Appends lines to a file and rotates it by size and/or age. The active file always has the path
// asked for (`park.ndjson`); a full segment is renamed after the time of its first line
// (`park.20240630T120000Z.ndjson`), so segments sort by time and the active one is always where the
// user looks. Lines are buffered and written with synchronous calls at most every `flushMs`: a
// recorder is a small tool, and this keeps rotation and shutdown simple and lossless.
import { closeSync, existsSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { firstReceivedAt } from './recording.ts';

export interface RotatingWriterOptions {
  path: string;
  /** Rotate once the active file reaches this many bytes; 0 = never by size. */
  maxBytes?: number;
  /** Rotate once the active file's first line is this old, ms; 0 = never by age. */
  maxAgeMs?: number;
  /** ms lines wait in memory at most; default 200. */
  flushMs?: number;
  now?: () => number;
}

export interface RotatingWriter {
  write(line: string): void;
  /** Writes what is buffered now. */
  flush(): void;
  /** Flushes and closes the active file. */
  close(): void;
  /** Closed segments, oldest first, then the active file. */
  files(): string[];
  readonly bytesWritten: number;
}

const stamp = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

export function createRotatingWriter(opts: RotatingWriterOptions): RotatingWriter {
  const now = opts.now ?? Date.now;
  const maxBytes = opts.maxBytes ?? 0;
  const maxAgeMs = opts.maxAgeMs ?? 0;
  const dir = dirname(opts.path);
  const ext = extname(opts.path) || '.ndjson';
  const stem = basename(opts.path, extname(opts.path));
  mkdirSync(dir, { recursive: true });
  const segments: string[] = [];
  let fd: number | null = null;
  let size = 0;
  let startedAt = 0;
  let buffered: string[] = [];
  let bufferedBytes = 0;
  let total = 0;
  let closed = false;

  function retire(startMs: number): string {
    let target = join(dir, `${stem}.${stamp(startMs)}${ext}`);
    for (let i = 2; existsSync(target); i++) target = join(dir, `${stem}.${stamp(startMs)}-${i}${ext}`);
    renameSync(opts.path, target);
    return target;
  }

  // A file left by an earlier run becomes a segment of its own: appending to it would glue two
  // recordings together across the gap between them.
  if (existsSync(opts.path) && statSync(opts.path).size > 0) retire(firstReceivedAt(opts.path) ?? statSync(opts.path).mtimeMs);

  function open(): void {
    fd = openSync(opts.path, 'a', 0o640);
    size = 0;
    startedAt = now();
  }

  function flush(): void {
    if (buffered.length === 0) return;
    const chunk = buffered.join('');
    buffered = [];
    bufferedBytes = 0;
    for (const line of chunk.split(/(?<=\n)/)) {
      if (fd === null) open();
      else if ((maxBytes > 0 && size > 0 && size + Buffer.byteLength(line) > maxBytes) || (maxAgeMs > 0 && now() - startedAt >= maxAgeMs)) {
        closeSync(fd);
        segments.push(retire(startedAt));
        open();
      }
      const bytes = Buffer.from(line);
      writeSync(fd!, bytes);
      size += bytes.length;
      total += bytes.length;
    }
  }

  const timer = setInterval(flush, opts.flushMs ?? 200);
  timer.unref();

  return {
    write(line) {
      if (closed) throw new Error('writer is closed');
      buffered.push(line);
      bufferedBytes += line.length;
      if (bufferedBytes > 256 * 1024) flush();
    },
    flush,
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      flush();
      if (fd !== null) closeSync(fd);
      fd = null;
    },
    files: () => [...segments, ...(fd !== null || existsSync(opts.path) ? [opts.path] : [])],
    get bytesWritten() {
      return total + bufferedBytes;
    },
  };
}
