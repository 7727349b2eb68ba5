/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and says where the time went: self time by function
 * and by package, the flat view a flame graph's widest plateaus show.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  totalMs: number;
  idlePercent: number;
  byFunction: { name: string; percent: number }[];
  byPackage: { name: string; percent: number }[];
}

/** node_modules/<pkg> (or @scope/pkg), "service" for our code, "node" for Node internals. */
function packageOf(url: string): string {
  if (url.includes('/.cache/cls-bench/dist/')) return 'service code';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:') || url === '') return 'node (runtime, GC, native)';
  if (url.includes('/dist/') || url.includes('/src/')) return 'service code';
  return url;
}

/**
 * `window` keeps only the samples taken while the load ran: it ended `endsBeforeExitMs` before the
 * profile ended (process exit) and lasted `lengthMs`, so start-up (module loading, schema compilation)
 * and shutdown do not blur the steady state.
 */
export function summariseProfile(file: string, window?: { endsBeforeExitMs: number; lengthMs: number }, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const to = window ? profile.endTime - window.endsBeforeExitMs * 1000 : profile.endTime;
  const from = window ? to - window.lengthMs * 1000 : profile.startTime;
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    if (t < from || t > to) continue;
    selfMs.set(samples[i]!, (selfMs.get(samples[i]!) ?? 0) + (deltas[i] ?? 0) / 1000);
  }
  const totalMs = (to - from) / 1000;
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  let idle = 0;
  for (const [id, ms] of selfMs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += ms;
      continue;
    }
    const short = url.replace(/^file:\/\//, '').replace(/^.*node_modules\//, '').replace(/^.*\/(dist|src)\//, '$1/');
    const name = `${functionName || '(anonymous)'} ${short ? `${short}:${lineNumber + 1}` : ''}`.trim();
    fn.set(name, (fn.get(name) ?? 0) + ms);
    const p = functionName === '(garbage collector)' ? 'garbage collector' : functionName === '(program)' ? 'node (runtime, GC, native)' : packageOf(url);
    pkg.set(p, (pkg.get(p) ?? 0) + ms);
  }
  const busy = Math.max(1, totalMs - idle);
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, percent: (100 * ms) / busy }));
  return { totalMs, idlePercent: (100 * idle) / totalMs, byFunction: rank(fn), byPackage: rank(pkg) };
}
