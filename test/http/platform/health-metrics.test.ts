import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../../src/app.js';
import { createServices } from '../../../src/services.js';
import { createTestApp, createTestDatabase, testConfig, type TestApp } from '../../helpers/app.js';

// Some tests here start extra app instances (an embedded database each): slow on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

let t: TestApp;

// Generous check timeouts: on a busy machine a real dependency must not read as down.
const SLOW_MACHINE = { HEALTH_CHECK_TIMEOUT_MS: '15000' };

beforeAll(async () => {
  t = await createTestApp({ env: SLOW_MACHINE });
});
afterAll(async () => t.close());

describe('health', () => {
  it('/health/live answers 200 without touching dependencies', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/live' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', uptime_seconds: expect.any(Number) });
  });

  it('/health/ready answers 200 with each check', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ready');
    expect(body.checks.database).toEqual({ status: 'up', latency_ms: expect.any(Number) });
    for (const check of Object.values(body.checks)) expect(check).toMatchObject({ status: 'up' });
  });

  it('/health/ready answers 503 problem+json naming the failing check when the database is gone', async () => {
    const database = await createTestDatabase();
    const broken = await createTestApp({ database, env: SLOW_MACHINE });
    try {
      expect((await broken.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
      await database.close();
      const res = await broken.app.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(res.headers['retry-after']).toBe('5');
      const body = res.json();
      expect(body.error_code).toBe('DEPENDENCY_UNAVAILABLE');
      expect(body.details.checks.database).toMatchObject({ status: 'down', error: 'unavailable' });
      // Liveness does not depend on the database: the orchestrator must not restart a healthy process.
      expect((await broken.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    } finally {
      await broken.close();
    }
  });

  it('a hung dependency reads as a timeout instead of hanging the probe', async () => {
    const { config } = testConfig({ HEALTH_CHECK_TIMEOUT_MS: '1500' });
    const services = await createServices(config, { database: t.database });
    const original = services.healthChecks.bind(services);
    services.healthChecks = () => ({ ...original(), queue: () => new Promise<void>(() => undefined) });
    const app = await buildApp(config, { services });
    try {
      const started = Date.now();
      const res = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(res.statusCode).toBe(503);
      const checks = res.json().details.checks;
      expect(checks.queue).toMatchObject({ status: 'down', error: 'timeout' });
      expect(checks.database.status).toBe('up');
    } finally {
      await app.close();
      await services.close();
    }
  });
});

describe('metrics', () => {
  it('exposes HTTP metrics by route template, process and event-loop metrics, and business counters', async () => {
    const h = await t.auth('analyst');
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/loan-bookings',
      headers: { authorization: h.authorization },
      payload: { customer_name: 'Metrics Test Ltd', product_id: 'term-loans' },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings/${id}`, headers: { authorization: h.authorization } })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/no/such/path-7d1e9' })).statusCode).toBe(404);

    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(text).toContain('http_requests_total{method="GET",route="/api/v1/loan-bookings/:id",status="200"} 1');
    expect(text).toContain('http_requests_total{method="POST",route="/api/v1/loan-bookings",status="201"} 1');
    expect(text).toMatch(/http_requests_total\{method="GET",route="(unmatched|\/\*)",status="404"\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/api\/v1\/loan-bookings\/:id",status="200"\} \d+/);
    expect(text).toContain('http_request_duration_seconds_count{method="GET",route="/api/v1/loan-bookings/:id",status="200"} 1');
    // Raw paths would carry ids: one series per booking would blow up cardinality.
    expect(text).not.toContain(id);
    expect(text).not.toContain('path-7d1e9');
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(text).toContain('loan_bookings_created_total{product="term-loans"} 1');
    expect(text).toContain('loan_booking_status_changes_total{status="draft"} 1');
  });

  it('keeps counters per app, and can be switched off', async () => {
    const off = await createTestApp({ env: { METRICS_ENABLED: 'false' }, database: t.database });
    try {
      const res = await off.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(404);
      const own = await off.app.services.metrics.metrics();
      expect(own).not.toContain('loan_bookings_created_total{product="term-loans"} 1');
    } finally {
      await off.close();
    }
  });
});
