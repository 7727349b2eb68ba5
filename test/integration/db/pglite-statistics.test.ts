/**
 * PGlite has no autovacuum: without a refresh of its planner statistics a lookup by id scanned a
 * tenant's whole partial index once a table had grown (found by the benchmark: GET by id fell from
 * 1,400 to 300 req/s after 13,000 bookings). The database keeps statistics fresh itself.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../../src/db/database.js';

let database: Database;

async function plan(id: string): Promise<string> {
  const rows = (await sql.raw(`explain select * from loan_bookings where tenant_id = 'stats' and id = '${id}' and deleted_at is null`).execute(database.db)).rows as { 'QUERY PLAN': string }[];
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

beforeAll(async () => {
  database = await createDatabase({ kind: 'pglite', dataDir: undefined, migrate: true, statisticsCheckMs: 200 });
});
afterAll(async () => database.close());

describe('PGlite planner statistics', () => {
  it('are refreshed once a table has grown, so a lookup by id uses both key columns of an index', async () => {
    await sql`insert into loan_bookings
      select gen_random_uuid(), 'stats', 'Customer ' || g, 'customer ' || g, 'term-loans', null, null, 'draft', 1, 'u', now(), 'u', now(),
             null, null, 'not_started', null, null, null
      from generate_series(1, 20000) g`.execute(database.db);
    const { id } = (await sql<{ id: string }>`select id from loan_bookings order by id limit 1 offset 777`.execute(database.db)).rows[0]!;
    let current = '';
    for (let i = 0; i < 100; i++) {
      current = await plan(id);
      if (/Index Cond: \([^\n]*\bid = /.test(current)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // The id is part of the index condition: one index entry visited, not the tenant's 20,000 filtered.
    expect(current).toMatch(/Index Cond: \([^\n]*\bid = /);
    expect(current).not.toMatch(/Filter: \(id = /);
    const analyzed = await sql<{ relpages: number }>`select relpages from pg_class where relname = 'loan_bookings'`.execute(database.db);
    expect(analyzed.rows[0]!.relpages).toBeGreaterThan(100);
  });

  it('are not analyzed again while a table has not doubled', async () => {
    const before = (await sql<{ relpages: number }>`select relpages from pg_class where relname = 'loan_bookings'`.execute(database.db)).rows[0]!.relpages;
    await sql`insert into loan_bookings
      select gen_random_uuid(), 'stats', 'More ' || g, 'more ' || g, 'term-loans', null, null, 'draft', 1, 'u', now(), 'u', now(),
             null, null, 'not_started', null, null, null
      from generate_series(1, 2000) g`.execute(database.db);
    await new Promise((r) => setTimeout(r, 600));
    const after = (await sql<{ relpages: number }>`select relpages from pg_class where relname = 'loan_bookings'`.execute(database.db)).rows[0]!.relpages;
    expect(after).toBe(before);
  });
});
