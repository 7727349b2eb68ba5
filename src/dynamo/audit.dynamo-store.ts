import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent, AuditFilters, AuditOutcome, AuditStore } from '../modules/audit/audit.store.js';
import {
  BOUNDED_PAGES,
  Conditions,
  iso,
  listAll,
  queryNewestFirst,
  str,
  strOrNull,
  type DynamoContext,
  type Item,
  type NewestFirstPage,
} from './client.js';
import { gsiName, keys } from './tables.js';

const toEvent = (i: Item): AuditEvent => ({
  id: str(i.id),
  tenantId: str(i.tenantId),
  occurredAt: new Date(str(i.occurredAt)),
  actorId: strOrNull(i.actorId),
  action: str(i.action),
  outcome: i.outcome as AuditOutcome,
  targetType: strOrNull(i.targetType),
  targetId: strOrNull(i.targetId),
  ip: strOrNull(i.ip),
  requestId: strOrNull(i.requestId),
  details: JSON.parse(str(i.details)) as Record<string, unknown>,
});

export interface DynamoAuditStore extends AuditStore {
  /** One bounded page: at most `maxPages` Queries, with where to continue (see queryNewestFirst). */
  listPage(
    tenantId: string,
    filters: AuditFilters,
    page: { limit: number; beforeId?: string | undefined },
    maxPages: number,
  ): Promise<{ items: AuditEvent[]; nextBeforeId: string | undefined }>;
}

export function createDynamoAuditStore({ doc, tables }: DynamoContext): DynamoAuditStore {
  const TableName = tables.platform;

  async function listPage(
    tenantId: string,
    f: AuditFilters,
    page: { limit: number; beforeId?: string | undefined },
    maxPages: number,
  ) {
    // Actor and action are key conditions of their own index (an actor's trail is the narrower of
    // the two); the rest filter what that partition returns.
    const filter = new Conditions();
    let source: { index?: string; pkAttr: string; skAttr: string; pk: string };
    if (f.actorId) {
      source = {
        index: gsiName(2),
        pkAttr: 'gsi2pk',
        skAttr: 'gsi2sk',
        pk: keys.auditByActor(tenantId, f.actorId),
      };
      if (f.action) filter.compare('action', '=', f.action);
    } else if (f.action) {
      source = {
        index: gsiName(1),
        pkAttr: 'gsi1pk',
        skAttr: 'gsi1sk',
        pk: keys.auditByAction(tenantId, f.action),
      };
    } else {
      source = { pkAttr: 'pk', skAttr: 'sk', pk: keys.audit(tenantId) };
    }
    if (f.outcome) filter.compare('outcome', '=', f.outcome);
    if (f.from) filter.compare('occurredAt', '>=', iso(f.from));
    if (f.to) filter.compare('occurredAt', '<', iso(f.to));
    const res: NewestFirstPage = await queryNewestFirst(doc, {
      table: TableName,
      ...source,
      beforeId: page.beforeId,
      filter,
      limit: page.limit,
      maxPages,
      consistent: true,
    });
    return { items: res.items.map(toEvent), nextBeforeId: res.nextBeforeId };
  }

  return {
    async append(e) {
      await doc.send(
        new PutCommand({
          TableName,
          Item: {
            pk: keys.audit(e.tenantId),
            sk: e.id,
            gsi1pk: keys.auditByAction(e.tenantId, e.action),
            gsi1sk: e.id,
            ...(e.actorId ? { gsi2pk: keys.auditByActor(e.tenantId, e.actorId), gsi2sk: e.id } : {}),
            entity: 'audit',
            id: e.id,
            tenantId: e.tenantId,
            occurredAt: iso(e.occurredAt),
            actorId: e.actorId ?? undefined,
            action: e.action,
            outcome: e.outcome,
            targetType: e.targetType ?? undefined,
            targetId: e.targetId ?? undefined,
            ip: e.ip ?? undefined,
            requestId: e.requestId ?? undefined,
            // JSON text, as the SQL store keeps it: the details round-trip identically on both.
            details: JSON.stringify(e.details),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },
    listPage,
    async list(tenantId, filters, page) {
      return listAll(page.limit, page.beforeId, (limit, beforeId) =>
        listPage(tenantId, filters, { limit, beforeId }, BOUNDED_PAGES),
      );
    },
  };
}
