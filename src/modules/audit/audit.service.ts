import type { FastifyBaseLogger } from 'fastify';
import { newId } from '../../lib/ids.js';
import type { Clock } from '../../lib/clock.js';
import type { RequestMeta } from '../../lib/request-meta.js';
import type { AuditStore, AuditOutcome, AuditFilters, AuditEvent } from './audit.store.js';

export interface AuditRecordInput {
  action: string;
  outcome: AuditOutcome;
  tenantId?: string;
  actorId?: string | null;
  targetType?: string;
  targetId?: string;
  details?: Record<string, unknown>;
}

export interface AuditService {
  record(meta: RequestMeta | undefined, input: AuditRecordInput): Promise<void>;
  list(tenantId: string, filters: AuditFilters, page: { limit: number; beforeId?: string | undefined }): Promise<AuditEvent[]>;
}

/**
 * Security audit: stored for admins and logged for the SIEM. Callers pass ids and codes, never
 * passwords, tokens or customer names; details are whatever small structured context helps.
 */
export function createAuditService(store: AuditStore, clock: Clock, log: FastifyBaseLogger, defaultTenantId: string): AuditService {
  return {
    async record(meta, input) {
      const event: AuditEvent = {
        id: newId(),
        tenantId: input.tenantId ?? meta?.principal?.tenantId ?? defaultTenantId,
        occurredAt: clock.now(),
        actorId: input.actorId !== undefined ? input.actorId : (meta?.principal?.userId ?? null),
        action: input.action,
        outcome: input.outcome,
        targetType: input.targetType ?? null,
        targetId: input.targetId ?? null,
        ip: meta?.ip ?? null,
        requestId: meta?.requestId ?? null,
        details: input.details ?? {},
      };
      log.info(
        {
          audit: true,
          action: event.action,
          outcome: event.outcome,
          tenant_id: event.tenantId,
          actor_id: event.actorId,
          target_type: event.targetType,
          target_id: event.targetId,
          ip: event.ip,
          request_id: event.requestId,
        },
        'audit event',
      );
      await store.append(event);
    },
    list: (tenantId, filters, page) => store.list(tenantId, filters, page),
  };
}
