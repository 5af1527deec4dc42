// `npm run bench [-- --suite a,b] [--soak]`: runs the suites one after another, prints a table
// and writes bench/results/bench-<time>.json (plus artifacts in bench/results/<time>/).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchResult } from './harness.ts';
import { SUITES } from './suites/index.ts';

const { values } = parseArgs({ options: { suite: { type: 'string' }, soak: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  process.stdout.write(`Usage: npm run bench [-- --suite name[,name]] [--soak]\n\nSuites:\n${SUITES.map((s) => `  ${s.name.padEnd(16)} ~${s.estimatedSeconds}s  ${s.description}`).join('\n')}\n`);
  process.exit(0);
}
const wanted = values.suite?.split(',').map((s) => s.trim());
const suites = wanted ? SUITES.filter((s) => wanted.includes(s.name)) : SUITES;
if (wanted && suites.length !== wanted.length) {
  process.stderr.write(`unknown suite in ${values.suite}; known: ${SUITES.map((s) => s.name).join(', ')}\n`);
  process.exit(2);
}
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const outDir = join('bench', 'results', stamp);
mkdirSync(outDir, { recursive: true });
const machine = { os: type(), cpus: cpus().length, cpuModel: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
process.stdout.write(`ParkPulse benchmark on ${machine.cpus} x ${machine.cpuModel}, ${machine.memGiB} GiB, Node ${machine.node}\n`);

const results: Record<string, BenchResult | { error: string }> = {};
const runStarted = Date.now();
const seconds: Record<string, number> = {};
for (const suite of suites) {
  const started = Date.now();
  process.stdout.write(`\n== ${suite.name} (~${suite.estimatedSeconds}s${values.soak ? ', soak' : ''}): ${suite.description}\n`);
  const workDir = mkdtempSync(join(tmpdir(), `parkpulse-bench-${suite.name}-`));
  try {
    results[suite.name] = await suite.run({ soak: values.soak ?? false, outDir, workDir, progress: (m) => process.stdout.write(`   [${suite.name} ${Math.round((Date.now() - started) / 1000)}s] ${m}\n`) });
  } catch (err) {
    results[suite.name] = { error: (err as Error).stack ?? String(err) };
    process.stdout.write(`   FAILED: ${(err as Error).message}\n`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  seconds[suite.name] = Math.round((Date.now() - started) / 1000);
}
const totalSeconds = Math.round((Date.now() - runStarted) / 1000);

process.stdout.write('\n');
const rows = Object.entries(results).flatMap(([name, r]) => ('rows' in r ? r.rows.map((row) => ({ suite: name, ...row })) : [{ suite: name, metric: 'error', value: r.error.split('\n')[0]!, unit: '' }]));
const w = { suite: Math.max(5, ...rows.map((r) => r.suite.length)), metric: Math.max(6, ...rows.map((r) => r.metric.length)) };
process.stdout.write(`${'suite'.padEnd(w.suite)}  ${'metric'.padEnd(w.metric)}  ${'value'.padStart(12)}  unit       note\n`);
for (const r of rows) {
  const v = typeof r.value === 'number' ? (Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(2)) : r.value;
  process.stdout.write(`${r.suite.padEnd(w.suite)}  ${r.metric.padEnd(w.metric)}  ${v.padStart(12)}  ${r.unit.padEnd(9)}  ${'note' in r && r.note ? r.note : ''}\n`);
}
const file = join('bench', 'results', `bench-${stamp}.json`);
writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), machine, soak: values.soak, seconds: { ...seconds, total: totalSeconds }, results }, null, 2));
process.stdout.write(`\n${Object.entries(seconds).map(([n, sec]) => `${n} ${sec} s`).join(', ')}; total ${Math.floor(totalSeconds / 60)} min ${totalSeconds % 60} s\nwrote ${file}\n`);
if (Object.values(results).some((r) => 'error' in r)) process.exitCode = 1;
