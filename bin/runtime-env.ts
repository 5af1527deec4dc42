// The process environment ParkPulse's launchers set before node starts: `npm start` (package.json),
// the image (Dockerfile ENV) and the test and benchmark harness (testkit/cli.ts). glibc reads these
// once, when the process starts, so no code inside the process can set them.
//
// MALLOC_MMAP_THRESHOLD_: scrypt (every device or service secret the broker checks, every hash
// `provision` writes) allocates 16 MiB per run (N=2^14, r=8) on a libuv thread-pool thread. glibc's
// default threshold grows to the size of the first such block freed, after which each thread's
// arena keeps its block for good: ~16 MiB of RSS per pool thread, ~64 MiB with the default four
// (measured in docs/facts.md, "scrypt and glibc arenas"). A fixed threshold of 128 KiB (glibc's own
// starting value) keeps every large block mmapped, so it goes back to the kernel when freed.

/** Variables and the values the launchers give them. */
export const RUNTIME_ENV: Readonly<Record<string, string>> = Object.freeze({ MALLOC_MMAP_THRESHOLD_: '131072' });

/** The launcher variables `env` lacks or sets to another value (a hand-started process). */
export function missingRuntimeEnv(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(RUNTIME_ENV).filter(([k, v]) => env[k] !== v).map(([k]) => k);
}
