import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/config.js';
import { buildApp, type App, type BuildAppOptions } from '../../src/app.js';
import { createDatabase, type Database } from '../../src/db/database.js';
import { newId } from '../../src/lib/ids.js';
import type { Role } from '../../src/modules/auth/roles.js';

export const TEST_JWT_SECRET = 'test-secret-0123456789-abcdefghijklmnop';

/** Configuration for tests: test profile, fixed JWT secret, silent logs, a private data folder. */
export function testConfig(env: Record<string, string> = {}): { config: Config; dataDir: string } {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cls-test-'));
  const config = loadConfig({
    env: {
      APP_ENV: 'test',
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      RATE_LIMIT_PER_MINUTE: '100000',
      RATE_LIMIT_UPLOAD_PER_MINUTE: '10000',
      RATE_LIMIT_EXTRACTION_PER_MINUTE: '10000',
      RATE_LIMIT_LOGIN_PER_MINUTE: '10000',
      OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
      ...env,
    },
    envFile: false,
  });
  return { config, dataDir };
}

/** An in-memory PGlite with migrations applied: one per test file (they take ~2 s to start). */
export function createTestDatabase(): Promise<Database> {
  return createDatabase({ kind: 'pglite', dataDir: undefined, migrate: true });
}

export interface LogCapture {
  stream: Writable;
  lines: () => Record<string, unknown>[];
  text: () => string;
}

export function captureLogs(): LogCapture {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  return {
    stream,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export interface TestApp {
  app: App;
  config: Config;
  database: Database;
  /** A signed access token for a new user with these roles in this tenant. */
  tokenFor(roles: Role[] | Role, tenantId?: string): Promise<{ token: string; userId: string; tenantId: string }>;
  auth(roles: Role[] | Role, tenantId?: string): Promise<{ authorization: string; userId: string; tenantId: string }>;
  close(): Promise<void>;
}

/** Builds the real app on a fresh database; `database` may be shared by several apps (two instances). */
export async function createTestApp(
  opts: { env?: Record<string, string>; database?: Database; build?: BuildAppOptions } = {},
): Promise<TestApp> {
  const { config, dataDir } = testConfig(opts.env);
  const database = opts.database ?? (await createTestDatabase());
  const app = await buildApp(config, { database, ...opts.build });
  async function tokenFor(roles: Role[] | Role, tenantId = 'tenant-a') {
    const list = Array.isArray(roles) ? roles : [roles];
    const now = new Date();
    const user = await app.services.stores.auth.createUser({
      id: newId(),
      tenantId,
      email: `${newId()}@example.com`,
      displayName: `Test ${list.join('+')}`,
      roles: list,
      passwordHash: null,
      active: true,
      failedLoginCount: 0,
      lockedUntil: null,
      passwordChangedAt: null,
      createdAt: now,
      updatedAt: now,
      version: 1,
    });
    const { token } = await app.services.tokens.issueAccessToken({ userId: user.id, tenantId, roles: list });
    return { token, userId: user.id, tenantId };
  }
  return {
    app,
    config,
    database,
    tokenFor,
    async auth(roles, tenantId) {
      const t = await tokenFor(roles, tenantId);
      return { authorization: `Bearer ${t.token}`, userId: t.userId, tenantId: t.tenantId };
    },
    async close() {
      await app.close();
      if (!opts.database) await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
