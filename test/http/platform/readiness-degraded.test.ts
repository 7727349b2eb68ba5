import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.js';
import { AppError } from '../../../src/lib/errors.js';
import { createServices, type Services } from '../../../src/services.js';
import type { HealthCheck } from '../../../src/plugins/health.js';
import { createTestDatabase, testConfig } from '../../helpers/app.js';
import type { Database } from '../../../src/db/database.js';

/**
 * Readiness with dependencies down: Redis and blob storage are shared by every instance and the
 * service keeps serving without them (limits open, caches miss; uploads and downloads 503), so they
 * make readiness `degraded` (200) instead of taking every instance out of the load balancer; the
 * database and the queue make it 503.
 */

let database: Database;
let services: Services;
let app: Awaited<ReturnType<typeof buildApp>>;
let down = new Set<string>();

const failing: HealthCheck = () => Promise.reject(new AppError('DEPENDENCY_UNAVAILABLE'));

beforeAll(async () => {
  database = await createTestDatabase();
  const { config } = testConfig({ HEALTH_CHECK_TIMEOUT_MS: '15000' });
  services = await createServices(config, { database });
  const real = services.healthChecks.bind(services);
  // The real checks, with some replaced by a failing one, and a redis check as a REDIS_URL deployment has.
  services.healthChecks = () => {
    const checks: Record<string, HealthCheck> = { ...real(), redis: () => Promise.resolve() };
    for (const name of down) checks[name] = failing;
    return checks;
  };
  app = await buildApp(config, { services });
});

afterAll(async () => {
  await app?.close();
  await services?.close();
  await database?.close();
});

async function ready(...names: string[]) {
  down = new Set(names);
  const res = await app.inject({ method: 'GET', url: '/health/ready' });
  return { status: res.statusCode, body: res.json<{ status?: string; checks?: Record<string, { status: string }>; details?: { checks: Record<string, { status: string }> } }>() };
}

describe('readiness with dependencies down', () => {
  it('all up: 200 ready', async () => {
    const r = await ready();
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ready');
    expect(Object.keys(r.body.checks!).sort()).toEqual(['blob_storage', 'database', 'queue', 'redis']);
  });

  it.each(['redis', 'blob_storage', 'redis+blob_storage'])('%s down: 200 degraded, naming what is down', async (which) => {
    const names = which.split('+');
    const r = await ready(...names);
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('degraded');
    for (const [name, check] of Object.entries(r.body.checks!)) expect(check.status).toBe(names.includes(name) ? 'down' : 'up');
  });

  it.each(['database', 'queue', 'queue+redis'])('%s down: 503 DEPENDENCY_UNAVAILABLE listing the checks', async (which) => {
    const names = which.split('+');
    const r = await ready(...names);
    expect(r.status).toBe(503);
    for (const name of names) expect(r.body.details!.checks[name]).toMatchObject({ status: 'down' });
    expect(r.body.details!.checks.blob_storage).toMatchObject({ status: 'up' });
  });
});
