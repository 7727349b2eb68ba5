/**
 * `npm run bench`: benchmarks of the real service, loopback only, bounded in time, stopping by itself.
 *
 * The service runs as a child process from compiled JavaScript (src/ compiled with the production
 * tsconfig, started with plain `node` as `npm start` does), so its memory can be read from /proc and
 * the load generator does not share its event loop. Every HTTP scenario runs next to a bare Fastify
 * route answering a constant, in the same run, alternating, so the ratio survives a noisy machine.
 * Each store (PGlite, then PostgreSQL on a fresh database that is dropped afterwards) gets:
 * cold start to ready, get by id, a list page of 20, create, get by id at a fixed 1,000 req/s, uploads
 * of 1 MiB / 100 MiB / 1 GiB streamed from a generator (server peak RSS growth, throughput against a
 * plain Node write of the same bytes), and one run from upload to booking sheet. Then, in process:
 * the rules engine on a 300-page agreement and text-PDF and OCR throughput.
 *
 * Flags: --quick (short runs, no 1 GiB upload, nothing written to docs/), --runs=N, --duration=S,
 * --connections=N, --stores=pglite,postgres, --only=cold,get,list,create,rate,upload,e2e,rules,pdf,ocr,
 * --uploads=1m,100m,1g, --profile (CPU profile of the service under get-by-id load), --no-write.
 * Results: console, bench/results/<date>.json, and (full runs) docs/benchmarks.md between markers.
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import path from 'node:path';
import { runLoad, type LoadResult } from './lib/load.js';
import {
  ROOT,
  buildService,
  cpuTimeMs,
  createBenchDatabase,
  databaseBackends,
  memoryOf,
  postgresAvailable,
  resetPeak,
  signIn,
  startBare,
  startFloor,
  startService,
  tempDir,
  totalCpuTimeMs,
  type Child,
  type Service,
} from './lib/processes.js';
import { summariseProfile, type ProfileSummary } from './lib/profile.js';
import { GiB, MiB, fmtBytes, fmtMs, median } from './lib/stats.js';
import { uploadText, writeToDisk } from './lib/upload.js';
import { benchOcrPdf, benchRules, benchTextPdf, generateAgreement, type ExtractionThroughput, type RulesResult } from './lib/workloads.js';

// ------------------------------------------------------------------------------------------------
// Options

type Store = 'pglite' | 'postgres';
const SCENARIOS = ['cold', 'get', 'list', 'create', 'rate', 'upload', 'e2e', 'rules', 'pdf', 'ocr'] as const;
type Scenario = (typeof SCENARIOS)[number];

function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}
const QUICK = process.argv.includes('--quick');
/**
 * --profile: CPU profile of the service under get-by-id load; --profile=upload: during one upload of
 * the largest size; --profile=e2e: during the upload-to-booking-sheet run (embedded worker).
 */
const PROFILE: 'get' | 'upload' | 'e2e' | undefined = process.argv.includes('--profile') ? 'get' : (flag('profile') as 'get' | 'upload' | 'e2e' | undefined);
const WRITE = !process.argv.includes('--no-write') && !QUICK;
const RUNS = Number(flag('runs') ?? (QUICK ? 1 : 3));
const DURATION = Number(flag('duration') ?? (QUICK ? 3 : 10));
const CONNECTIONS = Number(flag('connections') ?? 10);
const RATE = 1000;
const STORES = (flag('stores') ?? 'pglite,postgres').split(',') as Store[];
const ONLY = new Set((flag('only') ?? SCENARIOS.join(',')).split(',') as Scenario[]);
const SIZES: Record<string, number> = { '1m': MiB, '100m': 100 * MiB, '1g': GiB };
const UPLOADS = (flag('uploads') ?? (QUICK ? '1m,100m' : '1m,100m,1g')).split(',').map((s) => {
  if (!SIZES[s]) throw new Error(`unknown upload size ${s} (1m, 100m, 1g)`);
  return s;
});
/** Hard stop: whatever happens, the run ends (and its children are stopped) by then. */
const MAX_MINUTES = Number(flag('max-minutes') ?? (QUICK ? 15 : 75));

const children = new Set<Child>();
const cleanups: (() => Promise<void> | void)[] = [];
const log = (s: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}`);

const watchdog = setTimeout(() => {
  console.error(`bench: exceeded --max-minutes=${MAX_MINUTES}; stopping`);
  void shutdown().finally(() => process.exit(2));
}, MAX_MINUTES * 60_000);
watchdog.unref();

async function shutdown(): Promise<void> {
  for (const c of children) await c.stop().catch(() => undefined);
  children.clear();
  for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  cleanups.length = 0;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void shutdown().finally(() => process.exit(130));
  });
}

// ------------------------------------------------------------------------------------------------
// Results

interface HttpRow {
  store: Store;
  scenario: string;
  bare: LoadResult;
  service: LoadResult;
  ratio: number;
  peakRss: number;
  runs: number;
  /** CPU time per request (user + system, µs): the service process, the bare process, the database backends. */
  cpu: { service: number; bare: number; database: number | undefined };
}

interface UploadRow {
  store: Store;
  size: string;
  bytes: number;
  uploadMBps: number;
  diskMBps: number;
  /** The same upload to a bare Fastify route that reads and discards the body: this machine's transport ceiling. */
  sinkMBps: number;
  /** The plain write with SHA-256 computed on the way (the hash every upload needs). */
  hashedDiskMBps: number;
  ratio: number;
  rssBefore: number;
  peakGrowth: number;
  runs: number;
  status: number;
}

interface ColdRow {
  store: Store;
  firstStartMs: number;
  restartMs: number;
  runs: number;
}

interface E2eRow {
  store: Store;
  pages: number;
  stages: Record<string, number>;
  totalMs: number;
  fieldsFilled: number;
}

interface Report {
  date: string;
  command: string;
  machine: Record<string, string>;
  settings: Record<string, string | number>;
  preliminary: boolean;
  http: HttpRow[];
  uploads: UploadRow[];
  cold: ColdRow[];
  e2e: E2eRow[];
  rules?: RulesResult;
  extraction: ExtractionThroughput[];
  profiles: { store: Store; scenario: string; file: string; summary: ProfileSummary }[];
  notes: string[];
}

function machine(): Record<string, string> {
  const sh = (cmd: string) => {
    try {
      return execSync(cmd, { encoding: 'utf8' }).trim();
    } catch {
      return 'n/a';
    }
  };
  const model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return {
    nproc: sh('nproc'),
    cpu: model.trim(),
    memory: `${(totalmem() / GiB).toFixed(1)} GiB total, ${(freemem() / GiB).toFixed(1)} GiB free`,
    'free -h': sh('free -h | sed -n 2p').replace(/\s+/g, ' '),
    'load average (1/5/15 min) at start': readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    node: process.version,
    kernel: sh('uname -r'),
    postgres: sh("psql -h 127.0.0.1 -U postgres -Atc 'show server_version' 2>/dev/null"),
  };
}

// ------------------------------------------------------------------------------------------------
// HTTP scenarios

async function api(service: Service, auth: string, method: string, url: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${service.url}${url}`, {
    method,
    headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: res.status, json };
}

async function seedBookings(service: Service, auth: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  const worker = async (offset: number) => {
    for (let i = offset; i < count; i += 8) {
      const r = await api(service, auth, 'POST', '/api/v1/loan-bookings', { customer_name: `Benchmark Customer ${i} Holdings`, product_id: 'term-loans', notes: 'seeded for the list benchmark' });
      if (r.status !== 201) throw new Error(`seeding answered ${r.status}: ${JSON.stringify(r.json)}`);
      ids.push(String(r.json.id));
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, i) => worker(i)));
  return ids;
}

/** Median of each figure over runs; bare and service alternate so both see the same machine weather. */
async function compare(
  store: Store,
  scenario: string,
  bare: Child,
  service: Child,
  databaseUrl: string | undefined,
  make: (target: 'bare' | 'service') => Parameters<typeof runLoad>[0],
): Promise<HttpRow> {
  const bares: LoadResult[] = [];
  const services: LoadResult[] = [];
  const ratios: number[] = [];
  const cpu = { service: [] as number[], bare: [] as number[], database: [] as number[] };
  let peak = 0;
  for (let i = 0; i < RUNS; i++) {
    const bareCpu = cpuTimeMs(bare.pid);
    const b = await runLoad(make('bare'));
    cpu.bare.push(((cpuTimeMs(bare.pid) - bareCpu) * 1000) / Math.max(1, b.requests));
    const before = memoryOf(service.pid);
    resetPeak(service.pid);
    const backends = databaseUrl ? await databaseBackends(databaseUrl) : [];
    const serviceCpu = cpuTimeMs(service.pid);
    const dbCpu = totalCpuTimeMs(backends);
    const s = await runLoad(make('service'));
    cpu.service.push(((cpuTimeMs(service.pid) - serviceCpu) * 1000) / Math.max(1, s.requests));
    if (databaseUrl) cpu.database.push(((totalCpuTimeMs(backends) - dbCpu) * 1000) / Math.max(1, s.requests));
    peak = Math.max(peak, memoryOf(service.pid).hwm, before.rss);
    bares.push(b);
    services.push(s);
    ratios.push(s.rps / b.rps);
    log(`${store} ${scenario} run ${i + 1}/${RUNS}: service ${s.rps.toFixed(0)} req/s p99 ${fmtMs(s.p99)} ms (errors ${s.errors}), bare ${b.rps.toFixed(0)} req/s p99 ${fmtMs(b.p99)} ms`);
  }
  const med = (rs: LoadResult[]): LoadResult => ({
    requests: median(rs.map((r) => r.requests)),
    durationS: median(rs.map((r) => r.durationS)),
    rps: median(rs.map((r) => r.rps)),
    p50: median(rs.map((r) => r.p50)),
    p95: median(rs.map((r) => r.p95)),
    p99: median(rs.map((r) => r.p99)),
    max: Math.max(...rs.map((r) => r.max)),
    errors: rs.reduce((n, r) => n + r.errors, 0),
    statuses: rs.reduce<Record<string, number>>((acc, r) => {
      for (const [k, v] of Object.entries(r.statuses)) acc[k] = (acc[k] ?? 0) + v;
      return acc;
    }, {}),
  });
  return {
    store,
    scenario,
    bare: med(bares),
    service: med(services),
    ratio: median(ratios),
    peakRss: peak,
    runs: RUNS,
    cpu: { service: median(cpu.service), bare: median(cpu.bare), database: databaseUrl ? median(cpu.database) : undefined },
  };
}

async function httpScenarios(store: Store, bare: Child, service: Service, databaseUrl: string | undefined, auth: string, report: Report): Promise<void> {
  const bareUrl = `${bare.url}/bare`;
  const base = { connections: CONNECTIONS, durationSec: DURATION };
  const booking = await api(service, auth, 'POST', '/api/v1/loan-bookings', { customer_name: 'Benchmark Target Corp.', product_id: 'term-loans' });
  const id = String(booking.json.id);
  const get = (target: 'bare' | 'service') =>
    target === 'bare'
      ? { ...base, url: bareUrl, ok: [200] }
      : { ...base, url: `${service.url}/api/v1/loan-bookings/${id}`, headers: { authorization: auth }, ok: [200] };
  if (ONLY.has('get')) report.http.push(await compare(store, 'GET /api/v1/loan-bookings/{id}', bare, service, databaseUrl, get));
  if (ONLY.has('get')) {
    // The floor: the same query through the same database layer behind a bare route (bench/servers/floor.ts).
    const floor = await startFloor(databaseUrl ? { kind: 'postgres', url: databaseUrl } : { kind: 'pglite' }, id, 'default');
    children.add(floor);
    try {
      report.http.push(
        await compare(store, 'floor: bare route + the same query, nothing else', bare, floor, databaseUrl, (t) =>
          t === 'bare' ? { ...base, url: bareUrl, ok: [200] } : { ...base, url: `${floor.url}/floor/${id}`, ok: [200] },
        ),
      );
    } finally {
      await floor.stop();
      children.delete(floor);
    }
  }
  // Before the list seeding and the create run: their tens of thousands of rows would measure how soon
  // the store's statistics catch up (PostgreSQL's autovacuum, the PGlite keeper) rather than the lookup.
  if (ONLY.has('rate')) {
    report.http.push(
      await compare(store, `GET /api/v1/loan-bookings/{id} at a fixed ${RATE.toLocaleString('en-US')} req/s`, bare, service, databaseUrl, (t) => ({ ...get(t), overallRate: RATE })),
    );
  }
  if (ONLY.has('list')) {
    await seedBookings(service, auth, QUICK ? 60 : 200);
    report.http.push(
      await compare(store, 'GET /api/v1/loan-bookings?limit=20', bare, service, databaseUrl, (t) =>
        t === 'bare' ? { ...base, url: bareUrl, ok: [200] } : { ...base, url: `${service.url}/api/v1/loan-bookings?limit=20`, headers: { authorization: auth }, ok: [200] },
      ),
    );
  }
  if (ONLY.has('create')) {
    report.http.push(
      await compare(store, 'POST /api/v1/loan-bookings', bare, service, databaseUrl, (t) =>
        t === 'bare'
          ? { ...base, url: bareUrl, ok: [200] }
          : {
              ...base,
              url: `${service.url}/api/v1/loan-bookings`,
              method: 'POST',
              headers: { authorization: auth },
              body: JSON.stringify({ customer_name: 'Benchmark Create Holdings', product_id: 'term-loans', external_reference: 'BENCH-1' }),
              ok: [201],
            },
      ),
    );
  }
}

// ------------------------------------------------------------------------------------------------
// Uploads

async function uploadScenarios(store: Store, bare: Child, service: Service, auth: string, dataDir: string, report: Report): Promise<void> {
  const booking = await api(service, auth, 'POST', '/api/v1/loan-bookings', { customer_name: 'Upload Benchmark Co.', product_id: 'term-loans' });
  const url = `${service.url}/api/v1/loan-bookings/${String(booking.json.id)}/documents`;
  for (const size of UPLOADS) {
    const bytes = SIZES[size]!;
    const runs = bytes >= GiB ? Math.min(RUNS, 2) : RUNS;
    const up: number[] = [];
    const disk: number[] = [];
    const sink: number[] = [];
    const hashed: number[] = [];
    const growth: number[] = [];
    let rssBefore = 0;
    let status = 0;
    for (let i = 0; i < runs; i++) {
      disk.push((await writeToDisk(dataDir, bytes)).ms);
      hashed.push((await writeToDisk(dataDir, bytes, { sha256: true })).ms);
      sink.push((await uploadText(`${bare.url}/sink`, 'Bearer none', bytes)).ms);
      const before = memoryOf(service.pid);
      rssBefore = before.rss;
      resetPeak(service.pid);
      let sampled = before.rss;
      const sampler = setInterval(() => {
        try {
          sampled = Math.max(sampled, memoryOf(service.pid).rss);
        } catch {
          // The process ended; the upload will fail and say so.
        }
      }, 20);
      const result = await uploadText(url, auth, bytes);
      clearInterval(sampler);
      const peak = Math.max(sampled, memoryOf(service.pid).hwm);
      status = result.status;
      if (result.status !== 201) throw new Error(`upload of ${size} answered ${result.status}: ${result.body.slice(0, 300)}`);
      up.push(result.ms);
      growth.push(peak - before.rss);
      log(`${store} upload ${size} run ${i + 1}/${runs}: ${((bytes / MiB) / (result.ms / 1000)).toFixed(0)} MiB/s, disk ${((bytes / MiB) / (disk.at(-1)! / 1000)).toFixed(0)} MiB/s, server RSS +${fmtBytes(peak - before.rss)}`);
    }
    const uploadMBps = bytes / MiB / (median(up) / 1000);
    const diskMBps = bytes / MiB / (median(disk) / 1000);
    const sinkMBps = bytes / MiB / (median(sink) / 1000);
    const hashedDiskMBps = bytes / MiB / (median(hashed) / 1000);
    report.uploads.push({ store, size, bytes, uploadMBps, diskMBps, sinkMBps, hashedDiskMBps, ratio: uploadMBps / diskMBps, rssBefore, peakGrowth: Math.max(...growth), runs, status });
  }
}

// ------------------------------------------------------------------------------------------------
// End to end: upload to booking sheet

async function poll<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function endToEnd(store: Store, service: Service, auth: string, agreementPdf: Buffer, pages: number, report: Report): Promise<void> {
  const stages: Record<string, number> = {};
  let mark = performance.now();
  const stage = (name: string) => {
    const now = performance.now();
    stages[name] = now - mark;
    mark = now;
  };
  const started = performance.now();
  const booking = await api(service, auth, 'POST', '/api/v1/loan-bookings', { customer_name: 'Benchmark Logistics Holdings, Inc.', product_id: 'term-loans' });
  const bookingId = String(booking.json.id);
  const boundary = 'e2eboundary7';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="credit-agreement.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
    agreementPdf,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const up = await fetch(`${service.url}/api/v1/loan-bookings/${bookingId}/documents`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body,
  });
  const upBody = (await up.json()) as { items?: { id: string }[] };
  if (up.status !== 201) throw new Error(`e2e upload answered ${up.status}: ${JSON.stringify(upBody)}`);
  const documentId = upBody.items![0]!.id;
  stage('upload (201)');
  await poll('document processing', 600_000, async () => {
    const d = await api(service, auth, 'GET', `/api/v1/documents/${documentId}`);
    if (d.json.status === 'failed') throw new Error(`processing failed: ${JSON.stringify(d.json)}`);
    return d.json.status === 'processed' ? true : undefined;
  });
  stage('text extraction, classification, indexing (job)');
  const run = await api(service, auth, 'POST', `/api/v1/loan-bookings/${bookingId}/extractions`, { schema: 'credit_agreement', engine: 'rules' });
  if (run.status !== 202) throw new Error(`extraction answered ${run.status}: ${JSON.stringify(run.json)}`);
  const runId = String(run.json.id);
  await poll('extraction run', 600_000, async () => {
    const r = await api(service, auth, 'GET', `/api/v1/loan-bookings/${bookingId}/extractions/${runId}`);
    if (r.json.status === 'failed') throw new Error(`run failed: ${JSON.stringify(r.json).slice(0, 500)}`);
    return r.json.status === 'succeeded' ? true : undefined;
  });
  stage('extraction run, rules engine (job)');
  const sheet = await api(service, auth, 'POST', `/api/v1/loan-bookings/${bookingId}/booking-sheet`, { run_id: runId });
  if (sheet.status !== 201) throw new Error(`booking sheet answered ${sheet.status}: ${JSON.stringify(sheet.json).slice(0, 500)}`);
  const got = await api(service, auth, 'GET', `/api/v1/loan-bookings/${bookingId}/booking-sheet`);
  stage('booking sheet built and read');
  const fields = (got.json.fields ?? {}) as Record<string, { value?: unknown }>;
  const filled = Object.values(fields).filter((f) => f && f.value !== null && f.value !== undefined).length;
  report.e2e.push({ store, pages, stages, totalMs: performance.now() - started, fieldsFilled: filled });
  log(`${store} e2e: ${((performance.now() - started) / 1000).toFixed(1)} s, ${filled} fields filled`);
}

// ------------------------------------------------------------------------------------------------
// One store

async function runStore(store: Store, entry: string, bare: Child, report: Report, agreement: { pdf: Buffer; pages: number } | undefined): Promise<void> {
  const db = store === 'postgres' ? await createBenchDatabase() : undefined;
  if (db) cleanups.push(() => db.drop());
  const data = tempDir(`cls-bench-${store}-`);
  cleanups.push(() => data.remove());
  const storeOpt = db ? { kind: 'postgres' as const, url: db.url } : { kind: 'pglite' as const };
  const start = async (workerMode: 'off' | 'embedded', cpuProfDir?: string) => {
    const s = await startService({ entry, store: storeOpt, dataDir: data.path, workerMode, ...(cpuProfDir ? { cpuProfDir } : {}) });
    children.add(s);
    return s;
  };
  const stop = async (s: Service) => {
    await s.stop();
    children.delete(s);
  };

  if (ONLY.has('cold')) {
    // First start: an empty store (migrations, bootstrap admin). Restarts: the same store again.
    const first = await start('off');
    await stop(first);
    const restarts: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const s = await start('off');
      restarts.push(s.readyMs);
      await stop(s);
    }
    report.cold.push({ store, firstStartMs: first.readyMs, restartMs: median(restarts), runs: RUNS });
    log(`${store} cold start: first ${fmtMs(first.readyMs)} ms, restart ${fmtMs(median(restarts))} ms`);
  }

  if (['get', 'list', 'create', 'rate', 'upload'].some((s) => ONLY.has(s as Scenario))) {
    // The API alone (WORKER_MODE=off), as in a deployment that scales API and workers apart: uploads
    // queue their processing jobs, which would otherwise run in the process being measured.
    const service = await start('off');
    try {
      const auth = await signIn(service);
      await httpScenarios(store, bare, service, db?.url, auth, report);
      if (ONLY.has('upload')) await uploadScenarios(store, bare, service, auth, data.path, report);
    } finally {
      await stop(service);
    }
  }

  if (PROFILE === 'get' || PROFILE === 'upload') {
    const dir = path.join(ROOT, 'bench', 'results', 'profiles', `${store}-${Date.now()}`);
    mkdirSync(dir, { recursive: true });
    const service = await start('off', dir);
    const auth = await signIn(service);
    const booking = await api(service, auth, 'POST', '/api/v1/loan-bookings', { customer_name: 'Profiled Corp.', product_id: 'term-loans' });
    const loadStarted = performance.now();
    let scenario: string;
    if (PROFILE === 'upload') {
      const size = UPLOADS.at(-1)!;
      const r = await uploadText(`${service.url}/api/v1/loan-bookings/${String(booking.json.id)}/documents`, auth, SIZES[size]!);
      scenario = `upload of ${size}`;
      log(`${store} profiled upload: ${r.status}, ${((SIZES[size]! / MiB) / (r.ms / 1000)).toFixed(0)} MiB/s (the profiler costs some)`);
    } else {
      const load = await runLoad({ url: `${service.url}/api/v1/loan-bookings/${String(booking.json.id)}`, headers: { authorization: auth }, connections: CONNECTIONS, durationSec: Math.max(DURATION, 10), ok: [200] });
      scenario = 'GET /api/v1/loan-bookings/{id}';
      log(`${store} profiled run: ${load.rps.toFixed(0)} req/s (the profiler costs some)`);
    }
    const loadEnded = performance.now();
    await stop(service);
    const stopped = performance.now();
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (file) {
      // Trim half a second at each end: connection set-up and teardown are not the steady state.
      const summary = summariseProfile(path.join(dir, file), { endsBeforeExitMs: stopped - loadEnded + 500, lengthMs: loadEnded - loadStarted - 1000 });
      report.profiles.push({ store, scenario, file: path.relative(ROOT, path.join(dir, file)), summary });
      log(`${store} profile: ${path.relative(ROOT, path.join(dir, file))}`);
      for (const p of summary.byPackage.slice(0, 12)) log(`  ${p.percent.toFixed(1).padStart(5)}%  ${p.name}`);
    }
  }

  if (ONLY.has('e2e')) {
    if (!agreement) report.notes.push(`${store}: end-to-end run skipped (the extraction or booking-sheet routes are not in /openapi.json yet).`);
    else {
      const profileDir = PROFILE === 'e2e' ? path.join(ROOT, 'bench', 'results', 'profiles', `${store}-e2e-${Date.now()}`) : undefined;
      if (profileDir) mkdirSync(profileDir, { recursive: true });
      // A store of its own: the upload scenarios left processing jobs queued (the API ran without a
      // worker), and an embedded worker would start on that backlog (gigabytes of text) first.
      const e2eDb = store === 'postgres' ? await createBenchDatabase() : undefined;
      if (e2eDb) cleanups.push(() => e2eDb.drop());
      const e2eData = tempDir(`cls-bench-e2e-${store}-`);
      cleanups.push(() => e2eData.remove());
      const service = await startService({
        entry,
        store: e2eDb ? { kind: 'postgres', url: e2eDb.url } : { kind: 'pglite' },
        dataDir: e2eData.path,
        workerMode: 'embedded',
        ...(profileDir ? { cpuProfDir: profileDir } : {}),
      });
      children.add(service);
      let began: number;
      let ended: number;
      try {
        const auth = await signIn(service);
        began = performance.now();
        await endToEnd(store, service, auth, agreement.pdf, agreement.pages, report);
        ended = performance.now();
      } finally {
        await stop(service);
      }
      const file = profileDir ? readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile')) : undefined;
      if (profileDir && file) {
        const summary = summariseProfile(path.join(profileDir, file), { endsBeforeExitMs: performance.now() - ended, lengthMs: ended - began });
        report.profiles.push({ store, scenario: 'upload to booking sheet', file: path.relative(ROOT, path.join(profileDir, file)), summary });
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Report

const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

function markdown(r: Report): string {
  const lines: string[] = [];
  const row = (cells: (string | number)[]) => lines.push(`| ${cells.join(' | ')} |`);
  lines.push(`Results of \`${r.command}\` on ${r.date}${r.preliminary ? ' — **preliminary**: other work was sharing the machine' : ''}.`, '');
  lines.push('Machine:', '');
  for (const [k, v] of Object.entries(r.machine)) lines.push(`- ${k}: ${v}`);
  lines.push('', `Settings: ${Object.entries(r.settings).map(([k, v]) => `${k} ${v}`).join(', ')}.`, '');
  if (r.http.length) {
    lines.push('### HTTP (authenticated as an admin, rate limits raised, logs at error level)', '');
    row(['store', 'scenario', 'req/s', 'bare req/s', 'ratio', 'p50 ms', 'p95 ms', 'p99 ms', 'bare p99 ms', 'errors', 'peak RSS', 'CPU µs/req: service / bare / database']);
    row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']);
    for (const h of r.http) {
      const cpu = `${h.cpu.service.toFixed(0)} / ${h.cpu.bare.toFixed(0)} / ${h.cpu.database === undefined ? 'in process' : h.cpu.database.toFixed(0)}`;
      row([h.store, h.scenario, h.service.rps.toFixed(0), h.bare.rps.toFixed(0), `${(h.ratio * 100).toFixed(0)}%`, fmtMs(h.service.p50), fmtMs(h.service.p95), fmtMs(h.service.p99), fmtMs(h.bare.p99), h.service.errors, fmtBytes(h.peakRss), cpu]);
    }
    lines.push(
      '',
      'Medians of the runs; ratio = median of per-run (service req/s ÷ bare req/s), bare and service alternating. Errors: responses with another status, timeouts and socket errors, summed over runs. CPU per request: user + system time from /proc of the service process, of the bare process during its own run, and of the PostgreSQL backends serving the benchmark database (PGlite runs inside the service process).',
      '',
    );
  }
  if (r.uploads.length) {
    lines.push('### Uploads (one text file, multipart, streamed from a generator; API process only)', '');
    row(['store', 'size', 'upload MiB/s', 'plain Node write MiB/s', 'ratio to the write', 'plain write + SHA-256 MiB/s', 'ratio to it', 'bare sink MiB/s', 'ratio to the sink', 'server RSS before', 'server peak RSS growth', 'runs']);
    row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']);
    for (const u of r.uploads) {
      row([u.store, u.size, u.uploadMBps.toFixed(0), u.diskMBps.toFixed(0), `${(u.ratio * 100).toFixed(0)}%`, u.hashedDiskMBps.toFixed(0), `${((u.uploadMBps / u.hashedDiskMBps) * 100).toFixed(0)}%`, u.sinkMBps.toFixed(0), `${((u.uploadMBps / u.sinkMBps) * 100).toFixed(0)}%`, fmtBytes(u.rssBefore), fmtBytes(u.peakGrowth), u.runs]);
    }
    lines.push(
      '',
      'Peak growth = max(VmHWM after the upload with the peak reset before it, VmRSS sampled every 20 ms) − VmRSS before. The plain write is a Node stream of the same generated bytes into a file on the same disk, then fsync, as the blob store does; "+ SHA-256" is that write with the hash every upload computes on the way. The bare sink is the same client sending the same multipart body to a bare Fastify route that reads it and throws it away: the loopback transport with client and server on the same cores, nothing stored.',
      '',
    );
  }
  if (r.cold.length) {
    lines.push('### Cold start to ready (spawn of `node main.js` until /health/ready answers 200)', '');
    row(['store', 'first start (empty store: migrations, admin bootstrap)', 'restart (median)']);
    row(['---', '---:', '---:']);
    for (const c of r.cold) row([c.store, `${fmtMs(c.firstStartMs)} ms`, `${fmtMs(c.restartMs)} ms`]);
    lines.push('');
  }
  if (r.e2e.length) {
    lines.push('### One run end to end: upload to booking sheet (embedded worker)', '');
    row(['store', 'pages', ...Object.keys(r.e2e[0]!.stages), 'total', 'fields filled']);
    row(['---', '---:', ...Object.keys(r.e2e[0]!.stages).map(() => '---:'), '---:', '---:']);
    for (const e of r.e2e) row([e.store, e.pages, ...Object.values(e.stages).map((ms) => `${(ms / 1000).toFixed(2)} s`), `${(e.totalMs / 1000).toFixed(2)} s`, e.fieldsFilled]);
    lines.push('');
  }
  if (r.rules) {
    const x = r.rules;
    lines.push('### Rules extraction engine (in process)', '');
    lines.push(`${x.pages}-page generated credit agreement (${x.characters.toLocaleString('en-US')} characters, schema credit_agreement): first run ${fmtMs(x.firstMs)} ms, median of the next ${Math.max(1, x.runs - 1)} ${fmtMs(x.medianMs)} ms; ${x.correct} of ${x.labelled} labelled fields right.`, '');
  }
  if (r.extraction.length) {
    lines.push('### Text extraction throughput (in process, one OCR worker)', '');
    row(['input', 'pages', 'size', 'time', 'pages/s', 'pages read back']);
    row(['---', '---:', '---:', '---:', '---:', '---:']);
    for (const e of r.extraction) row([e.kind === 'text-pdf' ? 'PDF with a text layer (unpdf)' : 'scanned PDF, OCR (render + tesseract.js)', e.pages, fmtBytes(e.bytes), `${(e.ms / 1000).toFixed(2)} s`, e.pagesPerSecond.toFixed(1), `${e.readable}/${e.pages}`]);
    lines.push('');
  }
  for (const p of r.profiles) {
    lines.push(`### CPU profile: ${p.store}, ${p.scenario} (\`${p.file}\`, ${p.summary.idlePercent.toFixed(0)}% idle)`, '');
    row(['self time by package', '% of busy']);
    row(['---', '---:']);
    for (const x of p.summary.byPackage.slice(0, 12)) row([x.name, x.percent.toFixed(1)]);
    lines.push('');
    row(['hottest functions (self time)', '% of busy']);
    row(['---', '---:']);
    for (const x of p.summary.byFunction.slice(0, 15)) row([`\`${x.name}\``, x.percent.toFixed(1)]);
    lines.push('');
  }
  if (r.notes.length) lines.push('Notes:', '', ...r.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

function writeDoc(md: string): void {
  const file = path.join(ROOT, 'docs', 'benchmarks.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const block = `${START}\n${md}\n${END}`;
  const next =
    current.includes(START) && current.includes(END)
      ? current.slice(0, current.indexOf(START)) + block + current.slice(current.indexOf(END) + END.length)
      : `# Benchmarks\n\nReproduce with \`npm run bench\` (see the top of bench/run.ts for flags).\n\n## Results\n\n${block}\n`;
  writeFileSync(file, next);
}

// ------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const report: Report = {
    date: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: machine(),
    settings: { connections: CONNECTIONS, 'seconds per run': DURATION, runs: RUNS, 'fixed rate': `${RATE} req/s`, uploads: UPLOADS.join('/') },
    // Only the operator knows whether something else shared the machine (a load average also counts the
    // benchmark's own previous runs): --preliminary marks such a run; the load at start is recorded.
    preliminary: process.argv.includes('--preliminary'),
    http: [],
    uploads: [],
    cold: [],
    e2e: [],
    extraction: [],
    profiles: [],
    notes: [],
  };
  log(`machine: ${report.machine.nproc} cores, ${report.machine.cpu}, load ${report.machine['load average (1/5/15 min) at start']}`);
  const needsService = ['cold', 'get', 'list', 'create', 'rate', 'upload', 'e2e'].some((s) => ONLY.has(s as Scenario)) || PROFILE;
  const needAgreement = ONLY.has('rules') || ONLY.has('e2e') || ONLY.has('pdf');
  const agreement = needAgreement ? generateAgreement(300) : undefined;
  if (agreement) log(`generated a ${agreement.pages.length}-page agreement`);

  if (needsService) {
    const entry = buildService(log);
    const bare = await startBare();
    children.add(bare);
    // The end-to-end run needs the extraction and booking-sheet routes; it is skipped with a note until they exist.
    let e2eAgreement: { pdf: Buffer; pages: number } | undefined;
    if (ONLY.has('e2e') && agreement) {
      const probe = tempDir('cls-bench-probe-');
      const s = await startService({ entry, store: { kind: 'pglite' }, dataDir: probe.path, workerMode: 'off', env: { DOCS_ENABLED: 'true' } });
      let doc: { paths?: Record<string, unknown> } = {};
      for (let attempt = 0; attempt < 20 && !doc.paths; attempt++) {
        const res = await fetch(`${s.url}/openapi.json`);
        doc = (await res.json()) as typeof doc;
        if (!doc.paths) {
          log(`probe: /openapi.json answered ${res.status}; retrying`);
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
      await s.stop();
      probe.remove();
      const paths = doc.paths ?? {};
      const have = ['/api/v1/loan-bookings/{id}/extractions', '/api/v1/loan-bookings/{id}/extractions/{runId}', '/api/v1/loan-bookings/{id}/booking-sheet'].every((p) => p in paths);
      if (have) {
        const { makeTextPdf } = await import('../test/helpers/fixtures.js');
        const pages = QUICK ? agreement.pages.slice(0, 60) : agreement.pages;
        e2eAgreement = { pdf: makeTextPdf(pages.map((p) => p.split('\n').slice(0, 64).join('\n'))), pages: pages.length };
      }
    }
    for (const store of STORES) {
      if (store === 'postgres' && !(await postgresAvailable())) {
        report.notes.push('PostgreSQL scenarios skipped: no server answered at BENCH_POSTGRES_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres).');
        continue;
      }
      log(`--- ${store}`);
      await runStore(store, entry, bare, report, e2eAgreement);
      for (const fn of cleanups.splice(0).reverse()) await Promise.resolve(fn()).catch((err: unknown) => log(`cleanup failed: ${String(err)}`));
    }
    await bare.stop();
    children.delete(bare);
  }

  if (ONLY.has('rules') && agreement) {
    report.rules = benchRules(agreement, QUICK ? 3 : 6);
    log(`rules: ${report.rules.pages} pages in ${fmtMs(report.rules.medianMs)} ms (first ${fmtMs(report.rules.firstMs)} ms), ${report.rules.correct}/${report.rules.labelled} fields right`);
  }
  if ((ONLY.has('pdf') && agreement) || ONLY.has('ocr')) {
    const dir = tempDir('cls-bench-extract-');
    cleanups.push(() => dir.remove());
    if (ONLY.has('pdf') && agreement) {
      const r = await benchTextPdf(dir.path, agreement, QUICK ? 50 : 300);
      report.extraction.push(r);
      log(`text PDF: ${r.pages} pages, ${r.pagesPerSecond.toFixed(1)} pages/s`);
    }
    if (ONLY.has('ocr')) {
      const r = await benchOcrPdf(dir.path, QUICK ? 2 : 6);
      report.extraction.push(r);
      log(`OCR: ${r.pages} pages, ${r.pagesPerSecond.toFixed(2)} pages/s`);
    }
  }

  await shutdown();
  const md = markdown(report);
  console.log(`\n${md}`);
  const resultsDir = path.join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const json = path.join(resultsDir, `bench-${report.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(json, JSON.stringify(report, null, 2));
  log(`raw results: ${path.relative(ROOT, json)}`);
  if (WRITE) {
    writeDoc(md);
    log('docs/benchmarks.md updated');
  }
}

main()
  .then(() => process.exit(0))
  .catch(async (err: unknown) => {
    console.error('bench failed:', err instanceof Error ? err.stack : err);
    await shutdown();
    process.exit(1);
  });
