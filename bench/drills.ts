/**
 * `npm run drills`: crash and outage drills, each a scripted scenario against real service processes
 * (bench/drills/<name>.ts, discovered at run time; each exports `drill: Drill` or `drills: Drill[]`,
 * see bench/drills/types.ts), run several times, each repetition in a fresh temp folder. Loopback
 * only: the drills start their own services and dependencies on 127.0.0.1.
 *
 * Flags: --runs=N (default 5), --only=id,id, --no-write, --run-timeout=S (hard stop of one
 * repetition, default 300), --max-minutes=M (hard stop of the whole session, default 120).
 * A repetition past its time is stopped: every child process of this runner is killed and the
 * repetition counts as failed. Results: console, bench/results/drills-<date>.json and, unless
 * --no-write, docs/reliability.md between the drills markers. Exits 1 when any check failed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Drill, DrillCheck, DrillOutcome } from './drills/types.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const DRILLS_DIR = path.join(ROOT, 'bench', 'drills');

function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}
function positiveInt(name: string, fallback: number): number {
  const raw = flag(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${raw}"`);
  return n;
}
const RUNS = positiveInt('runs', 5);
const ONLY = flag('only')?.split(',').map((s) => s.trim()).filter(Boolean);
const WRITE = !process.argv.includes('--no-write');
const RUN_TIMEOUT_MS = positiveInt('run-timeout', 300) * 1000;
const MAX_MS = positiveInt('max-minutes', 120) * 60_000;
const START_MARK = '<!-- drills:results:start -->';
const END_MARK = '<!-- drills:results:end -->';

const log = (s: string) => console.log(`[drills ${new Date().toISOString().slice(11, 19)}] ${s}`);

interface RunRecord {
  run: number;
  ms: number;
  ok: boolean;
  checks: DrillCheck[];
  figures: Record<string, number>;
  /** Why the repetition did not finish: an exception, or the time limit. */
  error?: string;
}

interface DrillRecord {
  id: string;
  title: string;
  file: string;
  runs: RunRecord[];
}

/**
 * Every Drill exported by the modules of bench/drills (types.ts aside), in file then export order.
 * A module that does not load, or exports no valid drill, becomes a drill that fails at once: the
 * report says so instead of the whole session stopping.
 */
async function discover(): Promise<{ drill: Drill; file: string; broken?: boolean }[]> {
  const files = readdirSync(DRILLS_DIR)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== 'types.ts')
    .sort();
  const found: { drill: Drill; file: string; broken?: boolean }[] = [];
  const broken = (file: string, problem: string) => {
    log(`warning: bench/drills/${file}: ${problem}`);
    const id = file.replace(/\.ts$/, '');
    found.push({
      file,
      broken: true,
      drill: { id, title: `bench/drills/${file} (did not load)`, run: () => Promise.resolve({ checks: [{ name: 'the drill module loads and exports drills', ok: false, detail: problem }], figures: {} }) },
    });
  };
  for (const file of files) {
    let mod: { drill?: unknown; drills?: unknown };
    try {
      mod = (await import(pathToFileURL(path.join(DRILLS_DIR, file)).href)) as typeof mod;
    } catch (err) {
      broken(file, `does not load: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    const exported = [...(mod.drill ? [mod.drill] : []), ...(Array.isArray(mod.drills) ? (mod.drills as unknown[]) : [])];
    const valid = exported.filter((d): d is Drill => {
      const drill = d as Partial<Drill>;
      return typeof drill.id === 'string' && typeof drill.title === 'string' && typeof drill.run === 'function';
    });
    if (valid.length === 0 || valid.length !== exported.length) {
      broken(file, 'exports no `drill` (or `drills`) with id, title and run');
      continue;
    }
    for (const drill of valid) {
      if (found.some((f) => f.drill.id === drill.id)) throw new Error(`two drills have the id "${drill.id}"`);
      found.push({ drill, file });
    }
  }
  return found;
}

/** Process ids of every descendant of this process, from /proc (Linux). */
function descendants(): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // The command name (field 2) may contain spaces and parentheses: fields count after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [process.pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** The hard stop: SIGKILL to every process this runner started (directly or not). */
function killChildren(): number {
  const pids = descendants();
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return pids.length;
}

function machine() {
  const cpus = os.cpus();
  let nproc = cpus.length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch {
    // nproc is coreutils; os.cpus() is the fallback.
  }
  return {
    nproc,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  if (Number.isInteger(n) || Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(Math.abs(n) >= 10 ? 1 : 2);
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Runs one repetition under the time limit; a repetition that throws or overruns is a failed one. */
async function runOnce(drill: Drill, run: number, timeoutMs: number): Promise<RunRecord> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), `cls-drill-${drill.id}-`));
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`stopped at the time limit (${Math.round(timeoutMs / 1000)} s)`)), timeoutMs);
    });
    const outcome: DrillOutcome = await Promise.race([
      drill.run({ run, workDir, log: (m) => log(`  ${drill.id}#${run}: ${m}`) }),
      limit,
    ]);
    const checks = outcome.checks;
    if (checks.length === 0) checks.push({ name: 'the drill checked something', ok: false, detail: 'no checks returned' });
    return { run, ms: Math.round(performance.now() - started), ok: checks.every((c) => c.ok), checks, figures: outcome.figures };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const killed = killChildren();
    if (killed > 0) log(`  ${drill.id}#${run}: killed ${killed} child process(es) left running`);
    return {
      run,
      ms: Math.round(performance.now() - started),
      ok: false,
      checks: [{ name: 'the drill ran to the end', ok: false, detail: message.slice(0, 500) }],
      figures: {},
      error: message,
    };
  } finally {
    clearTimeout(timer);
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** One block per drill, each with the run it came from, so drills run separately keep each other's results. */
function report(records: DrillRecord[], info: { started: Date; command: string; machine: ReturnType<typeof machine>; stoppedEarly: boolean }): Map<string, string> {
  const m = info.machine;
  const origin = `From \`${info.command}\` on ${info.started.toISOString()}: ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, load average at start ${m.loadAverage}${Number(m.loadAverage.split(' ')[0]) > m.nproc / 2 ? ' (**machine shared: times are pessimistic**)' : ''}.${info.stoppedEarly ? ' **The session hit its time limit; later repetitions did not run.**' : ''}`;
  const blocks = new Map<string, string>();
  for (const d of records) {
    const lines: string[] = [];
    const passed = d.runs.filter((r) => r.ok).length;
    lines.push(`### ${d.id}`, '', `${d.title}`, '', origin, '', `**${passed}/${d.runs.length} runs passed** (median ${fmt(median(d.runs.map((r) => r.ms / 1000)))} s a run; \`bench/drills/${d.file}\`).`, '');
    const names: string[] = [];
    for (const r of d.runs) for (const c of r.checks) if (!names.includes(c.name)) names.push(c.name);
    lines.push('| check | held |', '| --- | ---: |');
    for (const name of names) {
      const held = d.runs.filter((r) => r.checks.some((c) => c.name === name && c.ok)).length;
      lines.push(`| ${cell(name)} | ${held}/${d.runs.length} |`);
    }
    const failures = d.runs.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => `run ${r.run}: ${c.name}${c.detail ? `: ${c.detail}` : ''}`));
    if (failures.length > 0) {
      lines.push('', 'Failures:', '', ...failures.slice(0, 10).map((f) => `- ${cell(f)}`));
      if (failures.length > 10) lines.push(`- ... ${failures.length - 10} more (see the JSON)`);
    }
    const figureNames: string[] = [];
    for (const r of d.runs) for (const f of Object.keys(r.figures)) if (!figureNames.includes(f)) figureNames.push(f);
    if (figureNames.length > 0) {
      lines.push('', '| figure | median | max | runs |', '| --- | ---: | ---: | ---: |');
      for (const f of figureNames) {
        const values = d.runs.map((r) => r.figures[f]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
        lines.push(`| ${cell(f)} | ${fmt(median(values))} | ${fmt(values.length ? Math.max(...values) : Number.NaN)} | ${values.length} |`);
      }
    }
    blocks.set(d.id, lines.join('\n'));
  }
  return blocks;
}

const drillMark = (id: string, edge: 'start' | 'end') => `<!-- drill:${id}:${edge} -->`;

/** The per-drill blocks already in the drills section, by id. */
function existingBlocks(section: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of section.matchAll(/<!-- drill:([a-z0-9-]+):start -->\n([\s\S]*?)\n<!-- drill:\1:end -->/g)) found.set(m[1]!, m[2]!);
  if (found.size > 0) return found;
  // The first layout: one "Results of ..." line for the whole section, then a "### <id>" part per drill.
  const origin = /^Results of (.*)$/m.exec(section)?.[1];
  const parts = section.split(/^(?=### [a-z0-9-]+$)/m).filter((p) => p.startsWith('### '));
  for (const part of parts) {
    const [heading, ...rest] = part.trimEnd().split('\n');
    const id = heading!.slice(4);
    const body = rest.join('\n').replace(/^\n?(.*)\n/, (line, title: string) => (origin ? `\n${title}\n\nFrom ${origin}\n` : line));
    found.set(id, `${heading!}\n${body}`);
  }
  return found;
}

function writeReliability(blocks: Map<string, string>): void {
  const file = path.join(ROOT, 'docs', 'reliability.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const hasSection = current.includes(START_MARK) && current.includes(END_MARK);
  const merged = hasSection ? existingBlocks(current.slice(current.indexOf(START_MARK), current.indexOf(END_MARK))) : new Map<string, string>();
  for (const [id, md] of blocks) merged.set(id, md);
  const body = [...merged.keys()]
    .sort()
    .map((id) => `${drillMark(id, 'start')}\n${merged.get(id)!}\n${drillMark(id, 'end')}`)
    .join('\n\n');
  const block = `${START_MARK}\n${body}\n${END_MARK}`;
  const next = hasSection
    ? current.slice(0, current.indexOf(START_MARK)) + block + current.slice(current.indexOf(END_MARK) + END_MARK.length)
    : `${(current || '# Reliability\n').replace(/\n*$/, '\n')}\n## Crash and outage drills\n\nEach drill is a scripted scenario against real service processes, run several times from a clean state; a run passes when every check held. Reproduce with \`npm run drills\` (flags at the top of bench/drills.ts; \`-- --only=<id>\` for one drill, which replaces only that drill's results here).\n\n${block}\n`;
  writeFileSync(file, next);
}

async function main(): Promise<number> {
  const started = new Date();
  const deadline = Date.now() + MAX_MS;
  const info = { started, command: `npm run drills${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`, machine: machine(), stoppedEarly: false };
  // Last resort: whatever hangs past the session's limit (a drill ignoring its own timeouts, a
  // write that never returns), the children die and the process exits.
  setTimeout(() => {
    log(`hard stop: past the session limit of ${MAX_MS / 60_000} min`);
    killChildren();
    process.exit(3);
  }, MAX_MS + 60_000).unref();

  let drills = await discover();
  if (ONLY) {
    const unknown = ONLY.filter((id) => !drills.some((d) => d.drill.id === id));
    if (unknown.length > 0) throw new Error(`unknown drill id(s): ${unknown.join(', ')}; known: ${drills.map((d) => d.drill.id).join(', ')}`);
    drills = drills.filter((d) => ONLY.includes(d.drill.id));
  } else if (drills.some((d) => d.broken)) {
    log('some drill modules did not load: they count as failed');
  }
  log(`${drills.length} drill(s) × ${RUNS} run(s): ${drills.map((d) => d.drill.id).join(', ')}; ${info.machine.nproc} CPUs, load ${info.machine.loadAverage}`);

  const records: DrillRecord[] = [];
  outer: for (const { drill, file } of drills) {
    const record: DrillRecord = { id: drill.id, title: drill.title, file, runs: [] };
    records.push(record);
    log(`${drill.id}: ${drill.title}`);
    for (let run = 1; run <= RUNS; run++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        info.stoppedEarly = true;
        break outer;
      }
      const r = await runOnce(drill, run, Math.min(RUN_TIMEOUT_MS, remaining));
      record.runs.push(r);
      const failed = r.checks.filter((c) => !c.ok);
      const figures = Object.entries(r.figures).map(([k, v]) => `${k} ${fmt(v)}`).join(', ');
      log(`${drill.id} ${run}/${RUNS}: ${r.ok ? 'PASS' : 'FAIL'} in ${fmt(r.ms / 1000)} s${figures ? `; ${figures}` : ''}`);
      for (const c of failed) log(`    failed: ${c.name}${c.detail ? ` (${c.detail})` : ''}`);
    }
  }

  const blocks = report(records, info);
  console.log(`\n${[...blocks.values()].join('\n\n')}`);
  const resultsDir = path.join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const jsonFile = path.join(resultsDir, `drills-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(jsonFile, JSON.stringify({ ...info, finished: new Date().toISOString(), runsPerDrill: RUNS, drills: records }, null, 2));
  log(`raw results: ${path.relative(ROOT, jsonFile)}`);
  if (WRITE) {
    writeReliability(blocks);
    log('docs/reliability.md updated');
  }
  const allOk = records.every((d) => d.runs.length > 0 && d.runs.every((r) => r.ok)) && !info.stoppedEarly;
  log(allOk ? 'every check held' : 'some checks failed');
  return allOk ? 0 : 1;
}

main()
  .then((code) => {
    killChildren();
    process.exit(code);
  })
  .catch((err: unknown) => {
    console.error('drills failed:', err instanceof Error ? err.stack : err);
    killChildren();
    process.exit(2);
  });
