import { mkdirSync } from 'node:fs';
import { Kysely, PostgresDialect, CompiledQuery, sql } from 'kysely';
import { PGlite } from '@electric-sql/pglite';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { DB } from './schema.js';
import { runMigrations } from './migrator.js';

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
  | { kind: 'pglite'; dataDir: string | undefined; migrate: boolean }
  | { kind: 'postgres'; url: string; poolMax: number; statementTimeoutMs: number; connectTimeoutMs: number; migrate: boolean };

// numeric and bigint columns come back as strings: money must never pass through a float.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);

export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  const database = options.kind === 'pglite' ? await createPglite(options.dataDir) : createPostgres(options);
  if (options.migrate) {
    try {
      await runMigrations(database.db);
    } catch (err) {
      await database.close();
      throw err;
    }
  }
  return database;
}

async function createPglite(dataDir: string | undefined): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pglite = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  let closed = false;
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
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
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
