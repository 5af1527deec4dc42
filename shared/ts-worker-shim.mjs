// Loads a TypeScript worker module through tsx: worker threads do not inherit the loader the
// main thread runs under (and `--import tsx` in a worker's execArgv is ignored on Node 20).
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.tsEntry, import.meta.url);
