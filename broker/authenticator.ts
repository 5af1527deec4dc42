// Checks a presented secret against the registry's scrypt hash. The first successful check of an
// account pays the slow KDF; later reconnects with the same secret compare a SHA-256 digest kept in
// memory (never the secret itself), so a reconnect storm after a broker restart stays cheap.
import { createHash, timingSafeEqual } from 'node:crypto';
import { verifySecret } from '../shared/credentials.ts';
import type { Account, RegistryData } from '../shared/registry.ts';

export interface Authenticator {
  /** The account when the secret is right and the account active; otherwise null with a reason. */
  check(username: string, password: Buffer | undefined): Promise<{ account: Account } | { account: null; reason: 'unknown' | 'bad-secret' | 'revoked' }>;
  account(id: string): Account | undefined;
  /** Swap in a new registry (rotation, revocation); clears every cached digest. */
  replace(registry: RegistryData): void;
  readonly size: number;
}

function digest(secret: Buffer): Buffer {
  return createHash('sha256').update(secret).digest();
}

/**
 * The account id a user name names: the id itself, or `<id>@<park>` (what a NATS cluster serving
 * several parks needs, where user names are cluster-wide: see broker/nats/), so one client setting
 * works on both brokers. Another park's suffix names no account here.
 */
export function accountIdOf(username: string, parkId: string): string {
  const suffix = `@${parkId}`;
  return username.endsWith(suffix) ? username.slice(0, -suffix.length) : username;
}

export function createAuthenticator(initial: RegistryData): Authenticator {
  let parkId = initial.parkId;
  let accounts = new Map<string, Account>(initial.accounts.map((a) => [a.id, a]));
  // account id -> digest of the last secret that passed scrypt for the account's current hash
  let verified = new Map<string, Buffer>();
  // concurrent first connects of one account share one scrypt run
  const pending = new Map<string, Promise<boolean>>();

  return {
    async check(username, password) {
      const account = accounts.get(accountIdOf(username, parkId));
      // Unknown names are refused at once: running the KDF for them would let a scanner burn our
      // CPU, and the fast answer reveals only that the name is unknown.
      if (!account) return { account: null, reason: 'unknown' };
      if (account.status === 'revoked') return { account: null, reason: 'revoked' };
      if (!password || password.length === 0 || password.length > 1024) return { account: null, reason: 'bad-secret' };
      const d = digest(password);
      const known = verified.get(account.id);
      if (known) {
        return timingSafeEqual(known, d) ? { account } : { account: null, reason: 'bad-secret' };
      }
      const key = `${account.id}:${d.toString('base64')}`;
      let job = pending.get(key);
      if (!job) {
        job = verifySecret(password, account.secret);
        pending.set(key, job);
        void job.finally(() => pending.delete(key)).catch(() => {});
      }
      const registryAtStart = accounts;
      const ok = await job;
      if (!ok) return { account: null, reason: 'bad-secret' };
      // A rotation/revocation during the KDF wins over this older answer.
      if (accounts !== registryAtStart) return this.check(username, password);
      verified.set(account.id, d);
      return { account };
    },
    account(id) {
      return accounts.get(id);
    },
    replace(registry) {
      parkId = registry.parkId;
      accounts = new Map(registry.accounts.map((a) => [a.id, a]));
      verified = new Map();
    },
    get size() {
      return accounts.size;
    },
  };
}
