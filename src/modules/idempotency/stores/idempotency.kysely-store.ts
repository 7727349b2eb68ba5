import type { Kysely } from 'kysely';
import type { DB } from '../../../db/schema.js';
import type { IdempotencyStore, BeginResult } from '../idempotency.store.js';

export function createKyselyIdempotencyStore(db: Kysely<DB>): IdempotencyStore {
  const where = (s: { tenantId: string; principalId: string; key: string }) =>
    db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('tenant_id', '=', s.tenantId)
      .where('principal_id', '=', s.principalId)
      .where('key', '=', s.key);

  async function begin(
    scope: { tenantId: string; principalId: string; key: string },
    fingerprint: string,
    now: Date,
    ttlMs: number,
    leaseMs: number,
  ): Promise<BeginResult> {
    const inserted = await db
      .insertInto('idempotency_keys')
      .values({
        tenant_id: scope.tenantId,
        principal_id: scope.principalId,
        key: scope.key,
        fingerprint,
        state: 'in_progress',
        response_status: null,
        response_headers: null,
        response_body: null,
        created_at: now,
        expires_at: new Date(now.getTime() + ttlMs),
      })
      .onConflict((oc) => oc.columns(['tenant_id', 'principal_id', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (inserted) return { kind: 'started' };

    // Take over an expired key, or a claim whose owner died (lease over), in one conditional update
    // so that two racing retries cannot both win.
    const takeover = await db
      .updateTable('idempotency_keys')
      .set({
        fingerprint,
        state: 'in_progress',
        response_status: null,
        response_headers: null,
        response_body: null,
        created_at: now,
        expires_at: new Date(now.getTime() + ttlMs),
      })
      .where('tenant_id', '=', scope.tenantId)
      .where('principal_id', '=', scope.principalId)
      .where('key', '=', scope.key)
      .where((eb) =>
        eb.or([
          eb('expires_at', '<=', now),
          eb.and([
            eb('state', '=', 'in_progress'),
            eb('created_at', '<=', new Date(now.getTime() - leaseMs)),
            eb('fingerprint', '=', fingerprint),
          ]),
        ]),
      )
      .returning('key')
      .executeTakeFirst();
    if (takeover) return { kind: 'started' };

    const row = await where(scope).executeTakeFirst();
    // Released between our insert and read (abandoned): claim again.
    if (!row) return begin(scope, fingerprint, now, ttlMs, leaseMs);
    if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (row.state !== 'completed' || row.response_status === null) return { kind: 'in_progress' };
    return {
      kind: 'replay',
      response: {
        status: row.response_status,
        headers: row.response_headers ?? {},
        body: row.response_body ?? '',
      },
    };
  }

  return {
    begin,
    async complete(scope, response) {
      await db
        .updateTable('idempotency_keys')
        .set({
          state: 'completed',
          response_status: response.status,
          response_headers: JSON.stringify(response.headers),
          response_body: response.body,
        })
        .where('tenant_id', '=', scope.tenantId)
        .where('principal_id', '=', scope.principalId)
        .where('key', '=', scope.key)
        .execute();
    },
    async abandon(scope) {
      await db
        .deleteFrom('idempotency_keys')
        .where('tenant_id', '=', scope.tenantId)
        .where('principal_id', '=', scope.principalId)
        .where('key', '=', scope.key)
        .where('state', '=', 'in_progress')
        .execute();
    },
    async purgeExpired(now) {
      const res = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).executeTakeFirst();
      return Number(res.numDeletedRows);
    },
  };
}
