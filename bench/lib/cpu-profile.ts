// Reads V8 .cpuprofile files (node --cpu-prof) and says where the time went: self time per function,
// with its file, the largest first. This is the profile the benchmark prints for the hot path.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface HotFunction {
  name: string;
  where: string;
  selfPct: number;
}

export interface ProfileSummary {
  file: string;
  /** Share of samples the process was not idle (GC and program time included). */
  busyPct: number;
  top: HotFunction[];
}

function short(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm + 'node_modules/'.length);
  return path ? relative(process.cwd(), path) : '';
}

export function summarizeProfile(file: string, topN = 12): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const counts = new Map<number, number>();
  for (const id of p.samples ?? []) counts.set(id, (counts.get(id) ?? 0) + 1);
  const total = (p.samples ?? []).length || 1;
  const byFn = new Map<string, HotFunction & { hits: number }>();
  let idle = 0;
  for (const node of p.nodes) {
    const hits = counts.get(node.id) ?? node.hitCount ?? 0;
    if (hits === 0) continue;
    const name = node.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += hits;
      continue;
    }
    const where = `${short(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    const key = `${name}@${where}`;
    const entry = byFn.get(key) ?? { name, where, selfPct: 0, hits: 0 };
    entry.hits += hits;
    byFn.set(key, entry);
  }
  const top = [...byFn.values()]
    .sort((a, b) => b.hits - a.hits)
    .slice(0, topN)
    .map(({ name, where, hits }) => ({ name, where, selfPct: Math.round((hits / total) * 1000) / 10 }));
  return { file, busyPct: Math.round(((total - idle) / total) * 1000) / 10, top };
}

/** Every profile a run wrote into `dir` (main thread and workers), summarized. */
export function summarizeProfiles(dir: string, topN = 12): ProfileSummary[] {
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return [];
  }
  return files.map((f) => summarizeProfile(join(dir, f), topN));
}
