// Builds what `npm start` and `npm test` run when it is missing or older than its sources, so both
// work on a fresh clone without a separate build step: the screen app (vite, screen/web/dist) and
// the services compiled to JavaScript (tsc -p tsconfig.build.json, dist/: no TypeScript loader in
// the running processes). `--force` rebuilds both.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const force = process.argv.includes('--force');

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(path)) if (name !== 'dist' && name !== 'node_modules') max = Math.max(max, newest(join(path, name)));
  return max;
}
const stale = (built, sources) => force || !existsSync(built) || statSync(built).mtimeMs < Math.max(...sources.map((s) => newest(join(root, s))));

const web = join(root, 'screen/web');
if (stale(join(web, 'dist/index.html'), ['screen/web', 'shared'])) {
  process.stdout.write('building the screen app (vite)…\n');
  execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(web, 'vite.config.ts'), '--logLevel', 'warn'], { stdio: 'inherit', cwd: root });
}

// The stamp is written after a complete build, so an interrupted one is redone.
const stamp = join(root, 'dist/.built');
if (stale(stamp, ['bin', 'broker', 'ingest', 'screen/server', 'shared', 'simulators', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'])) {
  process.stdout.write('compiling the services (tsc -p tsconfig.build.json)…\n');
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}
