import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../../src/db/database.js';
import { isDatabaseUnavailable, isUniqueViolation } from '../../../src/db/errors.js';
import { AppError } from '../../../src/lib/errors.js';
import { createPrivatePostgres, type PrivatePostgres } from '../../helpers/private-postgres.js';

/**
 * The PostgreSQL Database against a server that goes away and comes back (a private cluster, so
 * the shared one is never touched). Regression: a refused or dropped connection used to reach the
 * error handler as a raw driver error and answer 500; it is now the catalogue's 503
 * DEPENDENCY_UNAVAILABLE (dependency: database, Retry-After), while statement errors still reach
 * the stores untouched, and the same pool serves again once the server is back.
 */

let cluster: PrivatePostgres;
let database: Database;

beforeAll(async () => {
  cluster = await createPrivatePostgres();
  await cluster.start();
  database = await createDatabase({ kind: 'postgres', url: cluster.url, poolMax: 4, statementTimeoutMs: 3000, connectTimeoutMs: 1000, migrate: false });
  await sql`create table outage_probe (id int primary key)`.execute(database.db);
}, 120_000);

afterAll(async () => {
  await database?.close();
  await cluster?.remove();
});

function expectUnavailable(err: unknown): void {
  expect(err).toBeInstanceOf(AppError);
  const e = err as AppError;
  expect(e.code).toBe('DEPENDENCY_UNAVAILABLE');
  expect(e.status).toBe(503);
  expect(e.details).toEqual({ dependency: 'database' });
  expect(Number(e.headers?.['retry-after'])).toBeGreaterThan(0);
  expect(isDatabaseUnavailable(e)).toBe(true);
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the operation to fail');
}

describe('PostgreSQL going away under a running pool', () => {
  it('statement errors still reach the stores as driver errors', async () => {
    await sql`insert into outage_probe (id) values (1)`.execute(database.db);
    const err = await failure(sql`insert into outage_probe (id) values (1)`.execute(database.db));
    expect(err).not.toBeInstanceOf(AppError);
    expect(isUniqueViolation(err)).toBe(true);
    expect(isDatabaseUnavailable(err)).toBe(false);
    const syntax = await failure(sql`select nonsense from`.execute(database.db));
    expect(isDatabaseUnavailable(syntax)).toBe(false);
  });

  it('a query in flight when the server shuts down (fast) fails as unavailable, and so does every query while it is down', async () => {
    const inFlight = failure(sql`select pg_sleep(30)`.execute(database.db));
    // Let the sleep reach the server before the stop.
    await new Promise((r) => setTimeout(r, 300));
    await cluster.stop('fast');
    expectUnavailable(await inFlight);
    expectUnavailable(await failure(sql`select 1`.execute(database.db)));
    expectUnavailable(await failure(database.check()));
    expectUnavailable(await failure(database.executeSql('select 1', [])));
    expectUnavailable(await failure(database.db.transaction().execute((trx) => sql`insert into outage_probe (id) values (2)`.execute(trx))));
  });

  it('the same Database serves again once the server is back, with what was committed', async () => {
    await cluster.start();
    const rows = await sql<{ id: number }>`select id from outage_probe order by id`.execute(database.db);
    expect(rows.rows).toEqual([{ id: 1 }]);
    await sql`insert into outage_probe (id) values (3)`.execute(database.db);
  });

  it('an immediate stop (a crash) mid-query and mid-transaction: unavailable, nothing half-applied, back after recovery', async () => {
    const inFlight = failure(sql`select pg_sleep(30)`.execute(database.db));
    let inserted!: () => void;
    const insertedP = new Promise<void>((r) => (inserted = r));
    const tx = failure(
      database.db.transaction().execute(async (trx) => {
        await sql`insert into outage_probe (id) values (4)`.execute(trx);
        inserted();
        await sql`select pg_sleep(30)`.execute(trx);
      }),
    );
    await insertedP;
    await new Promise((r) => setTimeout(r, 300));
    await cluster.stop('immediate');
    expectUnavailable(await inFlight);
    expectUnavailable(await tx);
    await cluster.start();
    const rows = await sql<{ id: number }>`select id from outage_probe order by id`.execute(database.db);
    expect(rows.rows).toEqual([{ id: 1 }, { id: 3 }]);
  });
});
