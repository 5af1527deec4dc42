// `parkpulse device add|rotate|revoke|list`: account administration from the command line. Output
// is for a person at a terminal (process.stdout); the registry change itself is in
// shared/device-accounts.ts, and a running broker picks it up from the file.
import type { AppConfig } from './config/load-config.ts';
import { DeviceAdminError } from '../shared/errors.ts';
import { addDevice, listAccounts, revokeDevice, rotateDevice, type DeviceChange } from '../shared/device-accounts.ts';
import type { DeviceKind } from '../shared/topics.ts';

function describeChange(what: string, c: DeviceChange): string {
  const a = c.account;
  const lines = [`device ${a.id} (${a.kind}) ${what}: status ${a.status}, generation ${a.generation}.`];
  if (c.secret) {
    lines.push(`secret (shown once, stored nowhere; install it on the device): ${c.secret}`);
    lines.push('simulated devices derive it themselves: restart `sim` to pick up the new generation.');
  }
  lines.push('a running broker applies the change within a second; sessions with the old secret are closed.');
  return `${lines.join('\n')}\n`;
}

/** Runs the device command; returns the process exit code. */
export async function runDeviceCommand(config: AppConfig): Promise<number> {
  const opts = { registryPath: config.registryPath, secretsDir: config.secretsDir };
  const { action, id, kind } = config.device;
  try {
    switch (action) {
      case 'add':
        process.stdout.write(describeChange('added', await addDevice(opts, id!, kind as DeviceKind)));
        return 0;
      case 'rotate':
        process.stdout.write(describeChange('rotated', await rotateDevice(opts, id!)));
        return 0;
      case 'revoke':
        process.stdout.write(describeChange('revoked', revokeDevice(opts, id!)));
        return 0;
      case 'list':
      default: {
        const rows = listAccounts(opts).map((a) => [a.id, a.type, a.type === 'device' ? a.kind : a.role, a.status, String(a.generation), a.updatedAt]);
        const head = ['id', 'type', 'kind/role', 'status', 'gen', 'updated'];
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
        const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
        process.stdout.write(`${[line(head), ...rows.map(line)].join('\n')}\n${rows.length} account(s) in ${config.registryPath}\n`);
        return 0;
      }
    }
  } catch (err) {
    if (!(err instanceof DeviceAdminError) && !(err as Error).message.startsWith('cannot read registry')) throw err;
    process.stderr.write(`parkpulse device: ${(err as Error).message}\n`);
    return 1;
  }
}
