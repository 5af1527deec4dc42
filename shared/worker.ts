// Starts a worker thread from a TypeScript module. Workers do not inherit the tsx loader the main
// thread runs under, so a `.ts` entry is loaded through a small JavaScript shim that uses tsx's API.
import { Worker, type WorkerOptions } from 'node:worker_threads';

const SHIM = new URL('./ts-worker-shim.mjs', import.meta.url);

export function startWorker(entry: URL, options: WorkerOptions & { workerData?: object } = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  return new Worker(SHIM, { ...options, workerData: { ...options.workerData, tsEntry: entry.href } });
}
