export type AuditOutcome = 'success' | 'failure' | 'denied';

export interface AuditEvent {
  id: string;
  tenantId: string;
  occurredAt: Date;
  actorId: string | null;
  action: string;
  outcome: AuditOutcome;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

export interface AuditFilters {
  action?: string | undefined;
  actorId?: string | undefined;
  outcome?: AuditOutcome | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

/** Append-only security audit trail, newest first. */
export interface AuditStore {
  append(event: AuditEvent): Promise<void>;
  list(tenantId: string, filters: AuditFilters, page: { limit: number; beforeId?: string | undefined }): Promise<AuditEvent[]>;
}
