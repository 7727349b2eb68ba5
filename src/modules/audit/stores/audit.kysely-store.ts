import type { Kysely } from 'kysely';
import type { DB } from '../../../db/schema.js';
import type { AuditStore, AuditOutcome } from '../audit.store.js';

export function createKyselyAuditStore(db: Kysely<DB>): AuditStore {
  return {
    async append(e) {
      await db
        .insertInto('audit_events')
        .values({
          id: e.id,
          tenant_id: e.tenantId,
          occurred_at: e.occurredAt,
          actor_id: e.actorId,
          action: e.action,
          outcome: e.outcome,
          target_type: e.targetType,
          target_id: e.targetId,
          ip: e.ip,
          request_id: e.requestId,
          details: JSON.stringify(e.details),
        })
        .execute();
    },
    async list(tenantId, f, page) {
      let q = db.selectFrom('audit_events').selectAll().where('tenant_id', '=', tenantId);
      if (f.action) q = q.where('action', '=', f.action);
      if (f.actorId) q = q.where('actor_id', '=', f.actorId);
      if (f.outcome) q = q.where('outcome', '=', f.outcome);
      if (f.from) q = q.where('occurred_at', '>=', f.from);
      if (f.to) q = q.where('occurred_at', '<', f.to);
      if (page.beforeId) q = q.where('id', '<', page.beforeId);
      const rows = await q.orderBy('id', 'desc').limit(page.limit).execute();
      return rows.map((r) => ({
        id: r.id,
        tenantId: r.tenant_id,
        occurredAt: r.occurred_at,
        actorId: r.actor_id,
        action: r.action,
        outcome: r.outcome as AuditOutcome,
        targetType: r.target_type,
        targetId: r.target_id,
        ip: r.ip,
        requestId: r.request_id,
        details: r.details,
      }));
    },
  };
}
