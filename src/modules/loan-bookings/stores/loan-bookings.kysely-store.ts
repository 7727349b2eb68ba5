import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB, LoanBookingsTable } from '../../../db/schema.js';
import type {
  LoanBookingStore,
  LoanBookingRecord,
  BookingStatus,
  SyncState,
  UpdateResult,
} from '../loan-bookings.store.js';
import { customerNameKey } from '../loan-bookings.store.js';

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

const toRecord = (r: Selectable<LoanBookingsTable>): LoanBookingRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  customerName: r.customer_name,
  productId: r.product_id,
  externalReference: r.external_reference,
  notes: r.notes,
  status: r.status as BookingStatus,
  version: r.version,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedBy: r.updated_by,
  updatedAt: r.updated_at,
  deletedAt: r.deleted_at,
  deletedBy: r.deleted_by,
  sync: { state: r.sync_state as SyncState, jobId: r.sync_job_id, error: r.sync_error, updatedAt: r.sync_updated_at },
});

export function createKyselyLoanBookingStore(db: Kysely<DB>): LoanBookingStore {
  /** Why an update matched no row: absent (or deleted) versus a stale version versus a state guard. */
  async function explainMiss(tenantId: string, id: string, expectedVersion: number | undefined): Promise<UpdateResult> {
    const current = await db
      .selectFrom('loan_bookings')
      .select(['version'])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!current) return { ok: false, reason: 'not_found' };
    if (expectedVersion !== undefined && current.version !== expectedVersion) return { ok: false, reason: 'version_mismatch' };
    return { ok: false, reason: 'invalid_state' };
  }

  return {
    async create(rec) {
      const row = await db
        .insertInto('loan_bookings')
        .values({
          id: rec.id,
          tenant_id: rec.tenantId,
          customer_name: rec.customerName,
          customer_name_key: customerNameKey(rec.customerName),
          product_id: rec.productId,
          external_reference: rec.externalReference,
          notes: rec.notes,
          status: rec.status,
          version: rec.version,
          created_by: rec.createdBy,
          created_at: rec.createdAt,
          updated_by: rec.updatedBy,
          updated_at: rec.updatedAt,
          deleted_at: null,
          deleted_by: null,
          sync_state: rec.sync.state,
          sync_job_id: rec.sync.jobId,
          sync_error: rec.sync.error,
          sync_updated_at: rec.sync.updatedAt,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(row);
    },

    async find(tenantId, id, opts) {
      let q = db.selectFrom('loan_bookings').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id);
      if (!opts?.includeDeleted) q = q.where('deleted_at', 'is', null);
      const row = await q.executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async list(tenantId, f, page) {
      let q = db.selectFrom('loan_bookings').selectAll().where('tenant_id', '=', tenantId);
      q = f.deleted ? q.where('deleted_at', 'is not', null) : q.where('deleted_at', 'is', null);
      if (f.productId) q = q.where('product_id', '=', f.productId);
      if (f.status) q = q.where('status', '=', f.status);
      if (f.customerNamePrefix) q = q.where(sql<boolean>`customer_name_key like ${`${escapeLike(f.customerNamePrefix)}%`} escape '\\'`);
      if (f.createdFrom) q = q.where('created_at', '>=', f.createdFrom);
      if (f.createdTo) q = q.where('created_at', '<', f.createdTo);
      if (f.createdBy) q = q.where('created_by', '=', f.createdBy);
      if (page.beforeId) q = q.where('id', '<', page.beforeId);
      const rows = await q.orderBy('id', 'desc').limit(page.limit).execute();
      return rows.map(toRecord);
    },

    async update(tenantId, id, expectedVersion, patch, actor, now) {
      let q = db
        .updateTable('loan_bookings')
        .set((eb) => ({
          ...(patch.customerName !== undefined ? { customer_name: patch.customerName, customer_name_key: customerNameKey(patch.customerName) } : {}),
          ...(patch.productId !== undefined ? { product_id: patch.productId } : {}),
          ...(patch.externalReference !== undefined ? { external_reference: patch.externalReference } : {}),
          ...(patch.notes !== undefined ? { notes: patch.notes } : {}),
          ...(patch.status !== undefined ? { status: patch.status } : {}),
          version: eb('version', '+', 1),
          updated_by: actor,
          updated_at: now,
        }))
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null);
      if (expectedVersion !== undefined) q = q.where('version', '=', expectedVersion);
      const row = await q.returningAll().executeTakeFirst();
      return row ? { ok: true, record: toRecord(row) } : explainMiss(tenantId, id, expectedVersion);
    },

    async transition(tenantId, id, to, from, actor, now) {
      let q = db
        .updateTable('loan_bookings')
        .set((eb) => ({ status: to, version: eb('version', '+', 1), updated_by: actor, updated_at: now }))
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null);
      if (from && from.length > 0) q = q.where('status', 'in', [...from]);
      const row = await q.returningAll().executeTakeFirst();
      return row ? { ok: true, record: toRecord(row) } : explainMiss(tenantId, id, undefined);
    },

    async softDelete(tenantId, id, expectedVersion, actor, now) {
      let q = db
        .updateTable('loan_bookings')
        .set((eb) => ({ deleted_at: now, deleted_by: actor, version: eb('version', '+', 1), updated_by: actor, updated_at: now }))
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null);
      if (expectedVersion !== undefined) q = q.where('version', '=', expectedVersion);
      const row = await q.returningAll().executeTakeFirst();
      return row ? { ok: true, record: toRecord(row) } : explainMiss(tenantId, id, expectedVersion);
    },

    async setSyncStatus(tenantId, id, sync) {
      const row = await db
        .updateTable('loan_bookings')
        .set({ sync_state: sync.state, sync_job_id: sync.jobId, sync_error: sync.error, sync_updated_at: sync.updatedAt })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async statusBreakdown(tenantId, productId) {
      const rows = await db
        .selectFrom('loan_bookings')
        .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
        .where('tenant_id', '=', tenantId)
        .where('product_id', '=', productId)
        .where('deleted_at', 'is', null)
        .groupBy('status')
        .execute();
      const out: Partial<Record<BookingStatus, number>> = {};
      for (const r of rows) out[r.status as BookingStatus] = Number(r.n);
      return out;
    },
  };
}
