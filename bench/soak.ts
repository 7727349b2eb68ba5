/**
 * `npm run soak`: the service under a steady mix of reads, writes and uploads at about 70% of the
 * capacity measured at the start of the same run, for --minutes (default 10). Reports errors, the
 * slope of resident memory and event-loop delay over the run, and handles, sockets and database
 * connections before and after (at rest). Loopback only; stops by itself.
 *
 * Flags: --minutes=N, --store=pglite|postgres, --rate=N (req/s instead of 70% of measured capacity),
 * --connections=N, --no-write, --preliminary (something else shared the machine). Results: console,
 * bench/results/soak-<date>.json, docs/reliability.md.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { runLoad, type LoadResult } from './lib/load.js';
import {
  ROOT,
  buildService,
  createBenchDatabase,
  memoryOf,
  signIn,
  socketCount,
  startService,
  tempDir,
  type Service,
} from './lib/processes.js';
import { MiB, fmtBytes, fmtMs, slope } from './lib/stats.js';
import { uploadText } from './lib/upload.js';

function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}
const MINUTES = Number(flag('minutes') ?? 10);
const STORE = (flag('store') ?? 'pglite') as 'pglite' | 'postgres';
const CONNECTIONS = Number(flag('connections') ?? 10);
const FIXED_RATE = flag('rate') ? Number(flag('rate')) : undefined;
const WRITE = !process.argv.includes('--no-write');
const SAMPLE_EVERY_MS = 10_000;
// Read before anything starts (the soak's own load would count at the end); whether something else
// shared the machine only the operator knows: --preliminary marks such a run.
const LOAD_AT_START = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const UPLOAD_BYTES = 256 * 1024;
const log = (s: string) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${s}`);

interface Sample {
  minute: number;
  rss: number;
  eventLoopP99Ms: number;
  handles: number;
  sockets: number;
}

interface AtRest {
  rss: number;
  handles: number;
  sockets: number;
  dbConnections: number | undefined;
}

/** A few values from the service's own Prometheus metrics (prom-client default metrics). */
async function scrape(service: Service): Promise<{ eventLoopP99Ms: number; handles: number }> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? 'NaN');
  return { eventLoopP99Ms: value('nodejs_eventloop_lag_p99_seconds') * 1000, handles: value('nodejs_active_handles_total') };
}

async function dbConnections(url: string | undefined): Promise<number | undefined> {
  if (!url) return undefined;
  const name = new URL(url).pathname.slice(1);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>('select count(*)::text as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
    return Number(r.rows[0]!.n);
  } finally {
    await c.end();
  }
}

async function atRest(service: Service, dbUrl: string | undefined, baseline?: AtRest): Promise<AtRest> {
  // Idle keep-alive sockets of the load generator close on the client's idle timeout (5 s for Node's
  // agent): wait for them, up to 15 s, so that what remains open is what the service kept.
  await new Promise((r) => setTimeout(r, 3000));
  const until = Date.now() + 12_000;
  while (baseline && socketCount(service.pid) > baseline.sockets && Date.now() < until) await new Promise((r) => setTimeout(r, 500));
  const m = await scrape(service);
  return { rss: memoryOf(service.pid).rss, handles: m.handles, sockets: socketCount(service.pid), dbConnections: await dbConnections(dbUrl) };
}

async function main(): Promise<void> {
  const started = new Date();
  const watchdog = setTimeout(() => {
    console.error('soak: exceeded its time budget; stopping');
    process.exit(2);
  }, (MINUTES + 15) * 60_000);
  watchdog.unref();

  const entry = buildService(log);
  const db = STORE === 'postgres' ? await createBenchDatabase() : undefined;
  const data = tempDir('cls-soak-');
  const service = await startService({
    entry,
    store: db ? { kind: 'postgres', url: db.url } : { kind: 'pglite' },
    dataDir: data.path,
    workerMode: 'off',
  });
  const cleanup = async () => {
    await service.stop().catch(() => undefined);
    await db?.drop().catch(() => undefined);
    data.remove();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().finally(() => process.exit(130)));

  try {
    const auth = await signIn(service);
    const headers = { authorization: auth };
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${service.url}/api/v1/loan-bookings`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ customer_name: `Soak Customer ${i} Ltd`, product_id: 'term-loans' }),
      });
      ids.push(((await res.json()) as { id: string }).id);
    }
    const target = ids[0]!;
    const createBody = JSON.stringify({ customer_name: 'Soak Created Holdings', product_id: 'term-loans', notes: 'soak' });
    const streams = (durationSec: number, rates?: { read: number; list: number; write: number }) => [
      runLoad({ url: `${service.url}/api/v1/loan-bookings/${target}`, headers, connections: Math.max(1, Math.round(CONNECTIONS * 0.4)), durationSec, ok: [200], ...(rates ? { overallRate: rates.read } : {}) }),
      runLoad({ url: `${service.url}/api/v1/loan-bookings?limit=20`, headers, connections: Math.max(1, Math.round(CONNECTIONS * 0.3)), durationSec, ok: [200], ...(rates ? { overallRate: rates.list } : {}) }),
      runLoad({ url: `${service.url}/api/v1/loan-bookings`, method: 'POST', headers, body: createBody, connections: Math.max(1, Math.round(CONNECTIONS * 0.3)), durationSec, ok: [201], ...(rates ? { overallRate: rates.write } : {}) }),
    ];

    // Capacity of this mix on this machine now (closed loop), then the soak at 70% of it.
    log('measuring capacity (15 s, closed loop)');
    const capacityRuns = await Promise.all(streams(15));
    const capacity = capacityRuns.reduce((n, r) => n + r.rps, 0);
    const rate = FIXED_RATE ?? Math.max(10, Math.round(capacity * 0.7));
    const uploadRate = Math.max(0.5, rate * 0.01);
    const rates = { read: Math.round(rate * 0.4), list: Math.round(rate * 0.3), write: Math.max(1, Math.round(rate * 0.28)) };
    log(`capacity ${capacity.toFixed(0)} req/s; soaking at ${rate} req/s (reads ${rates.read}, lists ${rates.list}, creates ${rates.write}, uploads ${uploadRate.toFixed(1)}/s of ${fmtBytes(UPLOAD_BYTES)}) for ${MINUTES} min`);

    const before = await atRest(service, db?.url);
    log(`at rest before: RSS ${fmtBytes(before.rss)}, handles ${before.handles}, sockets ${before.sockets}, db connections ${before.dbConnections ?? 'n/a'}`);

    const durationSec = Math.round(MINUTES * 60);
    const t0 = Date.now();
    const samples: Sample[] = [];
    const sampler = setInterval(() => {
      void scrape(service)
        .then((m) => {
          samples.push({ minute: (Date.now() - t0) / 60_000, rss: memoryOf(service.pid).rss, eventLoopP99Ms: m.eventLoopP99Ms, handles: m.handles, sockets: socketCount(service.pid) });
        })
        .catch(() => undefined);
    }, SAMPLE_EVERY_MS);
    let uploads = 0;
    let uploadErrors = 0;
    // Uploads on a fixed schedule from up to four concurrent clients, so one slow upload does not lower the rate.
    const UPLOADERS = 4;
    const uploadLoop = Promise.all(
      Array.from({ length: UPLOADERS }, async (_, worker) => {
        const booking = ids[1 + worker]!;
        await new Promise((r) => setTimeout(r, (worker * 1000) / uploadRate));
        while (Date.now() - t0 < durationSec * 1000) {
          const began = Date.now();
          try {
            const r = await uploadText(`${service.url}/api/v1/loan-bookings/${booking}/documents`, auth, UPLOAD_BYTES, `soak-${worker}-${uploads}.txt`);
            uploads++;
            if (r.status !== 201) uploadErrors++;
          } catch {
            uploadErrors++;
          }
          await new Promise((r) => setTimeout(r, Math.max(0, (UPLOADERS * 1000) / uploadRate - (Date.now() - began))));
        }
      }),
    );
    const results: LoadResult[] = await Promise.all(streams(durationSec, rates));
    await uploadLoop;
    clearInterval(sampler);
    const after = await atRest(service, db?.url, before);
    log(`at rest after: RSS ${fmtBytes(after.rss)}, handles ${after.handles}, sockets ${after.sockets}, db connections ${after.dbConnections ?? 'n/a'}`);

    // The first fifth is warm-up (JIT, caches, pools filling); slopes are over the rest.
    const steady = samples.filter((s) => s.minute >= MINUTES * 0.2);
    const rssSlope = slope(steady.map((s) => ({ x: s.minute, y: s.rss / MiB })));
    const eldSlope = slope(steady.map((s) => ({ x: s.minute, y: s.eventLoopP99Ms })));
    const names = ['GET /api/v1/loan-bookings/{id}', 'GET /api/v1/loan-bookings?limit=20', 'POST /api/v1/loan-bookings'];
    const errors = results.reduce((n, r) => n + r.errors, 0) + uploadErrors;
    const requests = results.reduce((n, r) => n + r.requests, 0) + uploads;
    const lines: string[] = [];
    lines.push(
      `Results of \`npm run soak -- ${process.argv.slice(2).join(' ')}\` on ${started.toISOString()} (${STORE}, API process alone; machine load average at start ${LOAD_AT_START}${process.argv.includes('--preliminary') ? '; **preliminary (machine shared)**' : ''}).`,
      '',
      `Capacity of the mix measured first: ${capacity.toFixed(0)} req/s; soak rate ${rate} req/s (${((rate / capacity) * 100).toFixed(0)}%) plus ${uploadRate.toFixed(1)} uploads/s of ${fmtBytes(UPLOAD_BYTES)}, for ${MINUTES} min; achieved ${(results.reduce((n, r) => n + r.rps, 0)).toFixed(0)} req/s and ${(uploads / durationSec).toFixed(2)} uploads/s: **${requests.toLocaleString('en-US')} requests, ${errors} errors**.`,
      '',
      '| stream | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...results.map((r, i) => `| ${names[i]} | ${r.requests} | ${r.rps.toFixed(0)} | ${fmtMs(r.p50)} | ${fmtMs(r.p95)} | ${fmtMs(r.p99)} | ${fmtMs(r.max)} | ${r.errors} |`),
      `| uploads (${fmtBytes(UPLOAD_BYTES)}) | ${uploads} | ${(uploads / durationSec).toFixed(2)} | | | | | ${uploadErrors} |`,
      '',
      `Trends after the first ${Math.round(MINUTES * 0.2 * 60)} s (samples every ${SAMPLE_EVERY_MS / 1000} s, least squares): resident memory **${rssSlope >= 0 ? '+' : ''}${rssSlope.toFixed(2)} MiB/min** (from ${fmtBytes(steady[0]?.rss ?? NaN)} to ${fmtBytes(steady.at(-1)?.rss ?? NaN)}), event-loop delay p99 **${eldSlope >= 0 ? '+' : ''}${eldSlope.toFixed(3)} ms/min** (mean ${fmtMs(steady.reduce((n, s) => n + s.eventLoopP99Ms, 0) / Math.max(1, steady.length))} ms).`,
      '',
      '| at rest | resident memory | active handles | open sockets | database connections |',
      '| --- | ---: | ---: | ---: | ---: |',
      `| before the soak | ${fmtBytes(before.rss)} | ${before.handles} | ${before.sockets} | ${before.dbConnections ?? 'n/a (PGlite)'} |`,
      `| after the soak | ${fmtBytes(after.rss)} | ${after.handles} | ${after.sockets} | ${after.dbConnections ?? 'n/a (PGlite)'} |`,
      '',
    );
    const md = lines.join('\n');
    console.log(`\n${md}`);
    const resultsDir = path.join(ROOT, 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(path.join(resultsDir, `soak-${started.toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ capacity, rate, results, uploads, uploadErrors, before, after, samples, rssSlope, eldSlope }, null, 2));
    if (WRITE) {
      const file = path.join(ROOT, 'docs', 'reliability.md');
      // One block per store, so a PostgreSQL soak does not replace the PGlite one.
      const START = `<!-- soak:${STORE}:start -->`;
      const END = `<!-- soak:${STORE}:end -->`;
      const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
      const block = `${START}\n${md}\n${END}`;
      const lastSoakEnd = [...current.matchAll(/<!-- soak:[a-z]+:end -->/g)].at(-1);
      const next =
        current.includes(START) && current.includes(END)
          ? current.slice(0, current.indexOf(START)) + block + current.slice(current.indexOf(END) + END.length)
          : lastSoakEnd?.index !== undefined
            ? `${current.slice(0, lastSoakEnd.index + lastSoakEnd[0].length)}\n\n${block}${current.slice(lastSoakEnd.index + lastSoakEnd[0].length)}`
            : `${current || '# Reliability\n'}\n## Soak\n\nReproduce with \`npm run soak\` (flags at the top of bench/soak.ts).\n\n${block}\n`;
      writeFileSync(file, next);
      log('docs/reliability.md updated');
    }
  } finally {
    await cleanup();
  }
}

main()
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    console.error('soak failed:', err instanceof Error ? err.stack : err);
    process.exit(1);
  });
