// Child processes for tests and benchmarks, the one place that starts them: free ports, programs
// started in their own process group (so a SIGKILL reaches the whole tree), their output kept for
// failure messages, stopped by their own id only. TypeScript entry points run as
// `node --import tsx <file>` (startTs, runTs): one node process that receives signals itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

// Ports handed out by freePort in this process, so two calls never return the same one.
const handedOut = new Set<number>();
// Below Linux's ephemeral range (ip_local_port_range, 32768-60999 by default). A port the kernel
// picks for listen(0) comes from that range, and so does the local port of every outgoing
// connection: between our closing the probe and a child process binding the port, another test's
// client could take it (CI saw nats-server fail with EADDRINUSE on a cluster port that way).
// Ports chosen here are only ever taken by an explicit bind.
const LOW_PORT = 20_000;
const HIGH_PORT = 32_767;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A TCP port on 127.0.0.1 that nothing listens on, for a child process to bind (a program that
 * cannot listen on port 0 and report it). Chosen at random below the ephemeral range, probed by
 * binding it.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW_PORT + Math.floor(Math.random() * (HIGH_PORT - LOW_PORT + 1));
    if (handedOut.has(port)) continue;
    if (await bindable(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port between ${LOW_PORT} and ${HIGH_PORT} after 200 tries`);
}

export interface Managed {
  readonly pid: number;
  /** stdout + stderr so far (the last 200 kB). */
  output(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  readonly running: boolean;
  /** Resolves once `pattern` appears in the output; rejects on timeout or exit. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /**
   * Sends `signal` and waits for the exit (SIGKILL to the group after `timeoutMs`). SIGKILL goes to
   * the whole group (a crash takes the node process tsx runs too); other signals to the leader, or
   * to its children (`gracefulTo`), so the program sees exactly one.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
}

/** The direct children of a process (Linux /proc). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with every chunk of stdout as it arrives (JSON-line readers). */
  onStdout?(text: string): void;
  /**
   * In a process group of its own (default), so a SIGKILL reaches every process it started; false
   * keeps it in ours, so a Ctrl-C on the terminal reaches it too (benchmark load generators).
   */
  ownGroup?: boolean;
  /**
   * Who gets a graceful signal: the leader (default), or the leader's children when the leader is a
   * wrapper such as tsx. tsx relays a signal but SIGKILLs its child when the child has not
   * confirmed receipt within 30 ms, which a loaded machine misses (exit 143 instead of a clean stop).
   */
  gracefulTo?: 'leader' | 'children';
}

export function spawnManaged(command: string, args: readonly string[], opts: SpawnOptions = {}): Managed {
  const child: ChildProcess = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.ownGroup !== false });
  let out = '';
  const keep = (d: Buffer): void => {
    out += d.toString();
    if (out.length > 400_000) out = out.slice(-200_000);
  };
  child.stdout!.on('data', (d: Buffer) => {
    keep(d);
    opts.onStdout?.(d.toString());
  });
  child.stderr!.on('data', keep);
  let running = true;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (err) => {
      running = false;
      out += `\nspawn error: ${err.message}`;
      resolve('spawn-error');
    });
  });
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      if (opts.ownGroup === false) child.kill(signal);
      else process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  return {
    pid: child.pid!,
    output: () => out,
    exited,
    get running() {
      return running;
    },
    async waitForOutput(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(out)) {
        if (!running) throw new Error(`${command} exited before printing ${pattern}:\n${out.slice(-4000)}`);
        if (Date.now() > deadline) throw new Error(`${command} did not print ${pattern} within ${timeoutMs} ms:\n${out.slice(-4000)}`);
        await sleep(50);
      }
    },
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (!running) return exited;
      const targets = opts.gracefulTo === 'children' ? childrenOf(child.pid!) : [];
      if (signal === 'SIGKILL') signalGroup(signal);
      else if (targets.length > 0) for (const pid of targets) process.kill(pid, signal);
      else child.kill(signal);
      const timer = setTimeout(() => signalGroup('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      // Children that outlived the leader (none expected) go with it.
      signalGroup('SIGKILL');
      return code;
    },
  };
}

/** Polls `url` until it answers one of `statuses`. */
export async function waitForHttp(url: string, statuses: number[] = [200, 204], timeoutMs = 20_000, proc?: Managed): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (statuses.includes(res.status)) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (proc && !proc.running) throw new Error(`process serving ${url} exited: ${proc.output().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`${url} not ready within ${timeoutMs} ms (${last})${proc ? `\n${proc.output().slice(-3000)}` : ''}`);
    await sleep(50);
  }
}

/** Node's arguments that run a TypeScript file (no tsx wrapper process between us and it). */
export function tsArgs(script: string, args: readonly string[] = [], nodeArgs: readonly string[] = []): string[] {
  return [...nodeArgs, '--import', 'tsx', script, ...args];
}

/** Starts a TypeScript program as `node --import tsx`; SIGTERM from `stop()` reaches it directly. */
export function startTs(script: string, args: readonly string[] = [], opts: SpawnOptions & { nodeArgs?: readonly string[] } = {}): Managed {
  return spawnManaged(process.execPath, tsArgs(script, args, opts.nodeArgs), opts);
}

export interface TsRun {
  /** Exit code; null when it was killed (after its timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a TypeScript program to its end (SIGKILLed after `timeoutMs`), stdout and stderr apart. */
export function runTs(script: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; input?: string } = {}): Promise<TsRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, tsArgs(script, args), { cwd: opts.cwd, env: opts.env ?? process.env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
