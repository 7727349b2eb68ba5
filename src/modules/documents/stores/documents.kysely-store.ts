import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DB, DocumentsTable } from '../../../db/schema.js';
import type { FileKind } from '../../../lib/text-extraction/types.js';
import {
  DOCUMENT_STATUSES,
  type DocumentStore,
  type DocumentRecord,
  type DocumentStatus,
  type DocumentType,
  type SearchHit,
} from '../documents.store.js';

const toRecord = (r: Selectable<DocumentsTable>): DocumentRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  bookingId: r.booking_id,
  fileName: r.file_name,
  contentType: r.content_type,
  kind: r.kind as FileKind,
  sizeBytes: Number(r.size_bytes),
  sha256: r.sha256,
  blobKey: r.blob_key,
  status: r.status as DocumentStatus,
  errorCode: r.error_code,
  errorMessage: r.error_message,
  pageCount: r.page_count,
  ocrPages: r.ocr_pages,
  documentType: r.document_type as DocumentType | null,
  documentTypeConfidence: r.document_type_confidence,
  uploadedBy: r.uploaded_by,
  uploadedAt: r.uploaded_at,
  processedAt: r.processed_at,
  attempts: r.attempts,
  leaseToken: r.lease_token,
  leaseExpiresAt: r.lease_expires_at,
  deletedAt: r.deleted_at,
});

// Highlight markers for ts_headline: characters that do not occur in extracted text (it is normalised
// and stripped of control characters), so offsets can be recovered exactly.
const START = '\u0001';
const STOP = '\u0002';

function parseHighlights(marked: string): { text: string; highlights: { start: number; end: number }[] } {
  let text = '';
  const highlights: { start: number; end: number }[] = [];
  let open = -1;
  for (const ch of marked) {
    if (ch === START) open = text.length;
    else if (ch === STOP) {
      if (open >= 0) highlights.push({ start: open, end: text.length });
      open = -1;
    } else text += ch;
  }
  return { text, highlights };
}

export function createKyselyDocumentStore(db: Kysely<DB>): DocumentStore {
  /** Live documents: not deleted, and their booking not deleted either. */
  const live = () =>
    db
      .selectFrom('documents as d')
      .innerJoin('loan_bookings as b', 'b.id', 'd.booking_id')
      .selectAll('d')
      .where('d.deleted_at', 'is', null)
      .where('b.deleted_at', 'is', null);

  return {
    async createDocuments(records) {
      return db.transaction().execute(async (trx) => {
        const created: DocumentRecord[] = [];
        const duplicates = new Map<string, DocumentRecord>();
        for (const r of records) {
          const row = await trx
            .insertInto('documents')
            .values({
              id: r.id,
              tenant_id: r.tenantId,
              booking_id: r.bookingId,
              file_name: r.fileName,
              content_type: r.contentType,
              kind: r.kind,
              size_bytes: r.sizeBytes,
              sha256: r.sha256,
              blob_key: r.blobKey,
              status: r.status,
              error_code: null,
              error_message: null,
              page_count: r.pageCount,
              ocr_pages: null,
              document_type: null,
              document_type_confidence: null,
              uploaded_by: r.uploadedBy,
              uploaded_at: r.uploadedAt,
              processed_at: null,
              attempts: 0,
              lease_token: null,
              lease_expires_at: null,
              deleted_at: null,
            })
            .onConflict((oc) => oc.columns(['tenant_id', 'booking_id', 'sha256']).where('deleted_at', 'is', null).doNothing())
            .returningAll()
            .executeTakeFirst();
          if (row) {
            created.push(toRecord(row));
            continue;
          }
          const existing = await trx
            .selectFrom('documents')
            .selectAll()
            .where('tenant_id', '=', r.tenantId)
            .where('booking_id', '=', r.bookingId)
            .where('sha256', '=', r.sha256)
            .where('deleted_at', 'is', null)
            .executeTakeFirstOrThrow();
          duplicates.set(r.sha256, toRecord(existing));
        }
        return { created, duplicates };
      });
    },

    async findBySha256(tenantId, bookingId, sha256) {
      const row = await live().where('d.tenant_id', '=', tenantId).where('d.booking_id', '=', bookingId).where('d.sha256', '=', sha256).executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async find(tenantId, id) {
      const row = await live().where('d.tenant_id', '=', tenantId).where('d.id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async list(tenantId, f, page) {
      let q = live().where('d.tenant_id', '=', tenantId);
      if (f.bookingId) q = q.where('d.booking_id', '=', f.bookingId);
      if (f.productId) q = q.where('b.product_id', '=', f.productId);
      if (f.status) q = q.where('d.status', '=', f.status);
      if (f.kind) q = q.where('d.kind', '=', f.kind);
      if (f.documentType) q = q.where('d.document_type', '=', f.documentType);
      if (f.uploadedFrom) q = q.where('d.uploaded_at', '>=', f.uploadedFrom);
      if (f.uploadedTo) q = q.where('d.uploaded_at', '<', f.uploadedTo);
      if (page.beforeId) q = q.where('d.id', '<', page.beforeId);
      const rows = await q.orderBy('d.id', 'desc').limit(page.limit).execute();
      return rows.map(toRecord);
    },

    async claimForProcessing(tenantId, id, now, leaseMs) {
      const token = randomUUID();
      const row = await db
        .updateTable('documents')
        .set((eb) => ({
          status: 'processing',
          lease_token: token,
          lease_expires_at: new Date(now.getTime() + leaseMs),
          attempts: eb('attempts', '+', 1),
        }))
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .where((eb) => eb.or([eb('status', '=', 'uploaded'), eb.and([eb('status', '=', 'processing'), eb('lease_expires_at', '<', now)])]))
        .returningAll()
        .executeTakeFirst();
      if (row) return { claimed: true, record: toRecord(row), token };
      const current = await db.selectFrom('documents').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      return { claimed: false, record: current ? toRecord(current) : undefined };
    },

    async completeProcessing(tenantId, id, token, result) {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('documents')
          .set({
            status: 'processed',
            page_count: result.pageCount,
            ocr_pages: result.ocrPages,
            document_type: result.documentType,
            document_type_confidence: result.documentTypeConfidence,
            processed_at: result.processedAt,
            error_code: null,
            error_message: null,
            lease_token: null,
            lease_expires_at: null,
          })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .where('lease_token', '=', token)
          .where('deleted_at', 'is', null)
          .returning(['booking_id'])
          .executeTakeFirst();
        if (!row) return false;
        // Redelivery after a crash may have stored pages already: replace, never duplicate.
        await trx.deleteFrom('document_pages').where('document_id', '=', id).execute();
        await trx.deleteFrom('document_passages').where('document_id', '=', id).execute();
        for (let i = 0; i < result.pages.length; i += 200) {
          const chunk = result.pages.slice(i, i + 200);
          await trx
            .insertInto('document_pages')
            .values(chunk.map((p) => ({ tenant_id: tenantId, document_id: id, page: p.page, text: p.text, method: p.method })))
            .execute();
        }
        for (let i = 0; i < result.passages.length; i += 500) {
          const chunk = result.passages.slice(i, i + 500);
          await trx
            .insertInto('document_passages')
            .values(
              chunk.map((p) => ({
                tenant_id: tenantId,
                booking_id: row.booking_id,
                document_id: id,
                page: p.page,
                ordinal: p.ordinal,
                start_offset: p.start,
                end_offset: p.end,
                text: p.text,
              })),
            )
            .execute();
        }
        return true;
      });
    },

    async failProcessing(tenantId, id, token, errorCode, errorMessage) {
      const res = await db
        .updateTable('documents')
        .set({ status: 'failed', error_code: errorCode, error_message: errorMessage, lease_token: null, lease_expires_at: null })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('lease_token', '=', token)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) === 1;
    },

    async releaseProcessing(tenantId, id, token, lastError) {
      const res = await db
        .updateTable('documents')
        .set({ status: 'uploaded', error_message: lastError, lease_token: null, lease_expires_at: null })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('lease_token', '=', token)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) === 1;
    },

    async resetForRetry(tenantId, id) {
      const row = await db
        .updateTable('documents')
        .set({ status: 'uploaded', error_code: null, error_message: null, attempts: 0 })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('status', '=', 'failed')
        .where('deleted_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async softDelete(tenantId, id, now) {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('documents')
          .set({ deleted_at: now, lease_token: null, lease_expires_at: null })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .where('deleted_at', 'is', null)
          .where((eb) => eb.exists(eb.selectFrom('loan_bookings as b').select('b.id').whereRef('b.id', '=', 'documents.booking_id').where('b.deleted_at', 'is', null)))
          .returningAll()
          .executeTakeFirst();
        if (!row) return undefined;
        await trx.deleteFrom('document_pages').where('document_id', '=', id).execute();
        await trx.deleteFrom('document_passages').where('document_id', '=', id).execute();
        return toRecord(row);
      });
    },

    async getPages(tenantId, documentId, range) {
      const rows = await db
        .selectFrom('document_pages')
        .select(['page', 'text', 'method'])
        .where('tenant_id', '=', tenantId)
        .where('document_id', '=', documentId)
        .where('page', '>=', range.from)
        .orderBy('page')
        .limit(range.limit)
        .execute();
      return rows;
    },

    async pagesForBooking(tenantId, bookingId, documentIds) {
      let q = db
        .selectFrom('document_pages as p')
        .innerJoin('documents as d', 'd.id', 'p.document_id')
        .innerJoin('loan_bookings as b', 'b.id', 'd.booking_id')
        .select(['p.document_id', 'd.file_name', 'p.page', 'p.text'])
        .where('d.tenant_id', '=', tenantId)
        .where('d.booking_id', '=', bookingId)
        .where('d.status', '=', 'processed')
        .where('d.deleted_at', 'is', null)
        .where('b.deleted_at', 'is', null);
      if (documentIds && documentIds.length > 0) q = q.where('d.id', 'in', documentIds);
      const rows = await q.orderBy('d.id').orderBy('p.page').execute();
      return rows.map((r) => ({ documentId: r.document_id, documentName: r.file_name, page: r.page, text: r.text }));
    },

    async search(tenantId, bookingId, query, limit) {
      const rows = await sql<{
        document_id: string;
        file_name: string;
        page: number;
        start_offset: number;
        end_offset: number;
        score: number;
        marked: string;
      }>`
        select p.document_id, d.file_name, p.page, p.start_offset, p.end_offset,
               ts_rank_cd(p.tsv, q) as score,
               ts_headline('english', p.text, q, ${`StartSel=${START}, StopSel=${STOP}, HighlightAll=true`}) as marked
        from document_passages p
        join documents d on d.id = p.document_id
        join loan_bookings b on b.id = d.booking_id,
        websearch_to_tsquery('english', ${query}) q
        where p.tenant_id = ${tenantId} and p.booking_id = ${bookingId}
          and d.deleted_at is null and b.deleted_at is null and p.tsv @@ q
        order by score desc, p.document_id, p.page, p.ordinal
        limit ${limit}`.execute(db);
      return rows.rows.map((r): SearchHit => {
        const { text, highlights } = parseHighlights(r.marked);
        return {
          documentId: r.document_id,
          documentName: r.file_name,
          page: r.page,
          start: r.start_offset,
          end: r.end_offset,
          text,
          score: Number(r.score),
          highlights,
        };
      });
    },

    async bookingSummary(tenantId, bookingId) {
      const rows = await db
        .selectFrom('documents')
        .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
        .where('tenant_id', '=', tenantId)
        .where('booking_id', '=', bookingId)
        .where('deleted_at', 'is', null)
        .groupBy('status')
        .execute();
      const out = Object.fromEntries(DOCUMENT_STATUSES.map((s) => [s, 0])) as Record<DocumentStatus, number>;
      for (const r of rows) out[r.status as DocumentStatus] = Number(r.n);
      return out;
    },

    async listStuck(since, limit) {
      const rows = await db
        .selectFrom('documents')
        .selectAll()
        .where((eb) =>
          eb.or([
            eb.and([eb('status', '=', 'uploaded'), eb('uploaded_at', '<', since.uploadedBefore)]),
            eb.and([eb('status', '=', 'processing'), eb('lease_expires_at', '<', since.leaseExpiredBy)]),
          ]),
        )
        .where('deleted_at', 'is', null)
        .orderBy('uploaded_at')
        .limit(limit)
        .execute();
      return rows.map(toRecord);
    },

    async liveDocumentIds(ids) {
      if (ids.length === 0) return new Set();
      const rows = await db.selectFrom('documents').select('id').where('id', 'in', ids).where('deleted_at', 'is', null).execute();
      return new Set(rows.map((r) => r.id));
    },

    async countByStatus() {
      const rows = await db
        .selectFrom('documents')
        .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
        .where('deleted_at', 'is', null)
        .groupBy('status')
        .execute();
      const out = Object.fromEntries(DOCUMENT_STATUSES.map((s) => [s, 0])) as Record<DocumentStatus, number>;
      for (const r of rows) out[r.status as DocumentStatus] = Number(r.n);
      return out;
    },
  };
}
