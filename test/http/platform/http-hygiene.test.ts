import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';

// Some tests here start extra app instances (an embedded database each): slow on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

const CONSOLE = 'https://console.bank.example';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { CORS_ORIGINS: `${CONSOLE},http://localhost:5173` } });
});
afterAll(async () => t.close());

describe('security headers', () => {
  it('sends the helmet headers on API, error, health, metrics and document responses', async () => {
    const viewer = await t.auth('viewer');
    const responses = await Promise.all([
      t.app.inject({ method: 'GET', url: '/api/v1/products', headers: { authorization: viewer.authorization } }),
      t.app.inject({ method: 'GET', url: '/api/v1/products' }),
      t.app.inject({ method: 'GET', url: '/no/such/route' }),
      t.app.inject({ method: 'GET', url: '/health/live' }),
      t.app.inject({ method: 'GET', url: '/metrics' }),
      t.app.inject({ method: 'GET', url: '/openapi.json' }),
    ]);
    for (const res of responses) {
      const where = `${res.statusCode} ${res.raw.req.url}`;
      expect(res.headers['x-content-type-options'], where).toBe('nosniff');
      expect(res.headers['strict-transport-security'], where).toBe('max-age=31536000; includeSubDomains');
      expect(res.headers['content-security-policy'], where).toContain("default-src 'none'");
      expect(res.headers['content-security-policy'], where).toContain("frame-ancestors 'none'");
      expect(res.headers['x-frame-options'], where).toBe('SAMEORIGIN');
      expect(res.headers['referrer-policy'], where).toBe('no-referrer');
      expect(res.headers['cross-origin-resource-policy'], where).toBe('same-origin');
      expect(res.headers['x-powered-by'], where).toBeUndefined();
    }
  });
});

describe('CORS allow-list', () => {
  it('answers a preflight from an allowed origin, echoing it with credentials', async () => {
    const res = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/loan-bookings',
      headers: { origin: CONSOLE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,idempotency-key' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(CONSOLE);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-allow-methods']).toContain('PATCH');
    expect(res.headers['access-control-allow-headers']).toContain('idempotency-key');
    expect(res.headers['access-control-max-age']).toBe('600');
    expect(res.headers.vary).toContain('Origin');
  });

  it('echoes an allowed origin on a simple request and exposes the headers clients need', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/live', headers: { origin: 'http://localhost:5173' } });
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(res.headers['access-control-expose-headers']).toContain('etag');
    expect(res.headers['access-control-expose-headers']).toContain('x-request-id');
  });

  it('gives any other origin no CORS grant', async () => {
    for (const origin of ['https://evil.example', 'https://console.bank.example.evil.example', 'null']) {
      const pre = await t.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/loan-bookings',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      // Without Access-Control-Allow-Origin the browser withholds the response, whatever else is sent.
      expect(pre.headers['access-control-allow-origin'], origin).toBeUndefined();
      const simple = await t.app.inject({ method: 'GET', url: '/health/live', headers: { origin } });
      expect(simple.headers['access-control-allow-origin'], origin).toBeUndefined();
    }
  });

  it('grants nothing cross-origin when no origin is configured', async () => {
    const closed = await createTestApp({ database: t.database });
    try {
      const res = await closed.app.inject({ method: 'GET', url: '/health/live', headers: { origin: CONSOLE } });
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await closed.close();
    }
  });
});

describe('compression', () => {
  it('compresses a large JSON response with gzip or brotli as the client asks, and not a small one', async () => {
    const plain = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.rawPayload.length).toBeGreaterThan(10_000);

    const gz = await t.app.inject({ method: 'GET', url: '/openapi.json', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toContain('accept-encoding');
    expect(gz.rawPayload.length).toBeLessThan(plain.rawPayload.length / 3);
    expect(gunzipSync(gz.rawPayload).toString('utf8')).toBe(plain.body);

    const br = await t.app.inject({ method: 'GET', url: '/openapi.json', headers: { 'accept-encoding': 'br;q=1.0, gzip;q=0.5' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.rawPayload).toString('utf8')).toBe(plain.body);

    const viewer = await t.auth('viewer');
    const products = await t.app.inject({ method: 'GET', url: '/api/v1/products', headers: { authorization: viewer.authorization, 'accept-encoding': 'gzip' } });
    expect(products.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(products.rawPayload).toString('utf8')).items).toHaveLength(6);

    const small = await t.app.inject({ method: 'GET', url: '/health/live', headers: { 'accept-encoding': 'gzip' } });
    expect(small.headers['content-encoding']).toBeUndefined();
  });
});

describe('overload shedding', () => {
  it('answers 503 with Retry-After when over the heap limit, without running the handler; probes and metrics still answer', async () => {
    const hot = await createTestApp({ env: { OVERLOAD_MAX_HEAP_USED_BYTES: '1', HEALTH_CHECK_TIMEOUT_MS: '15000' }, database: t.database });
    try {
      const analyst = await t.auth('analyst');
      // The heap is sampled once a second; until the first sample nothing is shed.
      await new Promise((r) => setTimeout(r, 1300));
      const res = await hot.app.inject({
        method: 'POST',
        url: '/api/v1/loan-bookings',
        headers: { authorization: analyst.authorization },
        payload: { customer_name: 'Shed Load Ltd', product_id: 'term-loans' },
      });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(res.json()).toMatchObject({ error_code: 'SERVICE_UNAVAILABLE', details: { retry_after_seconds: 5 }, request_id: res.headers['x-request-id'] });
      expect((await hot.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      expect((await hot.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
      expect((await hot.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
      // The shed request did nothing: no booking was created behind the 503.
      await new Promise((r) => setTimeout(r, 200));
      const list = await t.app.inject({ method: 'GET', url: '/api/v1/loan-bookings?customer_name_prefix=Shed', headers: { authorization: analyst.authorization } });
      expect(list.json().items).toEqual([]);
    } finally {
      await hot.close();
    }
  });
});
