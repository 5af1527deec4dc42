// The project's folder (the one holding package.json), from the sources or from their compiled copy.
// The services run from the TypeScript sources under tsx (tests, development) or compiled into
// dist/, which mirrors the source tree (npm start, the image: no loader thread, ~40 MB less RSS per
// process, docs/facts.md). Files that are not compiled (the park's JSON, the screen's build) are
// found from here in both.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const sharedDir = fileURLToPath(new URL('.', import.meta.url));
const parent = join(sharedDir, '..');

/** True when this code runs from dist/ (compiled JavaScript), false under tsx from the sources. */
export const COMPILED = !import.meta.url.endsWith('.ts');

/** Absolute path of the project folder. */
export const PROJECT_ROOT = COMPILED ? join(parent, '..') : parent;

/** A path inside the project folder, e.g. `projectPath('shared/park/dantu.json')`. */
export function projectPath(relative: string): string {
  return join(PROJECT_ROOT, relative);
}
