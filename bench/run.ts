/**
 * `npm run bench`: loopback-only, bounded benchmarks of the real app, each next to a bare Fastify route
 * answering a constant in the same run (the ratio survives a noisy machine). Writes docs/benchmarks.md.
 * Flags: --quick (short runs), --full (adds the 1 GiB upload).
 */
import { cpus, totalmem, tmpdir } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync, createWriteStream, readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Fastify from 'fastify';
import autocannon from 'autocannon';
import pg from 'pg';
import { loadConfig } from '../src/config/index.js';
import { buildApp, type App } from '../src/app.js';
import { newId } from '../src/lib/ids.js';
import { runRules } from '../src/modules/extraction/engines/rules/index.js';

const QUICK = process.argv.includes('--quick');
const FULL = process.argv.includes('--full');
const DURATION = QUICK ? 3 : 10;
const RUNS = QUICK ? 1 : 3;
const CONNECTIONS = 10;

interface Result {
  name: string;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** One autocannon run, latencies collected per response so p95 is exact. */
async function cannon(url: string, headers: Record<string, string>, opts: { overallRate?: number; method?: 'GET' | 'POST'; body?: string } = {}): Promise<Result> {
  const latencies: number[] = [];
  const instance = autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    headers,
    method: opts.method ?? 'GET',
    ...(opts.body ? { body: opts.body } : {}),
    ...(opts.overallRate ? { overallRate: opts.overallRate } : {}),
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => latencies.push(responseTime));
  const result = await instance;
  latencies.sort((a, b) => a - b);
  return {
    name: '',
    rps: result.requests.average,
    p50: pct(latencies, 50),
    p95: pct(latencies, 95),
    p99: pct(latencies, 99),
    errors: result.errors + result.non2xx,
  };
}

async function best(name: string, fn: () => Promise<Result>): Promise<Result> {
  const runs: Result[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await fn());
  return {
    name,
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p95: median(runs.map((r) => r.p95)),
    p99: median(runs.map((r) => r.p99)),
    errors: runs.reduce((a, r) => a + r.errors, 0),
  };
}

function benchEnv(dataDir: string, extra: Record<string, string>) {
  return {
    APP_ENV: 'test',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    AUTH_JWT_SECRET: 'bench-secret-0123456789-abcdefghijklmnop',
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_UPLOAD_PER_MINUTE: '10000',
    WORKER_MODE: 'off',
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
    UPLOAD_MAX_FILE_BYTES: String(2 * 1024 ** 3),
    ...extra,
  };
}

async function startApp(env: Record<string, string>): Promise<{ app: App; base: string; auth: string; bookingId: string }> {
  const config = loadConfig({ env, envFile: false });
  const app = await buildApp(config);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const now = new Date();
  const user = await app.services.stores.auth.createUser({
    id: newId(), tenantId: 'bench', email: `${newId()}@bench.example`, displayName: 'Bench', roles: ['analyst'], passwordHash: null,
    active: true, failedLoginCount: 0, lockedUntil: null, passwordChangedAt: null, createdAt: now, updatedAt: now, version: 1,
  });
  const { token } = await app.services.tokens.issueAccessToken({ userId: user.id, tenantId: 'bench', roles: ['analyst'] });
  const auth = `Bearer ${token}`;
  let bookingId = '';
  for (let i = 0; i < 60; i++) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/loan-bookings', headers: { authorization: auth }, payload: { customer_name: `Bench Customer ${i}`, product_id: 'term-loans' } });
    bookingId = res.json<{ id: string }>().id;
  }
  return { app, base, auth, bookingId };
}

async function httpScenarios(label: string, env: Record<string, string>, bare: string): Promise<Result[]> {
  const { app, base, auth, bookingId } = await startApp(env);
  try {
    const headers = { authorization: auth };
    const out: Result[] = [];
    out.push(await best(`${label}: GET /api/v1/loan-bookings/{id}`, () => cannon(`${base}/api/v1/loan-bookings/${bookingId}`, headers)));
    out.push(await best(`${label}: GET /api/v1/loan-bookings?limit=20`, () => cannon(`${base}/api/v1/loan-bookings?limit=20`, headers)));
    out.push(
      await best(`${label}: POST /api/v1/loan-bookings`, () =>
        cannon(`${base}/api/v1/loan-bookings`, { ...headers, 'content-type': 'application/json' }, { method: 'POST', body: JSON.stringify({ customer_name: 'Acme Holdings', product_id: 'term-loans' }) }),
      ),
    );
    out.push(await best(`${label}: GET by id at a fixed 1,000 req/s`, () => cannon(`${base}/api/v1/loan-bookings/${bookingId}`, headers, { overallRate: 1000 })));
    void bare;
    return out;
  } finally {
    await app.close();
  }
}

/** Streams `bytes` of text as one multipart file to the upload route; returns MB/s and peak RSS growth. */
async function uploadScenario(bytes: number, dataDir: string): Promise<{ mbps: number; rssGrowthMiB: number; diskMbps: number }> {
  const { app, base, auth, bookingId } = await startApp(benchEnv(dataDir, {}));
  try {
    const line = Buffer.from('The Borrower shall repay the Loans in full on the Maturity Date together with accrued interest.\n');
    async function* body(boundary: string): AsyncGenerator<Buffer> {
      yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n`);
      const chunk = Buffer.concat(Array.from({ length: Math.ceil(65536 / line.length) }, () => line)).subarray(0, 65536);
      let sent = 0;
      while (sent < bytes) {
        const n = Math.min(chunk.length, bytes - sent);
        yield n === chunk.length ? chunk : chunk.subarray(0, n);
        sent += n;
      }
      yield Buffer.from(`\r\n--${boundary}--\r\n`);
    }
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const boundary = `bench${newId()}`;
    const started = performance.now();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/api/v1/loan-bookings/${bookingId}/documents`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      Readable.from(body(boundary)).pipe(req);
    });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    if (status !== 201) throw new Error(`upload answered ${status}`);
    const diskFile = path.join(dataDir, 'plain-write.bin');
    const diskStarted = performance.now();
    await pipeline(Readable.from(body(boundary)), createWriteStream(diskFile));
    const diskSeconds = (performance.now() - diskStarted) / 1000;
    rmSync(diskFile, { force: true });
    return { mbps: bytes / 1024 ** 2 / seconds, rssGrowthMiB: (peak - rssBefore) / 1024 ** 2, diskMbps: bytes / 1024 ** 2 / diskSeconds };
  } finally {
    await app.close();
  }
}

function rulesScenario(): { pages: number; chars: number; ms: number } {
  const corpus = path.resolve('eval/corpus');
  const longest = readdirSync(corpus)
    .filter((f) => f.endsWith('.txt'))
    .map((f) => readFileSync(path.join(corpus, f), 'utf8'))
    .sort((a, b) => b.length - a.length)[0]!;
  const basePages = longest.split('\f');
  const pages: string[] = [];
  while (pages.length < 300) pages.push(...basePages);
  const input = pages.slice(0, 300).map((text, i) => ({ documentId: newId(), documentName: 'agreement.txt', page: i + 1, text }));
  const times: number[] = [];
  return {
    pages: 300,
    chars: input.reduce((a, p) => a + p.text.length, 0),
    ms: (() => {
      for (let i = 0; i < (QUICK ? 2 : 5); i++) {
        const t = performance.now();
        runRules({ schemaName: 'credit_agreement', pages: input });
        times.push(performance.now() - t);
      }
      return median(times);
    })(),
  };
}

async function main(): Promise<void> {
  const dataRoot = mkdtempSync(path.join(tmpdir(), 'cls-bench-'));
  const bareApp = Fastify({ logger: false });
  bareApp.get('/bare', async () => ({ ok: true }));
  await bareApp.listen({ host: '127.0.0.1', port: 0 });
  const bareAddr = bareApp.server.address();
  const bare = `http://127.0.0.1:${typeof bareAddr === 'object' && bareAddr ? bareAddr.port : 0}/bare`;
  const results: Result[] = [];
  const bareResult = await best('bare Fastify route (constant)', () => cannon(bare, {}));
  const bareFixed = await best('bare route at a fixed 1,000 req/s', () => cannon(bare, {}, { overallRate: 1000 }));
  results.push(bareResult, bareFixed);

  results.push(...(await httpScenarios('PGlite', benchEnv(path.join(dataRoot, 'pglite'), {}), bare)));

  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  let pgNote = '';
  try {
    await admin.connect();
    const db = `cls_bench_${newId().replace(/-/g, '').slice(0, 16)}`;
    await admin.query(`create database ${db}`);
    try {
      results.push(...(await httpScenarios('PostgreSQL', benchEnv(path.join(dataRoot, 'pg'), { DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${db}` }), bare)));
    } finally {
      await admin.query(`drop database if exists ${db} with (force)`);
    }
  } catch (err) {
    pgNote = `PostgreSQL scenarios skipped: ${(err as Error).message}`;
  } finally {
    await admin.end().catch(() => undefined);
  }
  await bareApp.close();

  const rules = rulesScenario();
  const uploads: { size: string; r: Awaited<ReturnType<typeof uploadScenario>> }[] = [];
  for (const [size, bytes] of [['1 MiB', 1024 ** 2], ['100 MiB', 100 * 1024 ** 2], ...(FULL ? [['1 GiB', 1024 ** 3] as const] : [])] as const) {
    uploads.push({ size, r: await uploadScenario(bytes, path.join(dataRoot, `upload-${size.replace(' ', '')}`)) });
  }
  rmSync(dataRoot, { recursive: true, force: true });

  const cpu = cpus()[0]?.model ?? 'unknown';
  const lines: string[] = [];
  lines.push('# Benchmarks', '');
  lines.push(`Date: ${new Date().toISOString()}  `);
  lines.push(`Machine: ${cpus().length} cores (${cpu}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Node ${process.version}  `);
  lines.push(`Command: \`npm run bench${QUICK ? ' -- --quick' : ''}${FULL ? ' -- --full' : ''}\` (${CONNECTIONS} connections, ${DURATION} s per run, median of ${RUNS} run(s); loopback only)`, '');
  lines.push('## HTTP (authenticated, rate limits raised, logs off)', '');
  lines.push('| scenario | req/s | ratio to bare | p50 ms | p95 ms | p99 ms | errors |', '|---|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const ratio = r.name.includes('fixed') ? '' : (r.rps / bareResult.rps).toFixed(2);
    lines.push(`| ${r.name} | ${r.rps.toFixed(0)} | ${ratio} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} |`);
  }
  if (pgNote) lines.push('', pgNote);
  lines.push('', '## Rules extraction engine', '');
  lines.push(`300-page agreement (${rules.chars.toLocaleString('en-US')} characters, credit_agreement schema): median ${rules.ms.toFixed(0)} ms (target < 1,000 ms).`, '');
  lines.push('## Uploads (streamed text file, PGlite + local disk)', '');
  lines.push('| size | upload MB/s | plain Node write MB/s | ratio | peak RSS growth MiB |', '|---|---:|---:|---:|---:|');
  for (const u of uploads) lines.push(`| ${u.size} | ${u.r.mbps.toFixed(0)} | ${u.r.diskMbps.toFixed(0)} | ${(u.r.mbps / u.r.diskMbps).toFixed(2)} | ${u.r.rssGrowthMiB.toFixed(1)} |`);
  lines.push('', 'RSS is the benchmark process (server and streaming client together); the client holds one 64 KiB chunk at a time.');
  writeFileSync('docs/benchmarks.md', `${lines.join('\n')}\n`);
  console.log(lines.join('\n'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
