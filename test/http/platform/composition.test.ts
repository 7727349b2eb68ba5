import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../../src/app.js';
import { newId } from '../../../src/lib/ids.js';
import { createServices } from '../../../src/services.js';
import { startServer } from '../../../src/server.js';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../../helpers/postgres.js';
import { testConfig } from '../../helpers/app.js';

// Some tests here start extra app instances (an embedded database each): slow on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

/**
 * The composition root as production runs it: adapters chosen from configuration alone (no test
 * overrides), on the real PostgreSQL, and the listener that main.ts starts.
 */
let pg: TestPostgresDatabase;

beforeAll(async () => {
  pg = await createTestPostgresDatabase();
});
afterAll(async () => pg.drop());

describe('createServices from configuration', () => {
  it('builds the PostgreSQL deployment, migrates it, serves, and releases everything on close', async () => {
    const { config } = testConfig({ DATABASE_URL: pg.url, HEALTH_CHECK_TIMEOUT_MS: '15000' });
    expect(config.store.kind).toBe('postgres');
    const app = await buildApp(config);
    try {
      expect(app.services.database?.kind).toBe('postgres');
      const ready = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode, ready.body).toBe(200);
      expect(Object.keys(ready.json().checks)).toEqual(expect.arrayContaining(['database', 'blob_storage', 'queue']));
      const { token } = await app.services.tokens.issueAccessToken({ userId: newId(), tenantId: 't', roles: ['admin'] });
      // A token for a user the store does not know is refused: the active-user check reads PostgreSQL.
      expect((await app.inject({ method: 'GET', url: '/api/v1/products', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
      // A validly signed token whose subject is not a user id is refused too, not a 500 from the uuid column.
      const odd = await app.services.tokens.issueAccessToken({ userId: 'not-a-uuid', tenantId: 't', roles: ['admin'] });
      const res = await app.inject({ method: 'GET', url: '/api/v1/products', headers: { authorization: `Bearer ${odd.token}` } });
      expect(res.statusCode, res.body).toBe(401);
    } finally {
      await app.close();
    }
    // Closed with the app: its pool no longer answers.
    await expect(app.services.database!.check()).rejects.toThrow();
  });

  it('creates the bootstrap admin in PostgreSQL once, even when two instances start together', async () => {
    const env = { DATABASE_URL: pg.url, BOOTSTRAP_ADMIN_EMAIL: 'pg-admin@bank.example', BOOTSTRAP_ADMIN_PASSWORD: 'Pg#Admin-Pass-2024' };
    const [a, b] = await Promise.all([createServices(testConfig(env).config), createServices(testConfig(env).config)]);
    try {
      const admin = await a.stores.auth.findUserByEmail('pg-admin@bank.example');
      expect(admin).toMatchObject({ roles: ['admin'], tenantId: 'default', active: true });
      expect(await b.stores.auth.countUsers()).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('fails start-up cleanly when the database cannot be reached', async () => {
    const url = new URL(pg.url);
    url.pathname = '/cls_test_does_not_exist';
    const { config } = testConfig({ DATABASE_URL: url.toString(), DATABASE_CONNECT_TIMEOUT_MS: '2000' });
    await expect(buildApp(config)).rejects.toThrow(/does not exist/);
  });
});

describe('startServer', () => {
  it('listens on the configured address and closes gracefully', async () => {
    const { config } = testConfig({ DATABASE_URL: pg.url, PORT: '0', HOST: '127.0.0.1' });
    const app = await buildApp(config);
    const server = await startServer(config, app);
    try {
      expect(server.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${server.address}/health/live`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toBeTruthy();
      expect(((await res.json()) as { status: string }).status).toBe('ok');
    } finally {
      await server.close();
    }
    await expect(fetch(`${server.address}/health/live`)).rejects.toThrow();
  });

  it('closes the app and rethrows when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const { config } = testConfig({ DATABASE_URL: pg.url, PORT: String(port), HOST: '127.0.0.1' });
      const app = await buildApp(config);
      await expect(startServer(config, app)).rejects.toMatchObject({ code: 'EADDRINUSE' });
      await expect(app.services.database!.check()).rejects.toThrow();
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
