// The documents stand on their own in a clone: every relative link in README.md and docs/*.md
// points at a file (and heading) of the repository, and no source comment cites a document that
// only exists outside it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tracked = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: root, encoding: 'utf8' }).split('\n').filter((f) => f !== '' && existsSync(join(root, f)));
const documents = tracked.filter((f) => f === 'README.md' || /^docs\/[^/]+\.md$/.test(f));

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of markdown.split('\n')) {
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    const slug = m[1]!.trim().toLowerCase().replace(/`/g, '').replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

/** Relative link targets of a markdown text (inline links; code spans and blocks left out). */
function links(markdown: string): string[] {
  const text = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/i.test(t));
}

describe('documents', () => {
  it('are there: README and the docs index', () => {
    expect(documents).toContain('README.md');
    expect(documents).toContain('docs/README.md');
    expect(documents.length).toBeGreaterThan(5);
  });

  it.each(documents)('%s: every relative link resolves inside the repository', (doc) => {
    const text = readFileSync(join(root, doc), 'utf8');
    const broken: string[] = [];
    for (const target of links(text)) {
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const file = path === '' ? join(root, doc) : resolve(dirname(join(root, doc)), decodeURIComponent(path));
      if (relative(root, file).startsWith('..')) {
        broken.push(`${target}: outside the repository`);
        continue;
      }
      if (!existsSync(file)) {
        broken.push(`${target}: no such file`);
        continue;
      }
      if (anchor && file.endsWith('.md') && statSync(file).isFile() && !anchors(readFileSync(file, 'utf8')).has(anchor)) broken.push(`${target}: no such heading`);
    }
    expect(broken).toEqual([]);
  });

  it('no file cites a document from outside the repository', () => {
    // The team kit's documents (their names, in upper case) and folder; ours are docs/*.md in lower case.
    const outside = new RegExp(['FACTS', 'SCREEN-DESIGN', 'CLUSTER-NOTES', 'ARCHITECTURE'].map((n) => `\\b${n}\\.md\\b`).concat(['influx-test-recipe', '/work/shared', '\\.\\./shared/[A-Z]']).join('|'));
    const self = relative(root, fileURLToPath(import.meta.url));
    const offenders: string[] = [];
    for (const file of tracked) {
      if (file === self || !/\.(ts|mts|mjs|js|css|html|md|yml|yaml|json|sh)$|^\.ci\/|Dockerfile$/.test(file) || file.endsWith('package-lock.json')) continue;
      const lines = readFileSync(join(root, file), 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (outside.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it('every docs/ file cited in a comment exists', () => {
    const missing: string[] = [];
    for (const file of tracked) {
      if (!/\.(ts|mjs|css|html)$/.test(file)) continue;
      for (const m of readFileSync(join(root, file), 'utf8').matchAll(/\bdocs\/([a-z0-9-]+\.md)/g)) {
        if (!existsSync(join(root, 'docs', m[1]!))) missing.push(`${file}: docs/${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
