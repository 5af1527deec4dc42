// Processes of a benchmark run: load generators and services in their own processes (so the load
// generator never shares a core's event loop with what it measures), their JSON lines, their RSS.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTs, type Managed } from '../../testkit/processes.ts';

const ROOT = process.cwd();

export interface JsonProcess<L> {
  pid: number;
  /** Every JSON line so far. */
  lines: L[];
  /** The line with `final: true` (rejects if the process exits without one). */
  final: Promise<L>;
  /** Resolves on the first line that satisfies `test`. */
  waitFor(test: (line: L) => boolean, timeoutMs?: number): Promise<L>;
  stderr(): string;
  kill(signal?: NodeJS.Signals): void;
  exited: Promise<number | null>;
}

/** Runs `node --import tsx <script> '<json>'` (testkit's startTs), reading JSON lines from stdout. */
export function runJsonProcess<L extends { final?: boolean }>(script: string, config: unknown, extraNodeArgs: string[] = []): JsonProcess<L> {
  const lines: L[] = [];
  const waiters: { test: (l: L) => boolean; resolve: (l: L) => void }[] = [];
  let buf = '';
  let resolveFinal!: (l: L) => void;
  let rejectFinal!: (e: Error) => void;
  let settled = false;
  const final = new Promise<L>((res, rej) => ((resolveFinal = (l) => ((settled = true), res(l))), (rejectFinal = (e) => ((settled = true), rej(e)))));
  final.catch(() => {}); // awaited by the caller; never an unhandled rejection of the bench itself
  const onStdout = (text: string): void => {
    buf += text;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line0 = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line0.trim()) continue;
      let line: L;
      try {
        line = JSON.parse(line0) as L;
      } catch {
        continue;
      }
      lines.push(line);
      if (line.final) resolveFinal(line);
      for (const w of [...waiters]) {
        if (w.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  };
  const proc: Managed = startTs(join(ROOT, script), [JSON.stringify(config)], { cwd: ROOT, nodeArgs: extraNodeArgs, onStdout, ownGroup: false });
  // stderr only: stdout is the JSON lines.
  const err = (): string => proc.output().split('\n').filter((l) => !l.startsWith('{')).join('\n');
  const exited = proc.exited.then((code) => (typeof code === 'number' ? code : null));
  void exited.then((code) => {
    if (!settled) rejectFinal(new Error(`${script} exited (${code}) without a final report: ${err().slice(-500)}`));
  });
  return {
    pid: proc.pid,
    lines,
    final,
    waitFor(test, timeoutMs = 60_000) {
      const hit = lines.find(test);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${script}: no matching line within ${timeoutMs} ms; stderr: ${err().slice(-500)}`)), timeoutMs);
        waiters.push({ test, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      });
    },
    stderr: err,
    kill: (signal = 'SIGTERM') => void proc.stop(signal),
    exited,
  };
}

/** Resident memory of a process, MiB (Linux /proc), or null once it is gone. */
export function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used so far (Linux /proc), or null once it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return null;
  }
}

/**
 * Bytes a process has passed to write() and its kin so far, all its threads together (Linux
 * /proc/<pid>/io `wchar`: page cache included, so it counts what SQLite hands the kernel), or null
 * where there is no such file (not Linux, or the process is gone).
 */
export function bytesWritten(pid: number | 'self'): number | null {
  try {
    const m = /^wchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** p-th percentile of sorted numbers. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}
