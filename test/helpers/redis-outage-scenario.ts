import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createTestPostgresDatabase, type TestPostgresDatabase } from './postgres.js';
import { startRedisServer } from './redis-server.js';
import { adminToken, startServerProcess, type ServerProcess } from './server-process.js';
import { timed, until, type Answer } from './timed-http.js';

/**
 * The Redis outage drill, shared by test/process/redis-outage.test.ts (which asserts on the record)
 * and bench/drills/redis-outage.ts (checks and figures): two real service processes on one
 * PostgreSQL database and one private redis-server. Rate limits are shared while Redis is up; Redis
 * is killed (SIGKILL) and later hung (SIGSTOP) under the running services, which keep serving; after
 * each they reconnect by themselves and enforce the limits again. Every request has a client
 * timeout, so a hang is recorded, not waited on.
 */

/** Sign-in attempts per minute and address in the drill: small, so that the limit is reached quickly. */
export const DRILL_LOGIN_LIMIT = 3;

export interface LimitProbe {
  /** The address the attempts came from (X-Forwarded-For through TRUST_PROXY=127.0.0.1). */
  ip: string;
  /** Attempts alternating between the two instances, the first on A. */
  answers: Answer[];
}

export interface OutagePhase {
  /** Sign-in attempts past the limit, alternating between the instances. */
  logins: LimitProbe;
  /** Catalogue reads on both instances (cache misses going to the database). */
  products: Answer[];
  /** A product created during the outage, then read back from both instances' catalogue. */
  createdProduct: Answer;
  productSeen: boolean[];
  /** Other reads and writes of the API. */
  other: Answer[];
  ready: Answer[];
  live: Answer[];
  /** Every answer of the phase. */
  answers: Answer[];
}

export interface RedisOutageRecord {
  up: {
    logins: LimitProbe;
    /** The catalogue was cached in Redis. */
    cachedInRedis: boolean;
    /** Rate-limit counters of the probe's address were in Redis. */
    limitKeysInRedis: number;
    ready: Answer[];
  };
  killed: OutagePhase;
  restarted: {
    /** From the restart of redis-server to both instances reporting Redis up. */
    msUntilReady: number | undefined;
    logins: LimitProbe;
    cachedInRedis: boolean;
  };
  hung: OutagePhase;
  thawed: {
    msUntilReady: number | undefined;
    logins: LimitProbe;
  };
  exits: ({ code: number | null; signal: NodeJS.Signals | null } | undefined)[];
  /** Per instance: how many times its log said Redis was lost, and back. */
  redisLogLines: { lost: number; back: number }[];
  logTail: string;
}

export interface RedisOutageOptions {
  workDir: string;
  log?: (message: string) => void;
  /** Client timeout of each request: past it, the request counts as a hang. */
  clientTimeoutMs?: number;
}

/**
 * A fresh client address for each probe, so that each starts from an empty counter: from TEST-NET-3
 * (RFC 5737), only ever a header value here (X-Forwarded-For), never a destination.
 */
function addresses(): () => string {
  let next = 1 + (randomBytes(1)[0]! % 100);
  return () => `203.0.113.${next++}`;
}

export async function runRedisOutage(opts: RedisOutageOptions): Promise<RedisOutageRecord> {
  const log = opts.log ?? (() => undefined);
  const timeoutMs = opts.clientTimeoutMs ?? 10_000;
  const redis = await startRedisServer();
  let database: TestPostgresDatabase | undefined;
  const servers: ServerProcess[] = [];
  const testIp = addresses();
  try {
    database = await createTestPostgresDatabase();
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      TRUST_PROXY: '127.0.0.1',
      RATE_LIMIT_LOGIN_PER_MINUTE: String(DRILL_LOGIN_LIMIT),
      WORKER_MODE: 'off',
      HEALTH_CHECK_TIMEOUT_MS: '5000',
    };
    // One after the other: the first migrates the database and creates the bootstrap admin.
    for (const name of ['a', 'b']) {
      servers.push(await startServerProcess({ dataDir: path.join(opts.workDir, `data-${name}`), cwd: opts.workDir, env }));
    }
    const a = servers[0]!;
    const token = await adminToken(a.url);
    const auth = { authorization: `Bearer ${token}`, 'x-forwarded-for': testIp() };
    const call = (s: ServerProcess, method: string, p: string, body?: unknown) =>
      timed(`${s.url}${p}`, {
        method,
        headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        timeoutMs,
      });
    const probe = async (attempts: number): Promise<LimitProbe> => {
      const ip = testIp();
      const answers: Answer[] = [];
      for (let i = 0; i < attempts; i++) {
        answers.push(
          await timed(`${servers[i % 2]!.url}/api/v1/auth/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
            body: new URLSearchParams({ grant_type: 'password', username: `nobody-${randomBytes(4).toString('hex')}@drill.example.com`, password: 'Not-The-Password-1' }).toString(),
            timeoutMs,
          }),
        );
      }
      return { ip, answers };
    };
    const readiness = () => Promise.all(servers.map((s) => timed(`${s.url}/health/ready`, { timeoutMs })));
    const redisStatus = (a: Answer) => (a.json as { checks?: Record<string, { status: string }> } | undefined)?.checks?.redis?.status;
    const untilRedisUp = (from: number) =>
      until(async () => ((await readiness()).every((r) => r.status === 200 && redisStatus(r) === 'up') ? Math.round(performance.now() - from) : undefined), 60_000, 100);
    const inspect = async <T>(fn: (client: Redis) => Promise<T>): Promise<T> => {
      const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      try {
        await client.connect();
        return await fn(client);
      } finally {
        client.disconnect();
      }
    };
    const cachedInRedis = async () => {
      await call(a, 'GET', '/api/v1/products');
      return (await inspect((c) => c.exists('cls-cache:products:default'))) === 1;
    };

    /** What a client does while Redis is gone or hung: every answer recorded. */
    const useDuringOutage = async (label: string): Promise<OutagePhase> => {
      const products: Answer[] = [];
      const other: Answer[] = [];
      for (let round = 0; round < 2; round++) {
        for (const s of servers) products.push(await call(s, 'GET', '/api/v1/products'));
        other.push(await call(servers[round % 2]!, 'POST', '/api/v1/loan-bookings', { customer_name: `Redis ${label} Ltd`, product_id: 'term-loans' }));
        other.push(await call(servers[(round + 1) % 2]!, 'GET', '/api/v1/loan-bookings?limit=5'));
        other.push(await call(servers[round % 2]!, 'GET', '/api/v1/auth/me'));
      }
      const productId = `drill-${label}-${randomBytes(3).toString('hex')}`;
      const createdProduct = await call(a, 'POST', '/api/v1/products', { id: productId, name: `Drill ${label} product`, description: 'Created while Redis was unavailable.' });
      const seen = await Promise.all(servers.map((s) => call(s, 'GET', '/api/v1/products')));
      const productSeen = seen.map((x) => ((x.json as { items?: { id: string }[] } | undefined)?.items ?? []).some((p) => p.id === productId));
      const logins = await probe(DRILL_LOGIN_LIMIT + 3);
      const ready = await readiness();
      const live = await Promise.all(servers.map((s) => timed(`${s.url}/health/live`, { timeoutMs })));
      const answers = [...products, ...other, createdProduct, ...seen, ...logins.answers, ...ready, ...live];
      return { logins, products, createdProduct, productSeen, other, ready, live, answers };
    };

    // Up: limits are shared through Redis, the catalogue is cached there.
    const upLogins = await probe(DRILL_LOGIN_LIMIT + 2);
    const limitKeysInRedis = await inspect(async (c) => (await c.keys(`*login:${upLogins.ip}`)).length);
    const up = { logins: upLogins, cachedInRedis: await cachedInRedis(), limitKeysInRedis, ready: await readiness() };
    log(`up: logins ${upLogins.answers.map((x) => x.status).join(' ')}`);

    // Killed.
    await redis.kill();
    log('redis-server killed');
    const killed = await useDuringOutage('killed');
    log(`killed: ${killed.answers.length} requests, statuses ${[...new Set(killed.answers.map((x) => x.status))].join(' ')}`);

    await redis.start();
    const restartedAt = performance.now();
    log('redis-server started again');
    const restartReady = await untilRedisUp(restartedAt);
    const restarted = { msUntilReady: restartReady, logins: await probe(DRILL_LOGIN_LIMIT + 2), cachedInRedis: await cachedInRedis() };
    log(`restarted: ready after ${restartReady ?? '-'} ms, logins ${restarted.logins.answers.map((x) => x.status).join(' ')}`);

    // Hung: connections stay open and nothing answers.
    redis.freeze();
    log('redis-server frozen (SIGSTOP)');
    const hung = await useDuringOutage('hung');
    redis.thaw();
    const thawedAt = performance.now();
    log(`hung: ${hung.answers.length} requests, statuses ${[...new Set(hung.answers.map((x) => x.status))].join(' ')}`);
    const thawReady = await untilRedisUp(thawedAt);
    const thawed = { msUntilReady: thawReady, logins: await probe(DRILL_LOGIN_LIMIT + 2) };
    log(`thawed: ready after ${thawReady ?? '-'} ms, logins ${thawed.logins.answers.map((x) => x.status).join(' ')}`);

    const logTail = servers.map((s) => (s.stdout() + s.stderr()).slice(-2000)).join('\n---\n');
    const count = (text: string, msg: string) => text.split('\n').filter((l) => l.includes(`"msg":"${msg}`)).length;
    const redisLogLines = servers.map((s) => ({ lost: count(s.stdout(), 'redis unavailable'), back: count(s.stdout(), 'redis reconnected') }));
    const exits = [];
    for (const s of servers) {
      await s.stop();
      exits.push(await s.exited);
    }
    return { up, killed, restarted, hung, thawed, exits, redisLogLines, logTail };
  } finally {
    redis.thaw();
    for (const s of servers) await s.kill9();
    await redis.stop();
    await database?.drop();
  }
}
