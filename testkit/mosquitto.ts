// Debian's Mosquitto as the broker, started by a test in a temporary folder on a free port, with a
// password file made by mosquitto_passwd and an ACL file generated from our own ACL
// (broker/acl.ts), so the same accounts may do the same things on either broker.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { publishFilters, subscribeFilters } from '../broker/acl.ts';
import { serviceUsername, type Account } from '../shared/registry.ts';
import { requireProgram } from './external.ts';
import { freePort } from './cli.ts';

export const MOSQUITTO = requireProgram('mosquitto', 'interoperability with Mosquitto as the broker');
export const MOSQUITTO_PASSWD = requireProgram('mosquitto_passwd', 'the Mosquitto password file');

export interface MosquittoAccount {
  account: Account;
  password: string;
}

export interface Mosquitto {
  port: number;
  /** The broker's process id (for CPU and memory readings). */
  pid: number;
  url: string;
  /** What it logged (stderr). */
  log(): string;
  stop(): Promise<void>;
}

/** User names of an account: its id, and for a service also `svc-<role>@<park>` (what our services send). */
function userNames(a: Account, parkId: string): string[] {
  return a.type === 'service' ? [a.id, serviceUsername(a.role, parkId)] : [a.id];
}

/** Our ACL in Mosquitto's terms: `topic write` for what an account may publish, `topic read` for what it may subscribe. */
export function mosquittoAcl(accounts: readonly Account[], parkId: string): string {
  const lines: string[] = [];
  for (const a of accounts) {
    for (const name of userNames(a, parkId)) {
      lines.push(`user ${name}`);
      for (const f of publishFilters(a, parkId)) lines.push(`topic write ${f}`);
      for (const f of subscribeFilters(a, parkId)) lines.push(`topic read ${f}`);
      lines.push('');
    }
  }
  return lines.join('\n');
}

/** `extraConfig`: more mosquitto.conf lines (the benchmark lifts the in-flight window). */
export async function startMosquitto(dir: string, accounts: readonly MosquittoAccount[], parkId: string, extraConfig: readonly string[] = []): Promise<Mosquitto> {
  if (!MOSQUITTO || !MOSQUITTO_PASSWD) throw new Error('mosquitto is not installed');
  const home = join(dir, 'mosquitto');
  mkdirSync(home, { recursive: true });
  const passwd = join(home, 'passwd');
  const acl = join(home, 'acl');
  const conf = join(home, 'mosquitto.conf');
  // Plain `user:password` lines, hashed in place by mosquitto_passwd -U.
  writeFileSync(passwd, accounts.flatMap((a) => userNames(a.account, parkId).map((n) => `${n}:${a.password}`)).join('\n') + '\n', { mode: 0o600 });
  execFileSync(MOSQUITTO_PASSWD, ['-U', passwd]);
  writeFileSync(acl, mosquittoAcl(accounts.map((a) => a.account), parkId));
  const port = await freePort();
  writeFileSync(conf, [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous false',
    `password_file ${passwd}`,
    `acl_file ${acl}`,
    'persistence false',
    'max_queued_messages 0', // unlimited: the ingest's persistent session must not lose messages
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    ...extraConfig,
  ].join('\n') + '\n');
  // Started as root, Mosquitto drops to its own unprivileged user, which must be able to read these.
  if (process.getuid?.() === 0) {
    for (const p of [dir, home]) chmodSync(p, 0o755);
    for (const p of [passwd, acl, conf]) chmodSync(p, 0o644);
  }
  const child: ChildProcess = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`mosquitto did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    pid: child.pid!,
    url: `mqtt://127.0.0.1:${port}`,
    log: () => log,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
