// Checks a presented secret against the registry's scrypt hash, paying the slow KDF as rarely as
// possible. In memory (never the secrets themselves, only SHA-256 digests of them):
//   - per account, the digest of the last secret that passed scrypt: a reconnect with it is a
//     digest comparison, so a reconnect storm stays cheap;
//   - per account, a few digests that failed: the same wrong secret again is refused without
//     another scrypt run (a device stuck with an old secret, a replayed attack).
// What remains (a new secret for an account) runs within the broker-wide KDF budget
// (kdf-budget.ts) and only when the caller's throttle (auth-throttle.ts) allows. A registry change
// forgets only the accounts whose hash, status or generation changed.
import { createHash, timingSafeEqual } from 'node:crypto';
import { verifySecret } from '../shared/credentials.ts';
import type { Account, RegistryData } from '../shared/registry.ts';
import type { KdfBudget } from './kdf-budget.ts';

export type LookupResult = { account: Account } | { account: null; reason: 'unknown' | 'revoked' };

/** `throttled`: the caller's failure budget is used up; `busy`: the KDF budget is (retriable). */
export type VerifyResult = 'ok' | 'bad-secret' | 'throttled' | 'busy';

export interface VerifyOptions {
  /** Asked only when a scrypt run would be needed: true refuses it (`throttled`). */
  throttled?: () => boolean;
  /** Asked before the scrypt run starts (it may have waited): false skips it (`busy`). */
  wanted?: () => boolean;
}

export interface Authenticator {
  /** The account a user name names, if active. Costs a map lookup. */
  lookup(username: string): LookupResult;
  /** Checks `password` against the account's current hash. */
  verify(account: Account, password: Buffer | undefined, opts?: VerifyOptions): Promise<VerifyResult>;
  account(id: string): Account | undefined;
  /** Swap in a new registry (rotation, revocation); forgets what it knew of changed accounts only. */
  replace(registry: RegistryData): void;
  readonly size: number;
  /** scrypt runs so far, and verifications answered from the caches. */
  readonly stats: { kdfRuns: number; cachedOk: number; cachedFailures: number };
}

/** Failed digests remembered per account; default 8. */
const FAILED_PER_ACCOUNT = 8;
/** Accounts with remembered failures at most (a scanner across the whole park); oldest forgotten first. */
const FAILED_ACCOUNTS = 20_000;

function digest(secret: Buffer): string {
  return createHash('sha256').update(secret).digest('base64');
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

/** Same hash, status and generation: what the broker learnt about the account still holds. */
function unchanged(a: Account, b: Account): boolean {
  return a.secret.hash === b.secret.hash && a.secret.salt === b.secret.salt && a.status === b.status && a.generation === b.generation;
}

export function createAuthenticator(initial: RegistryData, budget: KdfBudget): Authenticator {
  let parkId = initial.parkId;
  let accounts = new Map<string, Account>(initial.accounts.map((a) => [a.id, a]));
  const verified = new Map<string, string>();
  const failed = new Map<string, string[]>();
  // concurrent first connects of one account with one secret share one scrypt run
  const pending = new Map<string, Promise<boolean | 'busy'>>();
  const stats = { kdfRuns: 0, cachedOk: 0, cachedFailures: 0 };

  const rememberFailure = (id: string, d: string): void => {
    const list = failed.get(id) ?? [];
    failed.delete(id);
    if (!list.includes(d)) list.push(d);
    if (list.length > FAILED_PER_ACCOUNT) list.shift();
    failed.set(id, list);
    if (failed.size > FAILED_ACCOUNTS) failed.delete(failed.keys().next().value!);
  };

  const auth: Authenticator = {
    lookup(username) {
      const account = accounts.get(accountIdOf(username, parkId));
      // Unknown names are refused at once: running the KDF for them would let a scanner burn our
      // CPU, and the fast answer reveals only that the name is unknown.
      if (!account) return { account: null, reason: 'unknown' };
      if (account.status === 'revoked') return { account: null, reason: 'revoked' };
      return { account };
    },
    async verify(account, password, opts = {}) {
      if (!password || password.length === 0 || password.length > 1024) return 'bad-secret';
      const d = digest(password);
      const known = verified.get(account.id);
      if (known !== undefined) {
        if (timingSafeEqual(Buffer.from(known, 'base64'), Buffer.from(d, 'base64'))) {
          stats.cachedOk++;
          return 'ok';
        }
      }
      if (failed.get(account.id)?.includes(d)) {
        stats.cachedFailures++;
        return 'bad-secret';
      }
      if (opts.throttled?.()) return 'throttled';
      const key = `${account.id}:${account.generation}:${d}`;
      let job = pending.get(key);
      if (!job) {
        job = budget.run(
          account.secret,
          () => {
            stats.kdfRuns++;
            return verifySecret(password, account.secret);
          },
          opts.wanted,
        );
        pending.set(key, job);
        void job.finally(() => pending.delete(key)).catch(() => {});
      }
      const ok = await job;
      if (ok === 'busy') return 'busy';
      const now = accounts.get(account.id);
      // A rotation or revocation during the KDF wins over this older answer.
      if (!now || !unchanged(account, now)) {
        if (!now || now.status === 'revoked') return 'bad-secret';
        return auth.verify(now, password, opts);
      }
      if (!ok) {
        rememberFailure(account.id, d);
        return 'bad-secret';
      }
      verified.set(account.id, d);
      return 'ok';
    },
    account(id) {
      return accounts.get(id);
    },
    replace(registry) {
      const before = accounts;
      parkId = registry.parkId;
      accounts = new Map(registry.accounts.map((a) => [a.id, a]));
      for (const [id, was] of before) {
        const now = accounts.get(id);
        if (now && unchanged(was, now)) continue;
        verified.delete(id);
        failed.delete(id);
      }
    },
    get size() {
      return accounts.size;
    },
    stats,
  };
  return auth;
}
