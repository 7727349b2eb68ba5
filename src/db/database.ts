import { mkdirSync } from 'node:fs';
import { Kysely, PostgresDialect, CompiledQuery, sql, type PostgresPool, type PostgresPoolClient } from 'kysely';
import { PGlite } from '@electric-sql/pglite';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { DB } from './schema.js';
import { runMigrations } from './migrator.js';
import { databaseUnavailable, isDatabaseUnavailable } from './errors.js';

export interface SqlResult {
  rows: Record<string, unknown>[];
}

/** One relational database, embedded (PGlite) or PostgreSQL, behind the same Kysely instance. */
export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Kysely<DB>;
  /** Raw SQL through the same connection discipline as Kysely (pg-boss uses this). */
  executeSql(text: string, values?: unknown[]): Promise<SqlResult>;
  check(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export type DatabaseOptions =
  | {
      kind: 'pglite';
      dataDir: string | undefined;
      migrate: boolean;
      /** How often tables are checked for growth since their last ANALYZE (default one minute). */
      statisticsCheckMs?: number;
    }
  | { kind: 'postgres'; url: string; poolMax: number; statementTimeoutMs: number; connectTimeoutMs: number; migrate: boolean };

// numeric and bigint columns come back as strings: money must never pass through a float.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);

export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  const database = options.kind === 'pglite' ? await createPglite(options.dataDir, options.statisticsCheckMs ?? 60_000) : createPostgres(options);
  if (options.migrate) {
    try {
      await runMigrations(database.db);
    } catch (err) {
      await database.close();
      throw err;
    }
  }
  if (database.kind === 'pglite') await analyzeGrownTables(database.db);
  return database;
}

/**
 * PGlite has no autovacuum, so nothing ever refreshed its planner statistics: they stayed those of
 * the empty tables after the migrations. Without them PostgreSQL guesses that `deleted_at is null`
 * matches 0.5% of rows, and answered a lookup by id by scanning a tenant's whole partial index
 * (loan_bookings_product_status_idx): GET /api/v1/loan-bookings/{id} fell from 1,400 to 300 req/s
 * after 13,000 bookings (benchmark), and kept getting slower. This does what autovacuum's ANALYZE
 * would: any table that has doubled in size (pages) since it was last analyzed is analyzed again, so
 * each table is analyzed a logarithmic number of times over its life.
 */
async function analyzeGrownTables(db: Kysely<DB>): Promise<void> {
  const grown = await sql<{ name: string }>`
    select format('%I.%I', n.nspname, c.relname) as name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
      and pg_relation_size(c.oid) / current_setting('block_size')::int > 2 * greatest(c.relpages, 0) + 8`.execute(db);
  // format('%I.%I') quotes both identifiers, so the names are safe to splice.
  for (const { name } of grown.rows) await sql`analyze ${sql.raw(name)}`.execute(db);
}

async function createPglite(dataDir: string | undefined, statisticsCheckMs: number): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pglite = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  let closed = false;
  let analyzing = false;
  const statistics = setInterval(() => {
    if (analyzing || closed) return;
    analyzing = true;
    // A failed check (the database closing) is retried on the next tick; it never affects requests.
    analyzeGrownTables(db)
      .catch(() => undefined)
      .finally(() => {
        analyzing = false;
      });
  }, statisticsCheckMs);
  statistics.unref();
  return {
    kind: 'pglite',
    db,
    async executeSql(text, values) {
      if (values && values.length > 0) {
        const res = await db.executeQuery(CompiledQuery.raw(text, values));
        return { rows: res.rows as Record<string, unknown>[] };
      }
      // Multi-statement text needs PGlite's exec; taking a Kysely connection first keeps the
      // dialect's lock, so this never interleaves with a transaction in flight.
      return db.connection().execute(async () => {
        const results = await pglite.exec(text);
        const last = results[results.length - 1];
        return { rows: (last?.rows ?? []) };
      });
    },
    async check() {
      await sql`select 1`.execute(db);
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(statistics);
      await db.destroy();
    },
  };
}

function createPostgres(options: Extract<DatabaseOptions, { kind: 'postgres' }>): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs,
    query_timeout: options.statementTimeoutMs + 1000,
    application_name: 'commercial-loan-service',
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  // Nor one that is checked out: pg-pool listens for a client's errors only while it is idle, and a
  // client in use when its server died (a crash: no goodbye from the server) emitted an 'error'
  // nobody heard, which ended the process. Its query rejects with the same error, and pg-pool drops
  // the client when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: outagesAsUnavailable(pool) }) });
  let closed = false;
  return {
    kind: 'postgres',
    db,
    async executeSql(text, values) {
      const res = await db.executeQuery(CompiledQuery.raw(text, values ?? []));
      return { rows: res.rows as Record<string, unknown>[] };
    },
    async check() {
      await sql`select 1`.execute(db);
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

const asUnavailable = (err: unknown): unknown => (isDatabaseUnavailable(err) ? databaseUnavailable(err) : err);

/**
 * The pool as Kysely sees it, with "the database cannot be reached" (a refused or dropped
 * connection, a server shutting down or starting up, a connect or read timeout) turned into the
 * catalogue's DEPENDENCY_UNAVAILABLE at the one place every query passes: stores, pg-boss and the
 * readiness check all report an outage as a 503 with Retry-After, where the raw driver error could
 * only become a 500. Statement errors (constraint violations, bad input) pass through untouched
 * for the stores to translate. Clients that lost their connection are dropped by pg-pool on
 * release, so the pool heals by itself once the server is back.
 */
function outagesAsUnavailable(pool: pg.Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    let w = wrapped.get(client);
    if (!w) {
      const query = async (text: string, parameters: readonly unknown[]) => {
        try {
          return await client.query(text, [...parameters]);
        } catch (err) {
          throw asUnavailable(err);
        }
      };
      // Kysely only passes a cursor when the dialect is given one, and ours is not.
      w = { query: query as unknown as PostgresPoolClient['query'], release: () => client.release() };
      wrapped.set(client, w);
    }
    return w;
  };
  return {
    async connect() {
      try {
        return wrap(await pool.connect());
      } catch (err) {
        throw asUnavailable(err);
      }
    },
    end: () => pool.end(),
  };
}
