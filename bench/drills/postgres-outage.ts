import path from 'node:path';
import pg from 'pg';
import { createPrivatePostgres, type PrivatePostgres } from '../../test/helpers/private-postgres.js';
import { adminToken, startServerProcess, type ServerProcess } from '../../test/helpers/server-process.js';
import { multipart } from '../../test/helpers/multipart.js';
import type { Drill, DrillCheck, DrillContext, DrillOutcome } from './types.js';

/**
 * PostgreSQL crashes (pg_ctl stop -m immediate) underneath the running service, stays down a few
 * seconds and comes back on the same port, while a writer keeps creating bookings and a prober
 * watches /health/ready. Measured: how fast readiness notices, how long requests take to fail, how
 * fast the service is ready again (no restart), and whether any acknowledged write went missing.
 */

const DB_CONNECT_TIMEOUT_MS = 1000;
const DB_STATEMENT_TIMEOUT_MS = 3000;
const HEALTH_CHECK_TIMEOUT_MS = 1000;
/** A request slower than this while the database is down counts as hung (connect + query limits + slack). */
const NO_HANG_BOUND_MS = DB_CONNECT_TIMEOUT_MS + DB_STATEMENT_TIMEOUT_MS + 1000 + 10_000;
const OUTAGE_MS = 4000;
const WRITERS = 4;

interface Answer {
  /** 0 when no answer came within NO_HANG_BOUND_MS (or the connection failed). */
  status: number;
  retryAfter: string | null;
  errorCode: string | undefined;
  dependency: string | undefined;
  id: string | undefined;
  startedAt: number;
  ms: number;
}

async function call(server: ServerProcess, token: string | undefined, method: string, url: string, body?: unknown, extra?: { raw: Buffer; headers: Record<string, string> }): Promise<Answer> {
  const startedAt = performance.now();
  const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(extra?.headers ?? {}) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    const res = await fetch(`${server.url}${url}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : extra ? { body: extra.raw } : {}),
      signal: AbortSignal.timeout(NO_HANG_BOUND_MS),
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      json = {};
    }
    const details = json.details as Record<string, unknown> | undefined;
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      errorCode: json.error_code as string | undefined,
      dependency: details?.dependency as string | undefined,
      id: typeof json.id === 'string' ? json.id : undefined,
      startedAt,
      ms: performance.now() - startedAt,
    };
  } catch {
    return { status: 0, retryAfter: null, errorCode: undefined, dependency: undefined, id: undefined, startedAt, ms: performance.now() - startedAt };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(fn: () => Promise<T | undefined>, timeoutMs: number, everyMs: number): Promise<T | undefined> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(everyMs);
  }
  return undefined;
}

const isDatabase503 = (a: Answer) => a.status === 503 && a.errorCode === 'DEPENDENCY_UNAVAILABLE' && a.dependency === 'database' && Number(a.retryAfter) > 0;

async function runOnce(ctx: DrillContext): Promise<DrillOutcome> {
  const checks: DrillCheck[] = [];
  const figures: Record<string, number> = {};
  const check = (name: string, ok: boolean, detail?: string) => checks.push({ name, ok, ...(detail ? { detail } : {}) });
  let cluster: PrivatePostgres | undefined;
  let server: ServerProcess | undefined;
  try {
    cluster = await createPrivatePostgres();
    await cluster.start();
    server = await startServerProcess({
      dataDir: path.join(ctx.workDir, 'data'),
      cwd: ctx.workDir,
      env: {
        DATABASE_URL: cluster.url,
        DATABASE_CONNECT_TIMEOUT_MS: String(DB_CONNECT_TIMEOUT_MS),
        DATABASE_STATEMENT_TIMEOUT_MS: String(DB_STATEMENT_TIMEOUT_MS),
        HEALTH_CHECK_TIMEOUT_MS: String(HEALTH_CHECK_TIMEOUT_MS),
        WORKER_MODE: 'embedded',
      },
    });
    const srv = server;
    const pid = srv.child.pid;
    const token = await adminToken(srv.url);
    const tag = `${ctx.run}${Date.now().toString(36)}`;

    // Acknowledged before the crash.
    const acked: { id: string; name: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const name = `Drill Before ${tag} ${i}`;
      const a = await call(srv, token, 'POST', '/api/v1/loan-bookings', { customer_name: name, product_id: 'term-loans' });
      if (a.status === 201 && a.id) acked.push({ id: a.id, name });
    }
    figures['acknowledged writes before the stop'] = acked.length;
    check('the service takes writes before the stop', acked.length === 20, `${acked.length} of 20`);

    // A writer and a readiness prober run through the whole outage.
    let running = true;
    const writes: (Answer & { name: string })[] = [];
    let seq = 0;
    const writers = Array.from({ length: WRITERS }, async () => {
      while (running) {
        const name = `Drill Writer ${tag} ${seq++}`;
        writes.push({ ...(await call(srv, token, 'POST', '/api/v1/loan-bookings', { customer_name: name, product_id: 'term-loans' })), name });
        await sleep(20);
      }
    });
    const readiness: Answer[] = [];
    const liveness: Answer[] = [];
    const prober = (async () => {
      while (running) {
        readiness.push(await call(srv, undefined, 'GET', '/health/ready'));
        liveness.push(await call(srv, undefined, 'GET', '/health/live'));
        await sleep(50);
      }
    })();
    await sleep(1000);

    const stopAt = performance.now();
    await cluster.stop('immediate');
    const stoppedAt = performance.now();
    figures['ms pg_ctl stop -m immediate took'] = Math.round(stoppedAt - stopAt);
    const first503 = await until(async () => readiness.find((r) => r.startedAt >= stopAt && r.status === 503), 30_000, 20);
    figures['ms from the stop until /health/ready answers 503'] = first503 ? Math.round(first503.startedAt + first503.ms - stopAt) : -1;
    check('/health/ready answers 503 naming the database', !!first503 && first503.errorCode === 'DEPENDENCY_UNAVAILABLE');

    // Reads and writes while it is down.
    const probes: Answer[] = [];
    const probeUntil = performance.now() + OUTAGE_MS;
    while (performance.now() < probeUntil) {
      probes.push(await call(srv, token, 'GET', '/api/v1/loan-bookings?limit=5'));
      probes.push(await call(srv, token, 'GET', `/api/v1/loan-bookings/${acked[0]?.id ?? '0'}`));
      const mp = multipart([{ name: 'outage.txt', type: 'text/plain', data: Buffer.from('Sent while the database was down.') }]);
      probes.push(await call(srv, token, 'POST', `/api/v1/loan-bookings/${acked[0]?.id ?? '0'}/documents`, undefined, { raw: mp.payload, headers: mp.headers }));
      await sleep(100);
    }
    const startAt = performance.now();
    const outageWrites = writes.filter((w) => w.startedAt >= stoppedAt && w.startedAt + w.ms <= startAt);
    const outageAnswers = [...probes, ...outageWrites];
    figures['requests answered during the outage'] = outageAnswers.length;
    figures['slowest request during the outage ms'] = Math.round(Math.max(0, ...outageAnswers.map((a) => a.ms)));
    const wrong = outageAnswers.filter((a) => !isDatabase503(a));
    check('every request during the outage: 503 DEPENDENCY_UNAVAILABLE (database) with Retry-After', wrong.length === 0, wrong.length ? `${wrong.length} other answers: ${[...new Set(wrong.map((a) => a.status))].join(',')}` : undefined);
    const hung = outageAnswers.filter((a) => a.status === 0);
    check(`no request hangs (all answered within ${NO_HANG_BOUND_MS} ms)`, hung.length === 0, hung.length ? `${hung.length} without an answer` : undefined);

    await cluster.start();
    const pgBackAt = performance.now();
    const ready = await until(async () => {
      const r = await call(srv, undefined, 'GET', '/health/ready');
      return r.status === 200 ? r : undefined;
    }, 120_000, 50);
    const readyAt = performance.now();
    figures['ms from the start until /health/ready answers 200'] = ready ? Math.round(readyAt - startAt) : -1;
    figures['ms from PostgreSQL accepting connections until ready 200'] = ready ? Math.round(readyAt - pgBackAt) : -1;
    check('ready again without restarting the service', !!ready && srv.child.pid === pid && srv.child.exitCode === null);
    await sleep(1000);
    running = false;
    await Promise.all([...writers, prober]);

    const down = liveness.filter((l) => l.status !== 200);
    check('/health/live stays 200 throughout', down.length === 0, down.length ? `${down.length} non-200 answers` : undefined);
    const all5xx = [...writes, ...readiness].filter((a) => a.status >= 500 && a.status !== 503);
    const unanswered = writes.filter((w) => w.status === 0);
    check('no 500 and no hang among the writer\'s requests', all5xx.length === 0 && unanswered.length === 0, `${all5xx.length} 5xx other than 503, ${unanswered.length} without an answer`);

    // Durability: every 201 is there; nothing answered 503 was stored.
    const writerAcked = writes.filter((w) => w.status === 201 && w.id).map((w) => ({ id: w.id!, name: w.name }));
    const refused = writes.filter((w) => w.status === 503).map((w) => w.name);
    const everyAcked = [...acked, ...writerAcked];
    const client = new pg.Client({ connectionString: cluster.url, connectionTimeoutMillis: 10_000 });
    await client.connect();
    let found = 0;
    let refusedStored = 0;
    try {
      found = (await client.query<{ n: number }>('select count(*)::int as n from loan_bookings where id = any($1) and deleted_at is null', [everyAcked.map((a) => a.id)])).rows[0]!.n;
      refusedStored = (await client.query<{ n: number }>('select count(*)::int as n from loan_bookings where customer_name = any($1)', [refused])).rows[0]!.n;
    } finally {
      await client.end();
    }
    figures['acknowledged writes in total'] = everyAcked.length;
    figures['acknowledged writes found after recovery'] = found;
    figures['acknowledged writes lost'] = everyAcked.length - found;
    figures['writes answered 503'] = refused.length;
    figures['writes answered 503 but stored'] = refusedStored;
    check('no acknowledged write is lost', found === everyAcked.length, `${found} of ${everyAcked.length}`);
    check('a write answered 503 left nothing behind', refusedStored === 0, `${refusedStored} of ${refused.length} stored`);

    // New writes and the job queue work again.
    const fresh = await call(srv, token, 'POST', '/api/v1/loan-bookings', { customer_name: `Drill After ${tag}`, product_id: 'term-loans' });
    check('a new write after recovery is acknowledged', fresh.status === 201, `status ${fresh.status}`);
    if (fresh.id) {
      const mp = multipart([{ name: 'term-sheet.txt', type: 'text/plain', data: Buffer.from('TERM SHEET\n\nIndicative terms after recovery.') }]);
      const uploadedAt = performance.now();
      const res = await fetch(`${srv.url}/api/v1/loan-bookings/${fresh.id}/documents`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...mp.headers }, body: mp.payload });
      const docId = res.status === 201 ? ((await res.json()) as { items: { id: string }[] }).items[0]?.id : undefined;
      const status = docId
        ? await until(async () => {
            const d = await fetch(`${srv.url}/api/v1/documents/${docId}`, { headers: { authorization: `Bearer ${token}` } });
            const s = ((await d.json()) as { status: string }).status;
            return s === 'processed' || s === 'failed' ? s : undefined;
          }, 60_000, 100)
        : undefined;
      figures['ms for a document uploaded after recovery to be processed'] = status ? Math.round(performance.now() - uploadedAt) : -1;
      check('the worker processes a document uploaded after recovery', status === 'processed', `upload ${res.status}, status ${status ?? 'not processed in 60 s'}`);
    }
    ctx.log(`outage: ${outageAnswers.length} requests, ${writes.length} writer requests, ${everyAcked.length} acknowledged`);
    return { checks, figures };
  } finally {
    await server?.stop().catch(() => undefined);
    await cluster?.remove().catch(() => undefined);
  }
}

export const drill: Drill = {
  id: 'postgres-outage',
  title: 'PostgreSQL crashes (stop -m immediate) under the running service for a few seconds and starts again on the same port, with writes in flight',
  run: runOnce,
};
