import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A fresh, uniquely named database on the local PostgreSQL for one test file. The admin URL points
 * at the maintenance database; only databases carrying our prefix are ever dropped.
 */
export const TEST_POSTGRES_ADMIN_URL =
  process.env.TEST_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PREFIX = 'cls_test_';
const NAME_RE = /^cls_test_[0-9a-f]{16}$/;

export interface TestPostgresDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createTestPostgresDatabase(): Promise<TestPostgresDatabase> {
  const name = `${PREFIX}${randomBytes(8).toString('hex')}`;
  await withAdmin((c) => c.query(`create database ${name}`));
  const url = new URL(TEST_POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      if (!NAME_RE.test(name)) throw new Error(`refusing to drop ${name}: not a test database`);
      dropped = true;
      // WITH (FORCE) ends connections a pool may still hold (PostgreSQL 13+).
      await withAdmin((c) => c.query(`drop database if exists ${name} with (force)`));
    },
  };
}
