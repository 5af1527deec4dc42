// The account registry: every device and service account with the scrypt hash of its secret.
// Written by `parkpulse provision`, read by the broker. It never holds a secret in plain text.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_SCRYPT, LOAD_SCRYPT, deriveDeviceSecret, generateSecret, hashSecret, secretHashSchema } from './credentials.ts';
import { isLoadDeviceId } from './load-model.ts';
import type { ParkModel } from './park-model.ts';
import { DEVICE_KINDS, ID_PATTERN } from './topics.ts';
import { readJsonFile, writeJsonFileAtomic } from './json-file.ts';

/** Service roles; each gets exactly the topics it needs (see broker/acl.ts). */
export const SERVICE_ROLES = ['ingest', 'screen', 'recorder', 'aggregator'] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

export const serviceAccountId = (role: ServiceRole): string => `svc-${role}`;

/**
 * The user name a service connects with: `svc-<role>@<park>`. User names of a NATS cluster are
 * cluster-wide and every park has its own `svc-ingest`, so services name their park; the Aedes
 * broker accepts the plain id and this form alike (broker/authenticator.ts).
 */
export const serviceUsername = (role: ServiceRole, parkId: string): string => `${serviceAccountId(role)}@${parkId}`;

const base = {
  id: z.string().regex(ID_PATTERN),
  secret: secretHashSchema,
  /** `revoked` accounts are refused at connect. */
  status: z.enum(['active', 'revoked']),
  /** Bumped by every rotation; device secrets are derived with it. */
  generation: z.number().int().min(0),
  updatedAt: z.string(),
};

export const deviceAccountSchema = z.strictObject({ ...base, type: z.literal('device'), kind: z.enum(DEVICE_KINDS) });
export const serviceAccountSchema = z.strictObject({ ...base, type: z.literal('service'), role: z.enum(SERVICE_ROLES) });
export const accountSchema = z.discriminatedUnion('type', [deviceAccountSchema, serviceAccountSchema]);
export const registrySchema = z.strictObject({
  version: z.literal(1),
  parkId: z.string().regex(ID_PATTERN),
  accounts: z.array(accountSchema),
});

export type DeviceAccount = z.infer<typeof deviceAccountSchema>;
export type ServiceAccount = z.infer<typeof serviceAccountSchema>;
export type Account = z.infer<typeof accountSchema>;
export type RegistryData = z.infer<typeof registrySchema>;

export function readRegistry(path: string): RegistryData {
  return readJsonFile(path, registrySchema, 'registry', (detail) => new Error(`${detail} (run: npm start -- provision)`));
}

/** Atomic write (temp file + rename), owner-only permissions. */
export function writeRegistry(path: string, data: RegistryData): void {
  writeJsonFileAtomic(path, data, { mode: 0o600 });
}

function readOrCreateSecretFile(path: string): string {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const secret = generateSecret();
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}

export interface ProvisionOptions {
  model: ParkModel;
  registryPath: string;
  secretsDir: string;
  /** scrypt cost for new hashes; tests lower it, production keeps the default. */
  scrypt?: { N: number; r: number; p: number };
  /** scrypt cost for synthetic load devices (`ld-00001`, ...); default LOAD_SCRYPT (cheap). */
  loadScrypt?: { N: number; r: number; p: number };
}

export interface Provisioned {
  registry: RegistryData;
  /** Fleet provisioning key: device secrets derive from it (simulators hold it, the broker does not). */
  fleetKey: string;
  /** Plain service secrets, read from the secrets folder, for the processes that run as services. */
  serviceSecrets: Readonly<Record<ServiceRole, string>>;
  /** Token a wall screen presents to open the live WebSocket (`<secrets>/viewer.token`). */
  viewerToken: string;
  /** Accounts added by this call. */
  added: string[];
}

/** Where provision keeps the viewer token (SCREEN_VIEWER_TOKEN_FILE may name another file). */
export const VIEWER_TOKEN_FILE = 'viewer.token';

/**
 * Makes sure every device of the model and every service role has an account, and that the
 * secrets folder holds the fleet key and service secrets. Idempotent: existing accounts keep their
 * hashes (and revocations).
 */
export async function provision(opts: ProvisionOptions): Promise<Provisioned> {
  const { model, registryPath, secretsDir } = opts;
  const cost = opts.scrypt ?? DEFAULT_SCRYPT;
  mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  chmodSync(secretsDir, 0o700);
  const fleetKey = readOrCreateSecretFile(join(secretsDir, 'fleet.key'));
  const serviceSecrets = Object.fromEntries(
    SERVICE_ROLES.map((role) => [role, readOrCreateSecretFile(join(secretsDir, `${serviceAccountId(role)}.secret`))]),
  ) as Record<ServiceRole, string>;
  const viewerToken = readOrCreateSecretFile(join(secretsDir, VIEWER_TOKEN_FILE));

  const registry: RegistryData = existsSync(registryPath)
    ? readRegistry(registryPath)
    : { version: 1, parkId: model.id, accounts: [] };
  if (registry.parkId !== model.id) throw new Error(`registry ${registryPath} is for park ${registry.parkId}, not ${model.id}`);
  const have = new Set(registry.accounts.map((a) => a.id));
  const added: string[] = [];
  const now = new Date().toISOString();
  const jobs: Promise<void>[] = [];
  for (const device of model.devices) {
    if (have.has(device.id)) continue;
    added.push(device.id);
    jobs.push(
      hashSecret(deriveDeviceSecret(fleetKey, model.id, device.id, 0), isLoadDeviceId(device.id) ? (opts.loadScrypt ?? LOAD_SCRYPT) : cost).then((secret) => {
        registry.accounts.push({ id: device.id, type: 'device', kind: device.kind, secret, status: 'active', generation: 0, updatedAt: now });
      }),
    );
  }
  for (const role of SERVICE_ROLES) {
    const id = serviceAccountId(role);
    if (have.has(id)) continue;
    added.push(id);
    jobs.push(
      hashSecret(serviceSecrets[role], cost).then((secret) => {
        registry.accounts.push({ id, type: 'service', role, secret, status: 'active', generation: 0, updatedAt: now });
      }),
    );
  }
  await Promise.all(jobs);
  if (added.length > 0 || !existsSync(registryPath)) {
    registry.accounts.sort((a, b) => a.id.localeCompare(b.id));
    writeRegistry(registryPath, registry);
  }
  return { registry, fleetKey, serviceSecrets: Object.freeze(serviceSecrets), viewerToken, added };
}

/** Reads the fleet key for simulators. */
export function readFleetKey(secretsDir: string): string {
  const path = join(secretsDir, 'fleet.key');
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    throw new Error(`no fleet key at ${path} (run: npm start -- provision)`);
  }
}

/** Reads one service's secret. */
export function readServiceSecret(secretsDir: string, role: ServiceRole): string {
  const path = join(secretsDir, `${serviceAccountId(role)}.secret`);
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    throw new Error(`no secret for ${serviceAccountId(role)} at ${path} (run: npm start -- provision)`);
  }
}

/** Reads the viewer token the screen requires for /ws. */
export function readViewerToken(path: string): string {
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch {
    throw new Error(`no viewer token at ${path} (run: npm start -- provision)`);
  }
  if (token.length < 16) throw new Error(`viewer token in ${path} is shorter than 16 characters`);
  return token;
}
