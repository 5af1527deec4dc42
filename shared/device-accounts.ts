// Managing device accounts in the registry file: add, rotate, revoke, list (`parkpulse device ...`).
// The registry keeps scrypt hashes only. A device's secret derives from the fleet key, the device
// id and the account's generation, so a rotation (generation + 1) makes a new secret without
// storing one anywhere: the command prints it once, for whoever installs it on a real device.
// The broker watches the file (broker/registry-watcher.ts): a revoked or rotated device's session
// is closed within a fraction of a second, and the old secret is refused from then on.
import { DEFAULT_SCRYPT, deriveDeviceSecret, hashSecret } from './credentials.ts';
import { DeviceAdminError } from './errors.ts';
import { readFleetKey, readRegistry, writeRegistry, type Account, type DeviceAccount, type RegistryData, type ServiceAccount } from './registry.ts';
import { ID_PATTERN, type DeviceKind } from './topics.ts';

export interface DeviceAdminOptions {
  registryPath: string;
  secretsDir: string;
  /** scrypt cost for new hashes; tests lower it. */
  scrypt?: { N: number; r: number; p: number };
  now?: () => Date;
}

export interface DeviceChange {
  account: DeviceAccount;
  /** The device's new secret (add, rotate): show it once, store it nowhere. */
  secret?: string;
}

function load(opts: DeviceAdminOptions): RegistryData {
  return readRegistry(opts.registryPath);
}

function deviceIn(registry: RegistryData, id: string): { index: number; account: DeviceAccount } {
  const index = registry.accounts.findIndex((a) => a.id === id);
  const account = registry.accounts[index];
  if (!account) throw new DeviceAdminError('device-not-found', `no account ${JSON.stringify(id)} in the registry`);
  if (account.type !== 'device') throw new DeviceAdminError('account-not-device', `${id} is a service account, not a device`);
  return { index, account };
}

async function withSecret(opts: DeviceAdminOptions, parkId: string, base: Omit<DeviceAccount, 'secret'>): Promise<DeviceChange> {
  const secret = deriveDeviceSecret(readFleetKey(opts.secretsDir), parkId, base.id, base.generation);
  const account: DeviceAccount = { ...base, secret: await hashSecret(secret, opts.scrypt ?? DEFAULT_SCRYPT) };
  return { account, secret };
}

function save(opts: DeviceAdminOptions, registry: RegistryData, index: number, account: Account): void {
  if (index < 0) registry.accounts.push(account);
  else registry.accounts[index] = account;
  registry.accounts.sort((a, b) => a.id.localeCompare(b.id));
  writeRegistry(opts.registryPath, registry);
}

/** A new device account, generation 0, active. */
export async function addDevice(opts: DeviceAdminOptions, id: string, kind: DeviceKind): Promise<DeviceChange> {
  if (!ID_PATTERN.test(id)) throw new DeviceAdminError('device-id-invalid', `device id ${JSON.stringify(id)} must match ${ID_PATTERN}`);
  const registry = load(opts);
  if (registry.accounts.some((a) => a.id === id)) throw new DeviceAdminError('device-exists', `${id} exists already (rotate it for a new secret)`);
  const change = await withSecret(opts, registry.parkId, { id, type: 'device', kind, status: 'active', generation: 0, updatedAt: (opts.now?.() ?? new Date()).toISOString() });
  save(opts, registry, -1, change.account);
  return change;
}

/** A new secret (generation + 1); the old one stops working. Reinstates a revoked device. */
export async function rotateDevice(opts: DeviceAdminOptions, id: string): Promise<DeviceChange> {
  const registry = load(opts);
  const { index, account } = deviceIn(registry, id);
  const change = await withSecret(opts, registry.parkId, {
    id,
    type: 'device',
    kind: account.kind,
    status: 'active',
    generation: account.generation + 1,
    updatedAt: (opts.now?.() ?? new Date()).toISOString(),
  });
  save(opts, registry, index, change.account);
  return change;
}

/** Refused from now on; a connected session is closed by the broker as soon as it sees the file. */
export function revokeDevice(opts: DeviceAdminOptions, id: string): DeviceChange {
  const registry = load(opts);
  const { index, account } = deviceIn(registry, id);
  if (account.status === 'revoked') return { account };
  const revoked: DeviceAccount = { ...account, status: 'revoked', updatedAt: (opts.now?.() ?? new Date()).toISOString() };
  save(opts, registry, index, revoked);
  return { account: revoked };
}

export type AccountSummary = Omit<DeviceAccount, 'secret'> | Omit<ServiceAccount, 'secret'>;

/** Every account (devices and services), without their hashes. */
export function listAccounts(opts: DeviceAdminOptions): AccountSummary[] {
  return load(opts).accounts.map(({ secret: _hash, ...rest }) => rest as AccountSummary);
}
