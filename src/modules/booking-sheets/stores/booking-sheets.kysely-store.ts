import type { ColumnType, Kysely, Selectable, Transaction } from 'kysely';
import type { DB } from '../../../db/schema.js';
import { isUniqueViolation } from '../../../db/errors.js';
import type {
  BookingSheetRecord,
  BookingSheetStore,
  FieldChange,
  SheetAction,
  SheetField,
  SheetStatus,
  SheetValidation,
  SheetVersionRecord,
  SheetWriteResult,
} from '../booking-sheets.store.js';
import { SHEET_STATUSES } from '../booking-sheets.store.js';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;

/** Row types of `booking_sheets` and `booking_sheet_versions` (migration 0003). */
export interface BookingSheetsTable {
  tenant_id: string;
  booking_id: string;
  id: string;
  schema_name: string;
  schema_version: string;
  source_run_id: string | null;
  status: string;
  version: number;
  fields: Json<Record<string, SheetField>>;
  validation: Json<SheetValidation>;
  created_by: string;
  created_at: Timestamp;
  updated_by: string;
  updated_at: Timestamp;
  last_edited_by: string;
  last_edited_at: Timestamp;
  status_changed_at: Timestamp;
  submitted_by: string | null;
  submitted_at: Timestamp | null;
  decided_by: string | null;
  decided_at: Timestamp | null;
  decision_reason: string | null;
}

export interface BookingSheetVersionsTable {
  tenant_id: string;
  booking_id: string;
  version: number;
  sheet_id: string;
  action: string;
  status: string;
  changes: Json<FieldChange[]>;
  reason: string | null;
  source_run_id: string | null;
  validation: Json<SheetValidation>;
  actor: string;
  at: Timestamp;
}

/** A type alias: Kysely's withTables wants an index-signature-compatible type. */
export type BookingSheetTables = {
  booking_sheets: BookingSheetsTable;
  booking_sheet_versions: BookingSheetVersionsTable;
};

type SheetDb = Kysely<DB & BookingSheetTables> | Transaction<DB & BookingSheetTables>;

const json = (value: unknown): string => JSON.stringify(value);

function toSheet(r: Selectable<BookingSheetsTable>): BookingSheetRecord {
  return {
    tenantId: r.tenant_id,
    bookingId: r.booking_id,
    id: r.id,
    schemaName: r.schema_name,
    schemaVersion: r.schema_version,
    sourceRunId: r.source_run_id,
    status: r.status as SheetStatus,
    version: r.version,
    fields: r.fields,
    validation: r.validation,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedBy: r.updated_by,
    updatedAt: r.updated_at,
    lastEditedBy: r.last_edited_by,
    lastEditedAt: r.last_edited_at,
    statusChangedAt: r.status_changed_at,
    submittedBy: r.submitted_by,
    submittedAt: r.submitted_at,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    decisionReason: r.decision_reason,
  };
}

function toVersion(r: Selectable<BookingSheetVersionsTable>): SheetVersionRecord {
  return {
    tenantId: r.tenant_id,
    bookingId: r.booking_id,
    version: r.version,
    sheetId: r.sheet_id,
    action: r.action as SheetAction,
    status: r.status as SheetStatus,
    changes: r.changes,
    reason: r.reason,
    sourceRunId: r.source_run_id,
    validation: r.validation,
    actor: r.actor,
    at: r.at,
  };
}

function sheetColumns(s: BookingSheetRecord) {
  return {
    tenant_id: s.tenantId,
    booking_id: s.bookingId,
    id: s.id,
    schema_name: s.schemaName,
    schema_version: s.schemaVersion,
    source_run_id: s.sourceRunId,
    status: s.status,
    version: s.version,
    fields: json(s.fields),
    validation: json(s.validation),
    created_by: s.createdBy,
    created_at: s.createdAt,
    updated_by: s.updatedBy,
    updated_at: s.updatedAt,
    last_edited_by: s.lastEditedBy,
    last_edited_at: s.lastEditedAt,
    status_changed_at: s.statusChangedAt,
    submitted_by: s.submittedBy,
    submitted_at: s.submittedAt,
    decided_by: s.decidedBy,
    decided_at: s.decidedAt,
    decision_reason: s.decisionReason,
  };
}

/** Identity and creation columns never change after the first version. */
function updatableColumns(s: BookingSheetRecord) {
  const all: Partial<ReturnType<typeof sheetColumns>> = sheetColumns(s);
  delete all.tenant_id;
  delete all.booking_id;
  delete all.id;
  delete all.created_by;
  delete all.created_at;
  return all;
}

async function insertVersion(db: SheetDb, v: SheetVersionRecord): Promise<void> {
  await db
    .insertInto('booking_sheet_versions')
    .values({
      tenant_id: v.tenantId,
      booking_id: v.bookingId,
      version: v.version,
      sheet_id: v.sheetId,
      action: v.action,
      status: v.status,
      changes: json(v.changes),
      reason: v.reason,
      source_run_id: v.sourceRunId,
      validation: json(v.validation),
      actor: v.actor,
      at: v.at,
    })
    .execute();
}

async function findSheet(db: SheetDb, tenantId: string, bookingId: string): Promise<BookingSheetRecord | undefined> {
  const row = await db
    .selectFrom('booking_sheets')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('booking_id', '=', bookingId)
    .executeTakeFirst();
  return row ? toSheet(row) : undefined;
}

function assertSameVersion(next: BookingSheetRecord, history: SheetVersionRecord): void {
  if (
    history.version !== next.version ||
    history.tenantId !== next.tenantId ||
    history.bookingId !== next.bookingId ||
    history.sheetId !== next.id
  ) {
    throw new Error('a sheet write and its history row must describe the same sheet version');
  }
}

export function createKyselyBookingSheetStore(base: Kysely<DB>): BookingSheetStore {
  const db = base.withTables<BookingSheetTables>();

  return {
    async createSheet(record, history) {
      assertSameVersion(record, history);
      if (record.version !== 1) throw new Error('a new sheet starts at version 1');
      try {
        return await db.transaction().execute(async (trx): Promise<SheetWriteResult> => {
          const row = await trx
            .insertInto('booking_sheets')
            .values(sheetColumns(record))
            .onConflict((oc) => oc.columns(['tenant_id', 'booking_id']).doNothing())
            .returningAll()
            .executeTakeFirst();
          if (!row) return { ok: false, reason: 'exists', current: await findSheet(trx, record.tenantId, record.bookingId) };
          await insertVersion(trx, history);
          return { ok: true, record: toSheet(row) };
        });
      } catch (err) {
        // A leftover history row of the same version can only come from a concurrent create.
        if (isUniqueViolation(err)) {
          return { ok: false, reason: 'exists', current: await findSheet(db, record.tenantId, record.bookingId) };
        }
        throw err;
      }
    },

    findSheet: (tenantId, bookingId) => findSheet(db, tenantId, bookingId),

    async updateSheetIfVersion(expectedVersion, next, history) {
      assertSameVersion(next, history);
      if (next.version !== expectedVersion + 1) throw new Error('the next sheet version must follow the expected one');
      return db.transaction().execute(async (trx): Promise<SheetWriteResult> => {
        const row = await trx
          .updateTable('booking_sheets')
          .set(updatableColumns(next))
          .where('tenant_id', '=', next.tenantId)
          .where('booking_id', '=', next.bookingId)
          .where('id', '=', next.id)
          .where('version', '=', expectedVersion)
          .returningAll()
          .executeTakeFirst();
        if (!row) {
          const current = await findSheet(trx, next.tenantId, next.bookingId);
          return { ok: false, reason: current && current.id === next.id ? 'version_mismatch' : 'not_found', current };
        }
        await insertVersion(trx, history);
        return { ok: true, record: toSheet(row) };
      });
    },

    async listVersions(tenantId, bookingId, page) {
      let q = db
        .selectFrom('booking_sheet_versions')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('booking_id', '=', bookingId);
      if (page.beforeVersion !== undefined) q = q.where('version', '<', page.beforeVersion);
      const rows = await q.orderBy('version', 'desc').limit(page.limit).execute();
      return rows.map(toVersion);
    },

    async listByStatus(tenantId, status, page) {
      let q = db.selectFrom('booking_sheets').selectAll().where('tenant_id', '=', tenantId).where('status', '=', status);
      const after = page.after;
      if (after) {
        q = q.where((eb) =>
          eb.or([
            eb('status_changed_at', '>', after.statusChangedAt),
            eb.and([eb('status_changed_at', '=', after.statusChangedAt), eb('booking_id', '>', after.bookingId)]),
          ]),
        );
      }
      const rows = await q.orderBy('status_changed_at', 'asc').orderBy('booking_id', 'asc').limit(page.limit).execute();
      return rows.map(toSheet);
    },

    async countByStatus() {
      const rows = await db
        .selectFrom('booking_sheets')
        .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
        .groupBy('status')
        .execute();
      const out = Object.fromEntries(SHEET_STATUSES.map((s) => [s, 0])) as Record<SheetStatus, number>;
      for (const r of rows) if ((SHEET_STATUSES as readonly string[]).includes(r.status)) out[r.status as SheetStatus] = Number(r.n);
      return out;
    },
  };
}
