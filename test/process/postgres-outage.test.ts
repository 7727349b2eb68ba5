import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, killAllServerProcesses, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { createPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import { multipart } from '../helpers/multipart.js';

/**
 * PostgreSQL stopped (as in a crash: immediate mode, no checkpoint) and started again underneath
 * the running service process. While it is down: /health/ready 503 naming the database, /health/live
 * 200, every request that needs it a prompt 503 DEPENDENCY_UNAVAILABLE with Retry-After (never a
 * 500, never a hang), and nothing half-written. Requests caught in flight by the stop end as a
 * success whose write is durable or a 503 that wrote nothing. Once it is back, the same process is
 * ready again by itself, every acknowledged write is there, and writes and the job queue work.
 */

// Short database timeouts: the bound on a failing request is derived from them, not measured.
const DB_CONNECT_TIMEOUT_MS = 1000;
const DB_STATEMENT_TIMEOUT_MS = 3000;
const HEALTH_CHECK_TIMEOUT_MS = 1000;
/**
 * Longest a request may take while the database is down before it counts as hung: waiting for a
 * connection (connect timeout) plus one query's client-side limit (statement timeout + 1 s), with
 * generous slack for a busy 2-core machine. Not a performance figure (those go to the drill).
 */
const NO_HANG_BOUND_MS = DB_CONNECT_TIMEOUT_MS + DB_STATEMENT_TIMEOUT_MS + 1000 + 10_000;

const workDir = mkdtempSync(path.join(tmpdir(), 'cls-pg-outage-'));
let cluster: PrivatePostgres;
let server: ServerProcess;
let token: string;
const run = randomBytes(3).toString('hex');

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown> | undefined;
  ms: number;
}

/** One request, refused as "hung" if it does not answer within NO_HANG_BOUND_MS. */
async function call(method: string, url: string, opts: { body?: unknown; headers?: Record<string, string>; rawBody?: Buffer; auth?: boolean } = {}): Promise<Answer> {
  const started = performance.now();
  const headers: Record<string, string> = { ...(opts.auth === false ? {} : { authorization: `Bearer ${token}` }), ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${server.url}${url}`, {
      method,
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : opts.rawBody ? { body: opts.rawBody } : {}),
      signal: AbortSignal.timeout(NO_HANG_BOUND_MS),
    });
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') throw new Error(`${method} ${url}: no answer within ${NO_HANG_BOUND_MS} ms (hung)`, { cause: err });
    // A refused or dropped connection: give a dying service a moment to be seen as such.
    await Promise.race([server.exited, new Promise((r) => setTimeout(r, 1000))]);
    const exit = server.child.exitCode ?? server.child.signalCode;
    throw new Error(`${method} ${url}: ${String((err as Error).cause ?? err)}; the service ${exit === null ? 'is running' : `exited (${exit}): ${server.stderr().slice(-2000)}`}`, { cause: err });
  }
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    json = { unparsed: text };
  }
  return { status: res.status, headers: res.headers, json, ms: performance.now() - started };
}

const createBooking = (name: string, idempotencyKey?: string) =>
  call('POST', '/api/v1/loan-bookings', { body: { customer_name: name, product_id: 'term-loans' }, ...(idempotencyKey ? { headers: { 'idempotency-key': idempotencyKey } } : {}) });

/** The 503 every database-bound request must get during the outage. */
function expectDatabaseUnavailable(a: Answer, what: string): void {
  const ctx = `${what}: ${a.status} ${JSON.stringify(a.json)}`;
  expect(a.status, ctx).toBe(503);
  expect(a.headers.get('content-type'), ctx).toMatch(/^application\/problem\+json/);
  expect(a.json, ctx).toMatchObject({ status: 503, error_code: 'DEPENDENCY_UNAVAILABLE', details: { dependency: 'database' } });
  expect(Number(a.headers.get('retry-after')), ctx).toBeGreaterThan(0);
  // A 5xx never carries the driver's message (host, port, SQL).
  expect(JSON.stringify(a.json), ctx).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|terminat|insert into/i);
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A connection of the test's own to the private cluster (it dies with the stop; errors are expected then). */
async function adminClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: cluster.url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function countByName(client: pg.Client, names: string[]): Promise<number> {
  const r = await client.query<{ n: number }>('select count(*)::int as n from loan_bookings where customer_name = any($1)', [names]);
  return r.rows[0]!.n;
}

/** Sessions of the service waiting on a lock with a statement that starts with `prefix`. */
async function waitingOnLock(client: pg.Client, prefix: string): Promise<number> {
  const r = await client.query<{ n: number }>(
    `select count(*)::int as n from pg_stat_activity where application_name = 'commercial-loan-service' and wait_event_type = 'Lock' and query like $1`,
    [`${prefix}%`],
  );
  return r.rows[0]!.n;
}

beforeAll(async () => {
  cluster = await createPrivatePostgres();
  await cluster.start();
  server = await startServerProcess({
    dataDir: path.join(workDir, 'data'),
    cwd: workDir,
    env: {
      DATABASE_URL: cluster.url,
      DATABASE_CONNECT_TIMEOUT_MS: String(DB_CONNECT_TIMEOUT_MS),
      DATABASE_STATEMENT_TIMEOUT_MS: String(DB_STATEMENT_TIMEOUT_MS),
      HEALTH_CHECK_TIMEOUT_MS: String(HEALTH_CHECK_TIMEOUT_MS),
      WORKER_MODE: 'embedded',
    },
  });
  token = await adminToken(server.url);
}, 180_000);

afterAll(async () => {
  killAllServerProcesses();
  await cluster?.remove();
  rmSync(workDir, { recursive: true, force: true });
});

describe('PostgreSQL stopped and started again under the running service', () => {
  const acked: { id: string; name: string }[] = [];
  const outageNames: string[] = [];
  let inFlightWritten: { name: string; id?: string; answer?: Answer };
  let inFlightUnwritten: { name: string; answer?: Answer };
  let readerAnswers: number[] = [];
  let outageBooking: string;

  it('before: ready, and writes are acknowledged', async () => {
    const ready = await call('GET', '/health/ready', { auth: false });
    expect(ready.status, JSON.stringify(ready.json)).toBe(200);
    expect(ready.json).toMatchObject({ status: 'ready', checks: { database: { status: 'up' } } });
    for (let i = 0; i < 8; i++) {
      const name = `Acked Corp ${run} ${i}`;
      const a = await createBooking(name);
      expect(a.status, JSON.stringify(a.json)).toBe(201);
      acked.push({ id: a.json!.id as string, name });
    }
    outageBooking = acked[0]!.id;
  });

  it('in flight at the stop: a request whose write had committed answers 201 and the write is durable; one whose write had not answers 503 and writes nothing', async () => {
    const locker = await adminClient();
    const rowLocker = await adminClient();
    const observer = await adminClient();
    try {
      // X: its booking insert commits, then the Idempotency-Key record that follows waits on a row
      // lock, so the stop lands between the committed write and the end of the request.
      inFlightWritten = { name: `Inflight Written ${run}` };
      const keyX = `outage-x-${run}`;
      await locker.query('begin');
      await locker.query('lock table loan_bookings in exclusive mode');
      const x = createBooking(inFlightWritten.name, keyX);
      await until('X to wait on the table lock', async () => ((await waitingOnLock(observer, 'insert into "loan_bookings"')) === 1 ? true : undefined), 30_000, 50);
      await rowLocker.query('begin');
      const claimed = await rowLocker.query('select 1 from idempotency_keys where key = $1 for update', [keyX]);
      expect(claimed.rowCount, 'X claimed its key before the insert').toBe(1);
      await locker.query('commit');
      await until('X to wait on its key record', async () => ((await waitingOnLock(observer, 'update "idempotency_keys"')) === 1 ? true : undefined), 30_000, 50);
      expect(await countByName(observer, [inFlightWritten.name]), 'X committed before the stop').toBe(1);

      // Y: its insert waits on the table lock, so the stop lands before anything of it is written.
      inFlightUnwritten = { name: `Inflight Unwritten ${run}` };
      await locker.query('begin');
      await locker.query('lock table loan_bookings in exclusive mode');
      const y = createBooking(inFlightUnwritten.name, `outage-y-${run}`);
      await until('Y to wait on the table lock', async () => ((await waitingOnLock(observer, 'insert into "loan_bookings"')) === 1 ? true : undefined), 30_000, 50);

      // Readers in flight too: each answers 200 or 503, never anything else.
      let reading = true;
      let i = 0;
      const readers = (async () => {
        const statuses: number[] = [];
        while (reading) {
          const r = await call('GET', i % 2 === 0 ? '/api/v1/loan-bookings?limit=5' : `/api/v1/loan-bookings/${outageBooking}`);
          statuses.push(r.status);
          i++;
        }
        return statuses;
      })();
      await new Promise((r) => setTimeout(r, 200));

      await cluster.stop('immediate');
      [inFlightWritten.answer, inFlightUnwritten.answer] = await Promise.all([x, y]);
      await new Promise((r) => setTimeout(r, 300));
      reading = false;
      readerAnswers = await readers;
    } finally {
      for (const c of [locker, rowLocker, observer]) await c.end().catch(() => undefined);
    }

    const wx = inFlightWritten.answer;
    expect(wx.status, `X: the write committed, so the answer must say so: ${JSON.stringify(wx.json)}`).toBe(201);
    inFlightWritten.id = wx.json!.id as string;
    acked.push({ id: inFlightWritten.id, name: inFlightWritten.name });
    expectDatabaseUnavailable(inFlightUnwritten.answer, 'Y (in flight, not yet written)');
    expect(readerAnswers.length).toBeGreaterThan(0);
    expect(readerAnswers.filter((s) => s !== 200 && s !== 503), `reader statuses: ${readerAnswers.join(',')}`).toEqual([]);
  });

  it('during the outage: ready 503 naming the database, live 200, reads and writes a prompt 503 with Retry-After', async () => {
    const ready = await call('GET', '/health/ready', { auth: false });
    expect(ready.status, JSON.stringify(ready.json)).toBe(503);
    expect(ready.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(ready.json).toMatchObject({ error_code: 'DEPENDENCY_UNAVAILABLE', details: { checks: { database: { status: 'down' } } } });
    expect(Number(ready.headers.get('retry-after'))).toBeGreaterThan(0);
    const live = await call('GET', '/health/live', { auth: false });
    expect(live.status).toBe(200);

    for (let round = 0; round < 3; round++) {
      expectDatabaseUnavailable(await call('GET', '/api/v1/loan-bookings?limit=5'), 'GET list');
      expectDatabaseUnavailable(await call('GET', `/api/v1/loan-bookings/${outageBooking}`), 'GET by id');
      const name = `Outage Write ${run} ${round}`;
      outageNames.push(name);
      expectDatabaseUnavailable(await createBooking(name), 'POST');
      const keyed = `Outage Keyed ${run} ${round}`;
      outageNames.push(keyed);
      expectDatabaseUnavailable(await createBooking(keyed, `outage-k-${run}-${round}`), 'POST with Idempotency-Key');
      const mp = multipart([{ name: `outage-${round}.txt`, type: 'text/plain', data: Buffer.from('Written while the database was down.') }]);
      expectDatabaseUnavailable(await call('POST', `/api/v1/loan-bookings/${outageBooking}/documents`, { rawBody: mp.payload, headers: mp.headers }), 'document upload');
      // A caller with a fresh token: login itself needs the database.
      const login = await call('POST', '/api/v1/auth/token', { auth: false, rawBody: Buffer.from('grant_type=password&username=x%40example.com&password=y'), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expectDatabaseUnavailable(login, 'token endpoint');
      expect((await call('GET', '/health/live', { auth: false })).status).toBe(200);
    }
    expect(server.child.exitCode).toBeNull();
  });

  it('after the start: ready again without a restart, every acknowledged write there, nothing of the failed ones, new writes and the job queue work', async () => {
    const pid = server.child.pid;
    await cluster.start();
    const ready = await until('readiness to return', async () => {
      const r = await call('GET', '/health/ready', { auth: false });
      return r.status === 200 ? r : undefined;
    }, 60_000, 200);
    expect(ready.json).toMatchObject({ status: 'ready', checks: { database: { status: 'up' }, queue: { status: 'up' } } });
    expect(server.child.pid).toBe(pid);
    expect(server.child.exitCode).toBeNull();

    for (const b of acked) {
      const got = await call('GET', `/api/v1/loan-bookings/${b.id}`);
      expect(got.status, `acknowledged ${b.name}: ${JSON.stringify(got.json)}`).toBe(200);
      expect(got.json).toMatchObject({ id: b.id, customer_name: b.name });
    }
    const observer = await adminClient();
    try {
      expect(await countByName(observer, acked.map((b) => b.name))).toBe(acked.length);
      expect(await countByName(observer, [inFlightUnwritten.name]), 'Y wrote nothing').toBe(0);
      expect(await countByName(observer, outageNames), 'no write attempted during the outage is stored').toBe(0);
      const docs = await observer.query<{ n: number }>('select count(*)::int as n from documents where booking_id = $1', [outageBooking]);
      expect(docs.rows[0]!.n, 'no document row from the uploads refused during the outage').toBe(0);
    } finally {
      await observer.end();
    }

    const fresh = await createBooking(`After Recovery ${run}`);
    expect(fresh.status, JSON.stringify(fresh.json)).toBe(201);
    expect((await call('GET', `/api/v1/loan-bookings/${fresh.json!.id as string}`)).status).toBe(200);

    // The worker recovered too: a document uploaded now gets processed.
    const mp = multipart([{ name: 'term-sheet.txt', type: 'text/plain', data: Buffer.from('TERM SHEET\n\nIndicative terms after the database came back.') }]);
    const up = await call('POST', `/api/v1/loan-bookings/${fresh.json!.id as string}/documents`, { rawBody: mp.payload, headers: mp.headers });
    expect(up.status, JSON.stringify(up.json)).toBe(201);
    const docId = (up.json!.items as { id: string }[])[0]!.id;
    const processed = await until('the document to be processed', async () => {
      const d = await call('GET', `/api/v1/documents/${docId}`);
      return d.json?.status === 'processed' || d.json?.status === 'failed' ? d.json : undefined;
    }, 60_000, 250);
    expect(processed, JSON.stringify(processed)).toMatchObject({ status: 'processed', page_count: 1 });
    expect(server.child.exitCode).toBeNull();
  }, 120_000);
});
