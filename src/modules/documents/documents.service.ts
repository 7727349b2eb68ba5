import path from 'node:path';
import type { Readable } from 'node:stream';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config/config.js';
import { AppError } from '../../lib/errors.js';
import { isId, newId } from '../../lib/ids.js';
import type { Clock } from '../../lib/clock.js';
import type { RequestMeta } from '../../lib/request-meta.js';
import type { BlobStore } from '../../lib/blob-store/blob-store.js';
import type { JobQueue } from '../../lib/job-queue/job-queue.js';
import type { AuditService } from '../audit/audit.service.js';
import type { LoanBookingService } from '../loan-bookings/loan-bookings.service.js';
import type { LoanBookingRecord, BookingStatus } from '../loan-bookings/loan-bookings.store.js';
import type { DocumentStore, DocumentRecord, DocumentFilters, SearchHit, PageRecord } from './documents.store.js';
import { stageFile, type IncomingPart, type StagedFile } from './upload.js';
import type { KnowledgeBaseSearch } from './kb-sync.js';

export interface UploadResult {
  booking: LoanBookingRecord;
  documents: { record: DocumentRecord; duplicate: boolean }[];
}

export interface ContentResult {
  record: DocumentRecord;
  stream?: Readable;
  range?: { start: number; end: number };
  redirectUrl?: string;
}

// Uploads are refused once a booking is settled; corrections go through a new booking or a reopen.
const UPLOAD_CLOSED: readonly BookingStatus[] = ['approved', 'booked', 'cancelled'];

export interface DocumentService {
  /**
   * Uploads every file part of a request to a booking, all or nothing. `createBooking`, when given, is
   * the legacy one-call flow: the booking is created from the form fields once the files are stored.
   */
  upload(
    target: { bookingId: string } | { createBooking: (fields: Record<string, string>, bookingId: string) => Promise<LoanBookingRecord> },
    parts: AsyncIterable<IncomingPart>,
    meta: RequestMeta,
    signal: AbortSignal,
  ): Promise<UploadResult>;
  get(tenantId: string, id: string): Promise<DocumentRecord>;
  list(tenantId: string, filters: DocumentFilters, page: { limit: number; beforeId?: string | undefined }): Promise<DocumentRecord[]>;
  content(tenantId: string, id: string, range: { start: number; end: number } | undefined, opts: { presign: boolean }): Promise<ContentResult>;
  remove(id: string, meta: RequestMeta): Promise<void>;
  reprocess(id: string, meta: RequestMeta): Promise<DocumentRecord>;
  pages(tenantId: string, id: string, from: number, limit: number): Promise<PageRecord[]>;
  search(tenantId: string, bookingId: string, query: string, limit: number): Promise<SearchHit[]>;
}

export function createDocumentService(deps: {
  config: Config;
  store: DocumentStore;
  blob: BlobStore;
  queue: JobQueue;
  bookings: LoanBookingService;
  audit: AuditService;
  clock: Clock;
  metrics: Registry;
  log: FastifyBaseLogger;
  knowledgeBase: KnowledgeBaseSearch | undefined;
}): DocumentService {
  const { config, store, blob, queue, bookings, audit, clock } = deps;
  const limits = config.uploads;
  const bytesUploaded = new Counter({ name: 'document_upload_bytes_total', help: 'Bytes of documents stored.', registers: [deps.metrics] });
  const uploads = new Counter({
    name: 'documents_uploaded_total',
    help: 'Documents uploaded, by detected type and outcome (created or duplicate).',
    labelNames: ['type', 'outcome'] as const,
    registers: [deps.metrics],
  });
  const rejected = new Counter({
    name: 'document_uploads_rejected_total',
    help: 'Upload requests refused, by error code.',
    labelNames: ['code'] as const,
    registers: [deps.metrics],
  });
  new Gauge({
    name: 'documents_by_status',
    help: 'Live documents by processing status.',
    labelNames: ['status'] as const,
    registers: [deps.metrics],
    async collect() {
      try {
        const counts = await store.countByStatus();
        for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      } catch {
        // A scrape during a database outage must not fail: the gauge keeps its last values.
      }
    },
  });

  async function requireDoc(tenantId: string, id: string): Promise<DocumentRecord> {
    const rec = await store.find(tenantId, id);
    if (!rec) throw new AppError('DOCUMENT_NOT_FOUND');
    return rec;
  }

  async function enqueueProcessing(docs: DocumentRecord[]): Promise<void> {
    for (const d of docs) {
      try {
        await queue.send('document.process', { tenantId: d.tenantId, documentId: d.id }, { singletonKey: d.id });
      } catch (err) {
        // The document is stored and visible as `uploaded`; the maintenance sweep re-enqueues it.
        deps.log.warn({ err, document_id: d.id }, 'could not enqueue document processing; the sweep will retry');
      }
    }
  }

  return {
    async upload(target, parts, meta, signal) {
      const principal = meta.principal!;
      const tenantId = principal.tenantId;
      const staged: StagedFile[] = [];
      const fields: Record<string, string> = {};
      let booking: LoanBookingRecord | undefined;
      let total = 0;
      let fileCount = 0;
      let createdBooking = false;
      // The legacy one-call flow stores files before the booking exists: their keys use the id it will get.
      const bookingId = 'bookingId' in target ? target.bookingId : newId();

      if ('bookingId' in target) {
        booking = await bookings.get(tenantId, target.bookingId);
        if (UPLOAD_CLOSED.includes(booking.status)) {
          throw new AppError('INVALID_STATE', `Documents cannot be added to a ${booking.status} loan booking`);
        }
      }
      try {
        for await (const part of parts) {
          if (part.kind === 'field') {
            if (part.fieldName in fields) throw new AppError('VALIDATION_FAILED', `Field ${part.fieldName} is repeated`, { fieldErrors: { [part.fieldName]: ['must appear once'] } });
            fields[part.fieldName] = part.value;
            continue;
          }
          if (part.fieldName !== 'files') {
            part.stream.destroy();
            throw new AppError('VALIDATION_FAILED', 'Files go in parts named "files"', { fieldErrors: { [part.fieldName]: ['unexpected file part; use "files"'] } });
          }
          fileCount++;
          if (fileCount > limits.maxFiles) {
            part.stream.destroy();
            throw new AppError('PAYLOAD_TOO_LARGE', `At most ${limits.maxFiles} files per request`, { details: { limit: 'files_per_request', max_files: limits.maxFiles } });
          }
          const file = await stageFile(
            part,
            {
              blob,
              tenantId,
              bookingId,
              limits,
              tempDir: path.join(config.dataDir, 'tmp'),
              clamav: limits.clamav,
              signal,
              onInfected: (fileName, signature) =>
                audit.record(meta, { action: 'document.malware_rejected', outcome: 'denied', targetType: 'loan_booking', targetId: bookingId, details: { file_name: fileName, signature } }),
            },
            total,
          );
          staged.push(file);
          total += file.sizeBytes;
        }
        if (staged.length === 0) throw new AppError('VALIDATION_FAILED', 'No file was sent', { fieldErrors: { files: ['at least one file is required'] } });

        if (!booking && 'createBooking' in target) {
          booking = await target.createBooking(fields, bookingId);
          createdBooking = true;
        }
        const now = clock.now();
        const b = booking!;
        const { created, duplicates } = await store.createDocuments(
          staged.map((f) => ({
            id: f.documentId,
            tenantId,
            bookingId: b.id,
            fileName: f.fileName,
            contentType: f.detected.mime,
            kind: f.detected.kind,
            sizeBytes: f.sizeBytes,
            sha256: f.sha256,
            blobKey: f.key,
            status: 'uploaded',
            errorCode: null,
            errorMessage: null,
            pageCount: f.pageCount,
            ocrPages: null,
            documentType: null,
            documentTypeConfidence: null,
            uploadedBy: principal.userId,
            uploadedAt: now,
            processedAt: null,
            attempts: 0,
            leaseToken: null,
            leaseExpiresAt: null,
            deletedAt: null,
          })),
        );
        const createdIds = new Set(created.map((c) => c.id));
        // Blobs of files that turned out to be duplicates are not referenced by any row: remove them.
        for (const f of staged) if (!createdIds.has(f.documentId)) await blob.delete(f.key).catch(() => undefined);
        await enqueueProcessing(created);
        for (const c of created) {
          bytesUploaded.inc(c.sizeBytes);
          uploads.inc({ type: c.kind, outcome: 'created' });
        }
        if (created.length > 0) {
          await bookings.transition(tenantId, b.id, 'documents_received', ['draft'], principal.userId);
          await bookings.setSync(tenantId, b.id, 'pending', null, null);
        }
        const documents = staged.map((f) => {
          const fresh = created.find((c) => c.id === f.documentId);
          if (fresh) return { record: fresh, duplicate: false };
          uploads.inc({ type: f.detected.kind, outcome: 'duplicate' });
          return { record: duplicates.get(f.sha256)!, duplicate: true };
        });
        return { booking: await bookings.get(tenantId, b.id), documents };
      } catch (err) {
        for (const f of staged) await blob.delete(f.key).catch(() => undefined);
        if (createdBooking && booking) await bookings.remove(booking.id, undefined, meta).catch(() => undefined);
        rejected.inc({ code: err instanceof AppError ? err.code : 'INTERNAL_ERROR' });
        throw err;
      }
    },

    get: requireDoc,
    list: (tenantId, filters, page) => store.list(tenantId, filters, page),

    async content(tenantId, id, range, opts) {
      const record = await requireDoc(tenantId, id);
      if (opts.presign && blob.presignGet && !range) {
        const redirectUrl = await blob.presignGet(record.blobKey, { expiresInSeconds: 300, filename: record.fileName, contentType: record.contentType });
        return { record, redirectUrl };
      }
      if (range) {
        if (range.start >= record.sizeBytes) {
          throw new AppError('RANGE_NOT_SATISFIABLE', 'The range starts past the end of the document', {
            headers: { 'content-range': `bytes */${record.sizeBytes}` },
          });
        }
        const end = Math.min(range.end, record.sizeBytes - 1);
        return { record, stream: await blob.get(record.blobKey, { start: range.start, end }), range: { start: range.start, end } };
      }
      return { record, stream: await blob.get(record.blobKey) };
    },

    async remove(id, meta) {
      const tenantId = meta.principal!.tenantId;
      const rec = await store.softDelete(tenantId, id, clock.now());
      if (!rec) throw new AppError('DOCUMENT_NOT_FOUND');
      // The row is hidden first; a crash before the blob goes leaves an orphan that the sweep removes.
      await blob.delete(rec.blobKey).catch((err: unknown) => deps.log.warn({ err, document_id: id }, 'blob delete failed; the sweep will retry'));
      if (deps.knowledgeBase) {
        // The knowledge base forgets the document at its next sync of the booking (an S3 data source
        // drops objects that are gone, sidecar included); until then search leaves it out.
        await blob.delete(`${rec.blobKey}.metadata.json`).catch(() => undefined);
        await queue
          .send('document.kb-sync', { tenantId, bookingId: rec.bookingId, phase: 'start' }, { singletonKey: `kb-${rec.bookingId}` })
          .catch((err: unknown) => deps.log.warn({ err, document_id: id }, 'could not enqueue the knowledge base sync after a delete'));
      }
      await audit.record(meta, { action: 'document.delete', outcome: 'success', targetType: 'document', targetId: id, details: { loan_booking_id: rec.bookingId } });
    },

    async reprocess(id, meta) {
      const tenantId = meta.principal!.tenantId;
      await requireDoc(tenantId, id);
      const rec = await store.resetForRetry(tenantId, id);
      if (!rec) throw new AppError('INVALID_STATE', 'Only a failed document can be processed again');
      await enqueueProcessing([rec]);
      await audit.record(meta, { action: 'document.reprocess', outcome: 'success', targetType: 'document', targetId: id });
      return rec;
    },

    async pages(tenantId, id, from, limit) {
      await requireDoc(tenantId, id);
      return store.getPages(tenantId, id, { from, limit });
    },

    async search(tenantId, bookingId, query, limit) {
      await bookings.get(tenantId, bookingId);
      if (deps.knowledgeBase) {
        const hits = await deps.knowledgeBase.search(tenantId, bookingId, query, limit);
        // The index may still hold a deleted document until its next sync.
        const live = await store.liveDocumentIds([...new Set(hits.map((h) => h.documentId).filter((id) => isId(id)))]);
        return hits.filter((h) => live.has(h.documentId));
      }
      return store.search(tenantId, bookingId, query, limit);
    },
  };
}
