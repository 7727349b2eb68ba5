/**
 * Child processes the benchmarks measure: the service (compiled JS, as `npm start` runs it) and a
 * bare Fastify server, each on a loopback port, with their memory read from /proc.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** Where the bench compiles the service: inside node_modules so package imports resolve, out of git and lint. */
export const BUILD_DIR = path.join(ROOT, 'node_modules', '.cache', 'cls-bench', 'dist');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Compiles src/ with the production tsconfig into BUILD_DIR when a source file is newer than the
 * build. tsc emits even when another file of the tree has a type error; that is reported, and the
 * run goes on with the emitted JavaScript.
 */
export function buildService(log: (s: string) => void): string {
  const entry = path.join(BUILD_DIR, 'main.js');
  if (existsSync(entry) && statSync(entry).mtimeMs >= newestMtime(path.join(ROOT, 'src'))) return entry;
  log(`compiling src/ into ${path.relative(ROOT, BUILD_DIR)} ...`);
  const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', BUILD_DIR], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (tsc.status !== 0) log(`warning: tsc reported errors (benchmarking the emitted JavaScript anyway):\n${tsc.stdout.split('\n').slice(0, 10).join('\n')}`);
  if (!existsSync(entry)) throw new Error(`build produced no ${entry}`);
  return entry;
}

/** Resident and peak-resident memory of a process, from /proc (Linux). */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 'NaN') * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in milliseconds, from /proc/<pid>/stat. */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces: fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** CPU time of several processes; the ones that have gone count as zero. */
export function totalCpuTimeMs(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += cpuTimeMs(pid);
    } catch {
      // Ended.
    }
  }
  return total;
}

/** Server processes (backends) of the local PostgreSQL connected to one database. */
export async function databaseBackends(url: string): Promise<number[]> {
  const name = new URL(url).pathname.slice(1);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
    return r.rows.map((row) => row.pid);
  } finally {
    await c.end();
  }
}

/** Resets the peak (VmHWM) to the current RSS, so the next read is the peak since now. */
export function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** Open sockets of a process (TCP connections and listeners), from /proc/<pid>/fd. */
export function socketCount(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // The descriptor closed while we looked.
    }
  }
  return n;
}

export interface Child {
  pid: number;
  url: string;
  process: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

function collect(child: ChildProcess): () => string {
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => {
    tail = (tail + d.toString('utf8')).slice(-8000);
  });
  return () => tail;
}

async function stopChild(child: ChildProcess, graceMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

async function waitFor(url: string, child: ChildProcess, stderr: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before ${url} answered:\n${stderr()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms:\n${stderr()}`);
}

export interface ServiceOptions {
  entry: string;
  store: { kind: 'pglite' } | { kind: 'postgres'; url: string };
  dataDir: string;
  workerMode: 'off' | 'embedded';
  /** Write a V8 CPU profile into this folder when the process exits. */
  cpuProfDir?: string;
  env?: Record<string, string>;
}

export interface Service extends Child {
  /** Milliseconds from spawn to the first 200 from /health/ready. */
  readyMs: number;
  adminEmail: string;
  adminPassword: string;
}

export const BENCH_JWT_SECRET = randomBytes(32).toString('hex');
const BENCH_ADMIN_PASSWORD = `Bench-${randomBytes(12).toString('base64url')}-Pass`;

/** Starts the service as production runs it, logs at error level, rate limits raised for load. */
export async function startService(opts: ServiceOptions): Promise<Service> {
  const port = await freePort();
  const adminEmail = 'bench-admin@example.com';
  // One password per bench process: the admin is created on the first start of a store and kept.
  const adminPassword = BENCH_ADMIN_PASSWORD;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    TZ: 'UTC',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    APP_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: opts.dataDir,
    LOG_LEVEL: 'error',
    AUTH_JWT_SECRET: BENCH_JWT_SECRET,
    BOOTSTRAP_ADMIN_EMAIL: adminEmail,
    BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
    ACCESS_TOKEN_EXPIRE_MINUTES: '240',
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_LOGIN_PER_MINUTE: '10000',
    RATE_LIMIT_UPLOAD_PER_MINUTE: '10000',
    RATE_LIMIT_EXTRACTION_PER_MINUTE: '10000',
    WORKER_MODE: opts.workerMode,
    ...(opts.store.kind === 'postgres' ? { STORE: 'postgres', DATABASE_URL: opts.store.url } : { STORE: 'pglite' }),
    ...opts.env,
  };
  const args = [...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : []), opts.entry];
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = collect(child);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${url}/health/ready`, child, stderr, 180_000);
  } catch (err) {
    await stopChild(child, 2000);
    throw err;
  }
  const readyMs = performance.now() - started;
  return { pid: child.pid!, url, process: child, stderr, stop: () => stopChild(child), readyMs, adminEmail, adminPassword };
}

/** A Fastify server with one route answering a constant: the ceiling of this machine and runtime. */
export async function startBare(): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'servers', 'bare.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr = collect(child);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/bare`, child, stderr, 60_000);
  return { pid: child.pid!, url, process: child, stderr, stop: () => stopChild(child, 5000) };
}

/**
 * bench/servers/floor.ts: the bare route plus the service's get-by-id query through the same database
 * layer, nothing else. `id` must exist: on PostgreSQL in the service's database, on PGlite it is seeded.
 */
export async function startFloor(store: { kind: 'pglite' } | { kind: 'postgres'; url: string }, id: string, tenantId: string): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'servers', 'floor.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      FLOOR_STORE: store.kind,
      FLOOR_ID: id,
      FLOOR_TENANT: tenantId,
      ...(store.kind === 'postgres' ? { DATABASE_URL: store.url } : {}),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr = collect(child);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/floor/${id}`, child, stderr, 60_000);
  return { pid: child.pid!, url, process: child, stderr, stop: () => stopChild(child, 5000) };
}

/** Signs in through the real token endpoint and returns the bearer header. */
export async function signIn(service: Service): Promise<string> {
  // A just-started process may shed load (503, Retry-After) while start-up work settles.
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${service.url}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: service.adminEmail, password: service.adminPassword }).toString(),
    });
    const body = (await res.json()) as { access_token?: string };
    if (res.status === 200 && body.access_token) return `Bearer ${body.access_token}`;
    if (res.status !== 503 || attempt >= 10) throw new Error(`sign-in failed: ${res.status} ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 1000 * Math.min(5, Number(res.headers.get('retry-after') ?? 1))));
  }
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const ADMIN_URL = process.env.BENCH_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = /^cls_bench_[0-9a-f]{16}$/;

/** A fresh database on the local PostgreSQL, dropped by `drop()`; only names this module made are ever dropped. */
export async function createBenchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `cls_bench_${randomBytes(8).toString('hex')}`;
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  await admin((c) => c.query(`create database ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      if (!DB_NAME.test(name)) throw new Error(`refusing to drop ${name}`);
      await admin((c) => c.query(`drop database if exists ${name} with (force)`));
    },
  };
}

/** Whether the local PostgreSQL answers (the PostgreSQL half of the run is skipped when it does not). */
export async function postgresAvailable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}
