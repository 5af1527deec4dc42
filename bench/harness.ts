// The benchmark harness: suites are small modules (bench/suites/*.ts) that measure one thing and
// return numbers; `npm run bench` runs them in sequence (never two at once: they would measure each
// other), prints a table, and writes a JSON result under bench/results/.

export interface BenchContext {
  /** Long (soak) variant requested with --soak. */
  soak: boolean;
  /** Writes a progress line (a long-running job always says what it is doing). */
  progress(message: string): void;
  /** Folder for artifacts (charts, profiles) of this run. */
  outDir: string;
  /** A fresh temporary folder for this suite's files (registry, stores, configs); the runner removes it after the suite, whatever happened. */
  workDir: string;
}

export interface BenchRow {
  /** What was measured, e.g. "broker QoS 1 msg/s". */
  metric: string;
  value: number | string;
  unit: string;
  /** Target or comparison, e.g. "mosquitto 15k" or ">= 30000". */
  note?: string;
}

export interface BenchResult {
  rows: BenchRow[];
  /** Anything else worth keeping in the JSON (time series, environment, raw samples). */
  details?: Record<string, unknown>;
}

export interface BenchSuite {
  name: string;
  description: string;
  /** Rough duration of the default run, seconds (printed before it starts). */
  estimatedSeconds: number;
  run(ctx: BenchContext): Promise<BenchResult>;
}
