// Starts a worker thread from a module given as its TypeScript source. Under tsx (tests,
// development) workers do not inherit the loader the main thread runs under, so a `.ts` entry is
// loaded through a small JavaScript shim that uses tsx's API; compiled (dist/), the entry is the
// `.js` file next to the caller.
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { COMPILED } from './project-root.ts';

const SHIM = new URL('./ts-worker-shim.mjs', import.meta.url);

export function startWorker(entry: URL, options: WorkerOptions & { workerData?: object } = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  if (COMPILED) return new Worker(new URL(entry.href.replace(/\.ts$/, '.js')), options);
  return new Worker(SHIM, { ...options, workerData: { ...options.workerData, tsEntry: entry.href } });
}
