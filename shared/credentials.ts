// Secrets and their hashes. Secrets are never stored in plain text by the broker: the registry holds
// scrypt hashes only. Device secrets are derived from a fleet provisioning key (as a factory would
// burn them into devices), so a simulator holding that key can act as every device.
import { createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';

/** scrypt cost for new hashes: N=2^14, r=8, p=1 (~16 MiB, tens of ms): slow for an attacker, fine at connect. */
export const DEFAULT_SCRYPT = Object.freeze({ N: 16384, r: 8, p: 1 });
/**
 * scrypt cost for synthetic load devices (`ld-00001`, ...): N=2^10 (~1 ms), so thousands can be
 * provisioned and connected in seconds. They exist only for load tests; real devices keep the default.
 */
export const LOAD_SCRYPT = Object.freeze({ N: 1024, r: 8, p: 1 });
const KEY_LENGTH = 32;

export const secretHashSchema = z.strictObject({
  alg: z.literal('scrypt'),
  N: z.number().int().min(2).max(2 ** 20),
  r: z.number().int().min(1).max(32),
  p: z.number().int().min(1).max(16),
  /** base64 */
  salt: z.string().min(16),
  /** base64 */
  hash: z.string().min(16),
});
export type SecretHash = z.infer<typeof secretHashSchema>;

function scrypt(password: string | Buffer, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem: N*r*128 bytes plus headroom, or Node refuses costs above 32 MiB.
    const maxmem = 128 * (opts.N ?? 16384) * (opts.r ?? 8) * 2 + 1024 * 1024;
    scryptCb(password, salt, KEY_LENGTH, { ...opts, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashSecret(secret: string, cost: { N: number; r: number; p: number } = DEFAULT_SCRYPT): Promise<SecretHash> {
  const salt = randomBytes(16);
  const key = await scrypt(secret, salt, cost);
  return { alg: 'scrypt', ...cost, salt: salt.toString('base64'), hash: key.toString('base64') };
}

/** Constant-time check of a presented secret against its stored hash. */
export async function verifySecret(presented: string | Buffer, stored: SecretHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64');
  const key = await scrypt(presented, Buffer.from(stored.salt, 'base64'), { N: stored.N, r: stored.r, p: stored.p });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A fresh random secret: 32 bytes, base64url. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** The secret of one device, derived from the fleet key. `generation` > 0 after a rotation. */
export function deriveDeviceSecret(fleetKey: string, parkId: string, deviceId: string, generation = 0): string {
  return createHmac('sha256', fleetKey).update(`device:${parkId}:${deviceId}:${generation}`).digest('base64url');
}
