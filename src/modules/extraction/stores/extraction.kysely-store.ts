import { randomUUID } from 'node:crypto';
import type { ColumnType, Kysely, Selectable } from 'kysely';
import type { DB } from '../../../db/schema.js';
import type { FieldResult } from '../engine.js';
import type {
  ExtractionRunRecord,
  ExtractionRunStore,
  RunStatus,
  RunTimings,
  RunUsage,
} from '../extraction.store.js';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;

/** Row type of `extraction_runs` (migration 0003). */
export interface ExtractionRunsTable {
  id: string;
  tenant_id: string;
  booking_id: string;
  schema_name: string;
  schema_version: string;
  engine: string;
  engine_used: string | null;
  document_ids: Json<string[]> | null;
  status: string;
  attempts: number;
  lease_token: string | null;
  lease_expires_at: Timestamp | null;
  fields: Json<Record<string, FieldResult>> | null;
  warnings: Json<string[]>;
  usage: Json<RunUsage> | null;
  timings: Json<RunTimings> | null;
  document_count: number | null;
  page_count: number | null;
  error_code: string | null;
  error_message: string | null;
  created_by: string;
  created_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
}

/** A type alias: Kysely's withTables wants an index-signature-compatible type. */
export type ExtractionTables = {
  extraction_runs: ExtractionRunsTable;
};

const json = (value: unknown): string => JSON.stringify(value);

function toRecord(r: Selectable<ExtractionRunsTable>): ExtractionRunRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    bookingId: r.booking_id,
    schemaName: r.schema_name,
    schemaVersion: r.schema_version,
    engine: r.engine,
    engineUsed: r.engine_used,
    documentIds: r.document_ids,
    status: r.status as RunStatus,
    attempts: r.attempts,
    leaseToken: r.lease_token,
    leaseExpiresAt: r.lease_expires_at,
    fields: r.fields,
    warnings: r.warnings,
    usage: r.usage,
    timings: r.timings,
    documentCount: r.document_count,
    pageCount: r.page_count,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    createdBy: r.created_by,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

export function createKyselyExtractionRunStore(base: Kysely<DB>): ExtractionRunStore {
  const db = base.withTables<ExtractionTables>();

  const find = async (tenantId: string, id: string) => {
    const row = await db
      .selectFrom('extraction_runs')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  };

  return {
    async createRun(rec) {
      const row = await db
        .insertInto('extraction_runs')
        .values({
          id: rec.id,
          tenant_id: rec.tenantId,
          booking_id: rec.bookingId,
          schema_name: rec.schemaName,
          schema_version: rec.schemaVersion,
          engine: rec.engine,
          engine_used: rec.engineUsed,
          document_ids: rec.documentIds === null ? null : json(rec.documentIds),
          status: rec.status,
          attempts: rec.attempts,
          lease_token: rec.leaseToken,
          lease_expires_at: rec.leaseExpiresAt,
          fields: rec.fields === null ? null : json(rec.fields),
          warnings: json(rec.warnings),
          usage: rec.usage === null ? null : json(rec.usage),
          timings: rec.timings === null ? null : json(rec.timings),
          document_count: rec.documentCount,
          page_count: rec.pageCount,
          error_code: rec.errorCode,
          error_message: rec.errorMessage,
          created_by: rec.createdBy,
          created_at: rec.createdAt,
          started_at: rec.startedAt,
          finished_at: rec.finishedAt,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(row);
    },

    findRun: find,

    async listRuns(tenantId, bookingId, page) {
      let q = db
        .selectFrom('extraction_runs')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('booking_id', '=', bookingId);
      if (page.beforeId) q = q.where('id', '<', page.beforeId);
      const rows = await q.orderBy('id', 'desc').limit(page.limit).execute();
      return rows.map(toRecord);
    },

    async latestSucceededRun(tenantId, bookingId, schemaName) {
      let q = db
        .selectFrom('extraction_runs')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('booking_id', '=', bookingId)
        .where('status', '=', 'succeeded');
      if (schemaName) q = q.where('schema_name', '=', schemaName);
      const row = await q.orderBy('id', 'desc').limit(1).executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async claimRun(tenantId, id, now, leaseMs) {
      const token = randomUUID();
      const row = await db
        .updateTable('extraction_runs')
        .set((eb) => ({
          status: 'running',
          attempts: eb('attempts', '+', 1),
          lease_token: token,
          lease_expires_at: new Date(now.getTime() + leaseMs),
          started_at: now,
        }))
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where((eb) =>
          eb.or([
            eb('status', '=', 'queued'),
            eb.and([eb('status', '=', 'running'), eb('lease_expires_at', '<=', now)]),
          ]),
        )
        .returningAll()
        .executeTakeFirst();
      if (row) return { claimed: true, record: toRecord(row), token };
      return { claimed: false, record: await find(tenantId, id) };
    },

    async completeRun(tenantId, id, token, result) {
      const row = await db
        .updateTable('extraction_runs')
        .set({
          status: 'succeeded',
          engine_used: result.engineUsed,
          fields: json(result.fields),
          warnings: json(result.warnings),
          usage: result.usage === null ? null : json(result.usage),
          timings: json(result.timings),
          document_count: result.documentCount,
          page_count: result.pageCount,
          finished_at: result.finishedAt,
          lease_token: null,
          lease_expires_at: null,
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('status', '=', 'running')
        .where('lease_token', '=', token)
        .returningAll()
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async failRun(tenantId, id, token, failure) {
      const row = await db
        .updateTable('extraction_runs')
        .set({
          status: 'failed',
          error_code: failure.errorCode,
          error_message: failure.errorMessage,
          timings: failure.timings === null ? null : json(failure.timings),
          finished_at: failure.finishedAt,
          lease_token: null,
          lease_expires_at: null,
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('status', '=', 'running')
        .where('lease_token', '=', token)
        .returningAll()
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async releaseRun(tenantId, id, token) {
      const result = await db
        .updateTable('extraction_runs')
        .set({ status: 'queued', lease_token: null, lease_expires_at: null })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('status', '=', 'running')
        .where('lease_token', '=', token)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async listStuckRuns(since, limit) {
      // The partial index of unfinished runs (migration 0004) keeps this small whatever the history.
      const rows = await db
        .selectFrom('extraction_runs')
        .selectAll()
        .where('status', 'in', ['queued', 'running'])
        .where((eb) =>
          eb.or([
            eb.and([eb('status', '=', 'queued'), eb('created_at', '<', since.queuedBefore)]),
            eb.and([eb('status', '=', 'running'), eb('lease_expires_at', '<', since.leaseExpiredBy)]),
          ]),
        )
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(toRecord);
    },
  };
}
