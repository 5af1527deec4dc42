// No secret in plain text: the tracked files hold no private keys, tokens or random-looking
// credentials, the folders where real secrets live are ignored by git, and the account registry
// holds scrypt hashes only. The detector is tested on real samples first, so a scan that finds
// nothing means something.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deriveDeviceSecret, generateSecret } from '../shared/credentials.ts';
import { loadParkModel } from '../shared/park-model.ts';
import { provision, registrySchema, SERVICE_ROLES } from '../shared/registry.ts';
import { TEST_SCRYPT } from '../testkit/park.ts';

function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}
const randomLooking = (s: string): boolean => entropy(s) >= 3.5 && /\d/.test(s) && /[a-z]/i.test(s);

const RULES: { name: string; find(text: string): string[] }[] = [
  { name: 'private key', find: (t) => t.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----/g) ?? [] },
  { name: 'cloud or forge token', find: (t) => t.match(/\b(AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|xox[abprs]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{20})\b/g) ?? [] },
  { name: 'npm auth token', find: (t) => t.match(/_authToken\s*=\s*\S+/g) ?? [] },
  // Random-looking runs of base64/base64url/hex, 32+ characters: the shape of our secrets and tokens.
  { name: 'random-looking string', find: (t) => (t.match(/[A-Za-z0-9_+=-]{32,}/g) ?? []).filter((s) => randomLooking(s) && entropy(s) >= 4) },
  // A secret-ish name given a random-looking literal (words like 'not-the-secret' are fixtures, not secrets).
  {
    name: 'credential assignment',
    find: (t) => [...t.matchAll(/(password|passwd|secret|token|api[_-]?key|fleet[_-]?key)["']?\s*[:=]\s*['"`]([^'"`\s]{16,})['"`]/gi)].filter((m) => randomLooking(m[2]!)).map((m) => m[0]),
  },
  // A committed registry or hash dump.
  { name: 'scrypt hash', find: (t) => t.match(/"salt"\s*:\s*"[A-Za-z0-9+/=]{16,}"/g) ?? [] },
];

function scan(text: string): string[] {
  return RULES.flatMap((r) => r.find(text).map((hit) => `${r.name}: ${hit.slice(0, 60)}`));
}

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' }).split('\0').filter(Boolean);
}

describe('secrets in plain text', () => {
  it('the detector finds real secrets (so a clean scan means something)', () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const secret = generateSecret();
    const samples = [pem, `const fleet = '${secret}';`, `password: "${deriveDeviceSecret(secret, 'dantu', 'cam-001')}"`, `AKIA${'IOSFODNN7EXAMPLE'}`, `{"alg":"scrypt","salt":"${'c2FsdHNhbHRz'}YWx0c2FsdA=="}`];
    for (const s of samples) expect(scan(s), s.slice(0, 40)).not.toEqual([]);
    // and leaves fixtures and ordinary code alone
    for (const s of ["password: 'not-the-secret'", 'const topic = `park/${parkId}/camera/${id}/telemetry`;', "token: z.string().min(16)"]) expect(scan(s), s).toEqual([]);
  });

  it('no tracked file holds a secret', () => {
    const files = trackedFiles();
    expect(files.length).toBeGreaterThan(50);
    const hits: string[] = [];
    for (const file of files) {
      // Integrity hashes of public packages are not secrets.
      if (file === 'package-lock.json') continue;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue; // deleted in the working tree
      }
      for (const hit of scan(text)) hits.push(`${file}: ${hit}`);
    }
    expect(hits).toEqual([]);
    // Nor is any file of a kind that only ever holds secrets tracked.
    expect(files.filter((f) => /(^|\/)(\.env(\..*)?|.*\.(pem|key|p12|pfx|secret|token)|registry\.json|\.npmrc)$/.test(f))).toEqual([]);
  });

  it('the folders where real secrets live are ignored by git', () => {
    // check-ignore prints the paths it ignores; it exits 1 when none is.
    const ignored = execFileSync('git', ['check-ignore', 'var/registry.json', 'var/secrets/fleet.key', 'var/secrets/viewer.token', 'var/parkpulse.db'], { encoding: 'utf8' });
    expect(ignored.trim().split('\n')).toHaveLength(4);
  });

  describe('the registry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parkpulse-secrets-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('holds only scrypt hashes, and the secrets it does not hold stay in owner-only files', async () => {
      const model = loadParkModel();
      const registryPath = join(dir, 'registry.json');
      const secretsDir = join(dir, 'secrets');
      const p = await provision({ model, registryPath, secretsDir, scrypt: TEST_SCRYPT });
      const text = readFileSync(registryPath, 'utf8');
      const registry = registrySchema.parse(JSON.parse(text));
      expect(registry.accounts).toHaveLength(model.devices.length + SERVICE_ROLES.length);
      for (const a of registry.accounts) expect(Object.keys(a.secret).sort()).toEqual(['N', 'alg', 'hash', 'p', 'r', 'salt']);
      const plain = [p.fleetKey, p.viewerToken, ...Object.values(p.serviceSecrets), ...model.devices.map((d) => deriveDeviceSecret(p.fleetKey, model.id, d.id))];
      for (const s of plain) expect(text.includes(s)).toBe(false);
      expect(statSync(registryPath).mode & 0o777).toBe(0o600);
      expect(statSync(secretsDir).mode & 0o777).toBe(0o700);
      for (const f of readdirSync(secretsDir)) expect(statSync(join(secretsDir, f)).mode & 0o777, f).toBe(0o600);
    });
  });
});
