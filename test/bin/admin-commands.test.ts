// The CLI's admin commands as an administrator runs them: adding console operators (password from
// stdin or OPERATOR_PASSWORD, stored only as a scrypt hash) and checking the audit trail's chain.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openAlertDb } from '../../ingest/alerts/alert-db.ts';
import { createOperatorDirectory } from '../../shared/operators.ts';
import { runCli } from '../../testkit/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'parkpulse-admin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], input = '', env: Record<string, string> = {}) => runCli([...args, '--data-dir', dir], { input, env: { OPERATOR_PASSWORD: '', ...env } });

describe('parkpulse operator and audit commands', () => {
  it('lists them in --help', async () => {
    const { stdout } = await runCli(['--help']);
    for (const word of ['operator', 'audit verify', '--operators', 'OPERATORS_FILE', '--alert-rules', '--alerts-db', 'SCREEN_ALLOWED_ORIGINS']) expect(stdout).toContain(word);
  });

  it('adds an operator with a password from stdin, stored only as a scrypt hash', async () => {
    const added = await run(['operator', 'add', '张三'], 'a very secret pass\n');
    expect(added).toMatchObject({ code: 0 });
    expect(added.stdout).toContain('operator 张三 added');
    const path = join(dir, 'operators.json');
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('a very secret pass');
    expect(JSON.parse(text).operators[0]).toMatchObject({ name: '张三', password: { alg: 'scrypt', N: 16384 } });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const directory = createOperatorDirectory(path);
    expect(await directory.verify('张三', 'a very secret pass')).toBe('张三');
    expect(await directory.verify('张三', 'a very secret pas')).toBeNull();
  });

  it('refuses a duplicate, a short password and a bad name with a clear message', async () => {
    const dup = await run(['operator', 'add', '张三'], 'another long password\n');
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain('operator 张三 exists');
    const short = await run(['operator', 'add', 'wang'], 'short\n');
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('at least 10 characters');
    const bad = await run(['operator', 'add', 'a b'], 'long enough password\n');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/operator name/);
    expect((await run(['operator', 'frobnicate', 'x'])).code).toBe(2);
  });

  it('changes a password from OPERATOR_PASSWORD, lists and removes operators', async () => {
    expect((await run(['operator', 'passwd', '张三'], '', { OPERATOR_PASSWORD: 'changed password 2' })).code).toBe(0);
    expect(await createOperatorDirectory(join(dir, 'operators.json')).verify('张三', 'changed password 2')).toBe('张三');
    expect((await run(['operator', 'add', 'li.wei'], '', { OPERATOR_PASSWORD: 'li wei password' })).code).toBe(0);
    const list = await run(['operator', 'list']);
    expect(list.stdout).toMatch(/张三\t/);
    expect(list.stdout).toMatch(/li\.wei\t/);
    expect((await run(['operator', 'remove', 'li.wei'])).code).toBe(0);
    expect((await run(['operator', 'list'])).stdout).not.toContain('li.wei');
  });

  it('verifies the audit trail, and reports where it was tampered with', async () => {
    const db = openAlertDb(join(dir, 'alerts.db'));
    db.commit([], [1, 2, 3].map((i) => ({ at: 1_700_000_000_000 + i, actor: 'system', action: 'raise' as const, alertId: `a-${i}`, fromState: null, toState: 'active' as const, ok: true, code: null, note: null, detail: {}, requestId: null })));
    db.close();
    const good = await run(['audit', 'verify']);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/3 record\(s\), chain intact; head #3 [0-9a-f]{64}/);
    const raw = new Database(join(dir, 'alerts.db'));
    raw.exec("DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'intruder' WHERE seq = 2");
    raw.close();
    const broken = await run(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('BROKEN at record #2 (hash-mismatch)');
  });
});
