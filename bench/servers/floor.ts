/**
 * The floor under the "get by id" benchmark: the bare Fastify route plus the one query the service's
 * GET /api/v1/loan-bookings/{id} makes, through the same database layer (src/db/database.ts), and
 * nothing else: no authentication, rate limits, validation, headers, metrics or logs. The gap between
 * this and the bare route is what the database costs on this machine; the gap between this and the
 * service is what the service itself adds.
 *
 * FLOOR_STORE=postgres reads the service's own benchmark database (DATABASE_URL); FLOOR_STORE=pglite
 * opens an in-memory PGlite with the service's migrations and one booking (PGlite is single-process,
 * so it cannot share the service's data folder). GET /floor/{id} answers the row as JSON.
 */
import Fastify from 'fastify';
import { createDatabase } from '../../src/db/database.js';

const store = process.env.FLOOR_STORE === 'postgres' ? 'postgres' : 'pglite';
const database =
  store === 'postgres'
    ? await createDatabase({ kind: 'postgres', url: process.env.DATABASE_URL ?? '', poolMax: 10, statementTimeoutMs: 5000, connectTimeoutMs: 5000, migrate: false })
    : await createDatabase({ kind: 'pglite', dataDir: undefined, migrate: true });
const TENANT = process.env.FLOOR_TENANT ?? 'default';
const QUERY = 'select * from loan_bookings where tenant_id = $1 and id = $2 and deleted_at is null';

if (store === 'pglite') {
  const now = new Date().toISOString();
  await database.executeSql(
    `insert into loan_bookings (id, tenant_id, customer_name, customer_name_key, product_id, status, version, created_by, created_at, updated_by, updated_at, sync_state)
     values ($1, $2, 'Benchmark Target Corp.', 'benchmark target corp.', 'term-loans', 'draft', 1, 'bench', $3, 'bench', $3, 'not_started')`,
    [process.env.FLOOR_ID, TENANT, now],
  );
}

const app = Fastify({ logger: false });
app.get<{ Params: { id: string } }>('/floor/:id', async (request, reply) => {
  const { rows } = await database.executeSql(QUERY, [TENANT, request.params.id]);
  if (rows.length === 0) return reply.code(404).send({ found: false });
  return rows[0];
});
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void app.close().then(() => database.close()).then(() => process.exit(0));
  });
}
