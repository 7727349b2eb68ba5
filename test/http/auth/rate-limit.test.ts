import { randomBytes, randomInt } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, createTestDatabase, type TestApp } from '../../helpers/app.js';
import type { Database } from '../../../src/db/database.js';

// Some tests here start extra app instances (an embedded database each): slow on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

/**
 * Rate limits and the product cache shared by several instances through the real Redis on
 * 127.0.0.1:6379. Other test files may use the same Redis: every key here is made unique (random
 * client addresses, users and tenants) and only those keys are removed afterwards.
 */
const REDIS_URL = 'redis://127.0.0.1:6379';
const runId = randomBytes(4).toString('hex');
const tenant = `rl-${runId}`;
const usedIps: string[] = [];
const randomIp = () => {
  const ip = `10.${randomInt(50, 250)}.${randomInt(0, 255)}.${randomInt(1, 254)}`;
  usedIps.push(ip);
  return ip;
};

let redis: Redis;
let database: Database;

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  database = await createTestDatabase();
});

afterAll(async () => {
  const mine: string[] = [];
  for (const pattern of [...usedIps.map((ip) => `cls-rl:*${ip}*`), `cls-rl:*${tenant}*`, `cls-cache:*${tenant}*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      mine.push(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  if (mine.length > 0) await redis.del(...mine);
  redis.disconnect();
  await database.close();
});

async function pair(env: Record<string, string>): Promise<[TestApp, TestApp]> {
  const a = await createTestApp({ database, env });
  const b = await createTestApp({ database, env });
  return [a, b];
}

const login = (app: TestApp, ip: string) =>
  app.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { grant_type: 'password', username: `nobody-${runId}@bank.example`, password: 'wrong-password' }, remoteAddress: ip });

describe('with Redis', () => {
  /**
   * Alternates between the two instances until one answers 429. Redis calls that time out under load
   * fail open (the documented degradation), so a request or two may slip through; but with separate
   * counters each instance alone would allow `limit`, so no 429 could come before 2 x limit requests.
   */
  async function untilLimited(send: (app: TestApp, i: number) => Promise<{ statusCode: number }>, apps: TestApp[], limit: number) {
    const statuses: number[] = [];
    for (let i = 0; i < limit + 2 && !statuses.includes(429); i++) statuses.push((await send(apps[i % 2]!, i)).statusCode);
    return statuses;
  }

  it('shares the sign-in limit of an address between instances', async () => {
    const [a, b] = await pair({ REDIS_URL, RATE_LIMIT_LOGIN_PER_MINUTE: '4' });
    try {
      const ip = randomIp();
      const statuses = await untilLimited((app) => login(app, ip), [a, b], 4);
      expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401]);
      expect(statuses[statuses.length - 1]).toBe(429);
      for (const app of [a, b]) {
        const limited = await login(app, ip);
        expect(limited.statusCode).toBe(429);
        expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
        expect(limited.headers['ratelimit-limit']).toBe('4');
      }
      // The counter lives in Redis, under the service's namespace, with the window as its expiry.
      const [, keys] = await redis.scan('0', 'MATCH', `cls-rl:*login:${ip}`, 'COUNT', 10_000);
      expect(keys).toHaveLength(1);
      expect(Number(await redis.get(keys[0]!))).toBeGreaterThanOrEqual(5);
      const ttl = await redis.pttl(keys[0]!);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
      // Another address still has its whole budget.
      expect((await login(b, randomIp())).statusCode).toBe(401);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('shares the per-user limit between instances', async () => {
    const [a, b] = await pair({ REDIS_URL, RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const viewer = await a.auth('viewer', tenant);
      const ip = randomIp();
      const get = (app: TestApp, who = viewer) =>
        app.app.inject({ method: 'GET', url: '/api/v1/products', headers: { authorization: who.authorization }, remoteAddress: ip });
      const statuses = await untilLimited((app) => get(app), [a, b], 3);
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses[statuses.length - 1]).toBe(429);
      const limited = await get(b);
      expect(limited.statusCode).toBe(429);
      expect(limited.json().error_code).toBe('RATE_LIMITED');
      // Another user from the same address is not affected.
      const other = await b.auth('viewer', tenant);
      expect((await get(b, other)).statusCode).toBe(200);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('shares the product cache: a product retired on one instance is refused on the other at once', async () => {
    const [a, b] = await pair({ REDIS_URL });
    try {
      const admin = await a.auth('admin', tenant);
      const analyst = await b.auth('analyst', tenant);
      const ip = randomIp();
      const book = () =>
        b.app.inject({ method: 'POST', url: '/api/v1/loan-bookings', headers: { authorization: analyst.authorization }, remoteAddress: ip, payload: { customer_name: 'Cache Test Ltd', product_id: 'SBA-loans' } });
      expect((await book()).statusCode).toBe(201);
      expect(await redis.exists(`cls-cache:products:${tenant}`)).toBe(1);
      const retired = await a.app.inject({ method: 'PATCH', url: '/api/v1/products/SBA-loans', headers: { authorization: admin.authorization }, remoteAddress: ip, payload: { active: false } });
      expect(retired.statusCode).toBe(200);
      const refused = await book();
      expect(refused.statusCode).toBe(422);
      expect(refused.json().error_code).toBe('UNKNOWN_PRODUCT');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('reports Redis in the readiness checks', async () => {
    // A generous check timeout: on a busy machine the other checks must not flake this one.
    const app = await createTestApp({ database, env: { REDIS_URL, HEALTH_CHECK_TIMEOUT_MS: '15000' } });
    try {
      const res = await app.app.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().checks.redis).toMatchObject({ status: 'up' });
    } finally {
      await app.close();
    }
  });
});

describe('without Redis', () => {
  it('limits each instance on its own', async () => {
    const [a, b] = await pair({ RATE_LIMIT_LOGIN_PER_MINUTE: '2' });
    try {
      const ip = randomIp();
      expect([(await login(a, ip)).statusCode, (await login(a, ip)).statusCode, (await login(a, ip)).statusCode]).toEqual([401, 401, 429]);
      const onB = await login(b, ip);
      expect(onB.statusCode).toBe(401);
      expect(onB.headers['ratelimit-remaining']).toBe('1');
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('when Redis is down', () => {
  it('keeps serving (limits open, cache misses) and says so in readiness', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const app = await createTestApp({
      database,
      env: { REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMIT_LOGIN_PER_MINUTE: '1', RATE_LIMIT_PER_MINUTE: '1', HEALTH_CHECK_TIMEOUT_MS: '15000' },
    });
    try {
      const ip = randomIp();
      // Limits fail open: more attempts than the budget all get real answers.
      for (let i = 0; i < 3; i++) expect((await login(app, ip)).statusCode).toBe(401);
      const analyst = await app.auth('analyst', tenant);
      const h = { authorization: analyst.authorization };
      for (let i = 0; i < 2; i++) {
        const products = await app.app.inject({ method: 'GET', url: '/api/v1/products', headers: h, remoteAddress: ip });
        expect(products.statusCode).toBe(200);
        expect(products.json().items.length).toBeGreaterThanOrEqual(5);
      }
      const created = await app.app.inject({ method: 'POST', url: '/api/v1/loan-bookings', headers: h, remoteAddress: ip, payload: { customer_name: 'No Redis Ltd', product_id: 'term-loans' } });
      expect(created.statusCode).toBe(201);
      // Degraded, not unready: a Redis outage must not take every instance out of the load balancer.
      const ready = await app.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode, ready.body).toBe(200);
      expect(ready.json().status).toBe('degraded');
      expect(ready.json().checks.redis).toMatchObject({ status: 'down' });
      expect(ready.json().checks.database).toMatchObject({ status: 'up' });
      expect((await app.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
