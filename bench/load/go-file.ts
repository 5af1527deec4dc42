// The start barrier of a flat-out broker run (bench/suites/broker.ts): the suite creates the file
// once every publisher has connected all its devices; publishers and the subscriber wait for it.
import { existsSync } from 'node:fs';

/** Resolves once `path` exists (polled every 10 ms). */
export async function waitForFile(path: string): Promise<void> {
  while (!existsSync(path)) await new Promise((r) => setTimeout(r, 10));
}
