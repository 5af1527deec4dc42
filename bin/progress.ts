// Progress for long-running CLI jobs, on stderr (stdout stays free for the summary or JSON).
// On a terminal: one line redrawn in place, at most ~10 times a second. Piped or in a log file: a
// plain line every `everyMs`, so CI logs show progress without a flood of carriage returns.
import { shorten } from '../shared/text.ts';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  stream: ProgressStream;
  /** ms between lines when the stream is not a terminal; default 5000. */
  everyMs?: number;
  now?: () => number;
}

export interface Progress {
  /** The current state: `fraction` (0..1) draws a bar, null for jobs without an end. */
  update(text: string, fraction?: number | null): void;
  /** A permanent line (a scenario step), printed above the bar. */
  log(line: string): void;
  /** Final state: the bar line is completed and left in place. */
  done(text?: string, fraction?: number | null): void;
}

const BAR_WIDTH = 24;

export function bar(fraction: number, width = BAR_WIDTH): string {
  const f = Math.min(1, Math.max(0, fraction));
  const eighths = Math.round(f * width * 8);
  const full = Math.floor(eighths / 8);
  const part = eighths % 8;
  const partial = part > 0 ? String.fromCharCode(0x2588 + (8 - part)) : '';
  return `▕${'█'.repeat(full)}${partial}${' '.repeat(width - full - (partial ? 1 : 0))}▏ ${(f * 100).toFixed(1).padStart(5)}%`;
}

export function createProgress(opts: ProgressOptions): Progress {
  const tty = opts.stream.isTTY === true;
  const now = opts.now ?? Date.now;
  const everyMs = opts.everyMs ?? 5000;
  let lastDraw = 0;
  let shown = false; // a bar line is on screen (TTY)
  let current = '';

  const compose = (text: string, fraction?: number | null): string => (fraction === undefined || fraction === null ? text : `${bar(fraction)}  ${text}`);
  const fit = (line: string): string => {
    const cols = opts.stream.columns ?? 120;
    return shorten(line, cols - 1);
  };

  function draw(line: string, force: boolean): void {
    const t = now();
    if (tty) {
      if (!force && t - lastDraw < 100) return;
      opts.stream.write(`\r\x1b[2K${fit(line)}`);
      shown = true;
    } else {
      if (!force && t - lastDraw < everyMs) return;
      opts.stream.write(`${line}\n`);
    }
    lastDraw = t;
  }

  return {
    update(text, fraction) {
      current = compose(text, fraction);
      // The first state shows at once; later ones at the throttle's pace.
      draw(current, lastDraw === 0);
    },
    log(line) {
      if (tty && shown) opts.stream.write('\r\x1b[2K');
      opts.stream.write(`${line}\n`);
      if (tty && shown) opts.stream.write(fit(current));
    },
    done(text, fraction) {
      if (text !== undefined) current = compose(text, fraction);
      if (current === '') return;
      if (tty) opts.stream.write(`\r\x1b[2K${fit(current)}\n`);
      else opts.stream.write(`${current}\n`);
      shown = false;
    },
  };
}

/** 3725000 -> "1:02:05"; 65000 -> "1:05". */
export function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export const num = (n: number): string => Math.round(n).toLocaleString('en-US');

/** 1536 -> "1.5 KiB"; 5242880 -> "5.0 MiB". */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
