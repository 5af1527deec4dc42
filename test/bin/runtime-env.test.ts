// The launcher environment (bin/runtime-env.ts) is set by every way a user starts ParkPulse: the
// `npm start` script, the image, and the harness that runs the compiled CLI for tests and benchmarks.
// A launcher that dropped it would bring back ~16 MiB of RSS per thread-pool thread that checked a
// secret (the broker suite of `npm run bench` measures both).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { missingRuntimeEnv, RUNTIME_ENV } from '../../bin/runtime-env.ts';
import { startCompiled } from '../../testkit/cli.ts';

const root = new URL('../../', import.meta.url);
const entries = Object.entries(RUNTIME_ENV);

describe('launcher environment', () => {
  it('is set by the npm start script', () => {
    const start = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> }).scripts.start!;
    for (const [k, v] of entries) expect(start).toContain(`${k}=${v} `);
  });

  it('is set by the image for every process it runs', () => {
    const envLines = readFileSync(new URL('Dockerfile', root), 'utf8').split('\n').filter((l) => l.startsWith('ENV '));
    for (const [k, v] of entries) expect(envLines.some((l) => l.split(/\s+/).includes(`${k}=${v}`)), k).toBe(true);
  });

  it('names what a hand-started process lacks, and nothing when the launcher set it', () => {
    expect(missingRuntimeEnv({})).toEqual(Object.keys(RUNTIME_ENV));
    expect(missingRuntimeEnv({ ...RUNTIME_ENV })).toEqual([]);
    expect(missingRuntimeEnv({ ...RUNTIME_ENV, MALLOC_MMAP_THRESHOLD_: '0' })).toEqual(['MALLOC_MMAP_THRESHOLD_']);
  });

  it('reaches the compiled CLI the harness starts, unless the caller gives the whole environment', async () => {
    const probe = (env?: NodeJS.ProcessEnv) => {
      // `--help` starts no service; a preload prints what the process was given.
      const code = 'process.stderr.write(`ENV ${JSON.stringify(process.env.MALLOC_MMAP_THRESHOLD_ ?? null)}\\n`)';
      const p = startCompiled(['--help'], { nodeArgs: ['--import', `data:text/javascript,${encodeURIComponent(code)}`], ...(env ? { env } : {}) });
      return p.exited.then(() => p.output());
    };
    expect(await probe()).toContain(`ENV "${RUNTIME_ENV.MALLOC_MMAP_THRESHOLD_}"`);
    expect(await probe({ PATH: process.env.PATH })).toContain('ENV null');
  });
});
