// Builds the screen app when it is missing or older than its sources, so `npm start` and
// `npm test` work on a fresh clone without a separate build step.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const web = join(root, 'screen/web');
const built = join(web, 'dist/index.html');

function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(path)) if (name !== 'dist' && name !== 'node_modules') max = Math.max(max, newest(join(path, name)));
  return max;
}

const sources = Math.max(newest(web), newest(join(root, 'shared')));
if (!existsSync(built) || statSync(built).mtimeMs < sources) {
  process.stdout.write('building the screen app (vite)…\n');
  execFileSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(web, 'vite.config.ts'), '--logLevel', 'warn'], { stdio: 'inherit', cwd: root });
}
