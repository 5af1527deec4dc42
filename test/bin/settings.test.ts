// The settings table is the one place a setting is declared: docs/settings.md is generated from it,
// and the README's option tables and variable names must agree with it (a renamed variable or a
// changed default fails here until the README says the same).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../bin/config/commands.ts';
import { flatten, shownDefault, type Setting } from '../../bin/config/setting.ts';
import { settingsMarkdown } from '../../bin/config/settings-doc.ts';
import { SETTINGS } from '../../bin/config/settings.ts';
import { TOOLS } from '../../bin/tools.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const rows = flatten(SETTINGS);
const byEnv = new Map(rows.map((r) => [r.setting.env, r.setting]));

/** Upper-case names the README uses that are not settings (test variables, a constant), each with the file that has it. */
const NOT_SETTINGS: Record<string, string> = {
  OPERATOR_PASSWORD: 'bin/parkpulse.ts',
  PARKPULSE_REQUIRE_EXTERNAL: 'testkit/external.ts',
  LIVENESS_RUNS: 'test/screen/wall-liveness.browser.test.ts',
  LOAD_SCRYPT: 'shared/credentials.ts',
  FUZZ_SEED: 'test/broker/fuzz.test.ts',
  MALLOC_MMAP_THRESHOLD_: 'bin/runtime-env.ts',
};

/** A README default ("8192", "1 MiB", "60 s", "200/s", "10 000", "`parkpulse`") in the setting's own terms. */
function readmeValue(text: string, setting: Setting): string | number {
  const t = text.replace(/`/g, '').trim();
  const m = /^(\d[\d\s,]*(?:\.\d+)?)\s*(MiB|KiB|ms|s|min|\/s)?$/.exec(t);
  if (!m) return t;
  const n = Number(m[1]!.replace(/[\s,]/g, ''));
  const unit = m[2];
  if (unit === 'MiB') return n * 1024 * 1024;
  if (unit === 'KiB') return n * 1024;
  if (unit === 's' && setting.env.endsWith('_MS')) return n * 1000;
  if (unit === 'min' && setting.env.endsWith('_MS')) return n * 60_000;
  return n;
}

const expected = (s: Setting): string | number => (typeof s.default === 'number' ? s.default : shownDefault(s));

/** The README's option tables: every table with a header cell starting with "option". */
function optionTableRows(): string[][] {
  const out: string[][] = [];
  let inOptionTable = false;
  for (const line of readme.split('\n')) {
    if (!line.startsWith('|')) {
      inOptionTable = false;
      continue;
    }
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    if (cells.every((c) => /^-+$/.test(c))) continue;
    if (!inOptionTable && cells.some((c) => /^option\b/.test(c))) {
      inOptionTable = true;
      continue;
    }
    if (inOptionTable) out.push(cells);
  }
  return out;
}

describe('the settings table', () => {
  it('writes docs/settings.md (`npm run docs`)', () => {
    expect(readFileSync(new URL('../../docs/settings.md', import.meta.url), 'utf8')).toBe(settingsMarkdown());
  });

  it('has one row per flag and per variable', () => {
    const flags = rows.map((r) => r.setting.flag);
    const envs = rows.map((r) => r.setting.env);
    expect(new Set(flags).size).toBe(flags.length);
    expect(new Set(envs).size).toBe(envs.length);
  });

  it('names one list of tool commands: the commands marked as tools are the ones bin/tools.ts runs', () => {
    const tools = Object.entries(COMMANDS).filter(([, spec]) => 'tool' in spec).map(([name]) => name);
    expect(Object.keys(TOOLS).sort()).toEqual(tools.sort());
  });

  it('knows every variable the README names', () => {
    const named = new Set([...readme.matchAll(/`([A-Z][A-Z0-9]*_[A-Z0-9_]+)`|\b([A-Z][A-Z0-9]*_[A-Z0-9_]+)=/g)].map((m) => m[1] ?? m[2]!));
    const unknown = [...named].filter((env) => !byEnv.has(env) && !(env in NOT_SETTINGS));
    expect(unknown, 'README names variables the settings table does not have').toEqual([]);
    for (const [env, file] of Object.entries(NOT_SETTINGS)) {
      expect(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'), `${env} in ${file}`).toContain(env);
    }
  });

  it('agrees with the README option tables on every default they state', () => {
    const tables = optionTableRows();
    expect(tables.length).toBeGreaterThan(10);
    const checked: string[] = [];
    const wrong: string[] = [];
    for (const cells of tables) {
      const line = cells.join(' | ');
      // `NAME` (default) anywhere in the row
      for (const m of line.matchAll(/`([A-Z][A-Z0-9_]+)` \(([^)]+)\)/g)) {
        const setting = byEnv.get(m[1]!);
        expect(setting, `${m[1]} in the README's option tables`).toBeDefined();
        const got = readmeValue(m[2]!, setting!);
        if (got !== expected(setting!)) wrong.push(`${m[1]}: README ${m[2]}, table ${shownDefault(setting!)}`);
        checked.push(m[1]!);
      }
      // | `NAME`, `OTHER` | ... default X ... : X is the default of each name in the first cell
      const names = [...cells[0]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!);
      for (const name of names) expect(byEnv.has(name), `${name} in the README's option tables`).toBe(true);
      const stated = /\bdefault (`[^`]+`|[\d][\d ,.]*\d|\d)/.exec(cells.slice(1).join(' '));
      if (stated) {
        for (const name of names) {
          const setting = byEnv.get(name)!;
          const got = readmeValue(stated[1]!, setting);
          if (got !== expected(setting)) wrong.push(`${name}: README ${stated[1]}, table ${shownDefault(setting)}`);
          checked.push(name);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(checked.length).toBeGreaterThan(15);
  });
});
