// Every error code of every catalog is documented in docs/errors.md, with its retriable flag as the
// code says, and every catalog keeps the convention (kebab-case, retriable boolean, a description).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGS, errorsMarkdown } from '../../bin/error-catalogs.ts';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

describe('docs/errors.md', () => {
  it('lists every code under its catalog with its retriable flag', () => {
    const missing: string[] = [];
    for (const entry of ERROR_CATALOGS) {
      const start = doc.indexOf(`## ${entry.title}\n`);
      expect(start, entry.title).toBeGreaterThanOrEqual(0);
      const next = doc.indexOf('\n## ', start + 1);
      const section = doc.slice(start, next === -1 ? undefined : next);
      for (const [code, spec] of Object.entries(entry.catalog)) {
        if (!section.includes(`| \`${code}\` | ${spec.retriable ? 'yes' : 'no'} |`)) missing.push(`${entry.file}: ${code}`);
      }
    }
    expect(missing, 'run `npm run docs`').toEqual([]);
  });

  it('is what `npm run docs` writes from the catalogs', () => {
    expect(doc).toBe(errorsMarkdown());
  });

  it('every catalog keeps the convention', () => {
    for (const entry of ERROR_CATALOGS) {
      for (const [code, spec] of Object.entries(entry.catalog)) {
        expect(code).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
        expect(typeof spec.retriable).toBe('boolean');
        expect(spec.description.length).toBeGreaterThan(5);
      }
    }
  });
});
