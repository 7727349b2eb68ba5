import { Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { BlobStore } from '../../lib/blob-store/blob-store.js';
import type { JobHandler, JobQueue } from '../../lib/job-queue/job-queue.js';
import type { KnowledgeBase } from '../../lib/bedrock/knowledge-base.js';
import type { LoanBookingService } from '../loan-bookings/loan-bookings.service.js';
import type { DocumentStore, SearchHit } from './documents.store.js';

export interface KnowledgeBaseSearch {
  search(tenantId: string, bookingId: string, query: string, limit: number): Promise<SearchHit[]>;
}

/** Retrieval through the knowledge base, always filtered to one booking of one tenant. */
export function createKnowledgeBaseSearch(kb: KnowledgeBase): KnowledgeBaseSearch {
  return {
    async search(tenantId, bookingId, query, limit) {
      const result = await kb.retrieve({ query, bookingId, tenantId, numberOfResults: limit });
      return result.passages.map((p) => ({
        documentId: p.documentId ?? '',
        documentName: typeof p.metadata.file_name === 'string' ? p.metadata.file_name : '',
        page: p.page ?? 1,
        start: 0,
        end: p.text.length,
        text: p.text,
        score: p.score ?? 0,
        highlights: [],
      }));
    },
  };
}

interface SyncJob extends Record<string, unknown> {
  tenantId: string;
  bookingId: string;
  phase: 'start' | 'poll';
  ingestionJobId?: string;
  polls?: number;
}

const POLL_SECONDS = 15;
const MAX_POLLS = 240; // an hour of polling before the sync is declared failed

/**
 * Keeps the knowledge base in step with a booking's processed documents, durably on the queue.
 * S3 storage: each document gets its metadata sidecar (booking and tenant ids, so retrieval can be
 * filtered), then a StartIngestionJob, followed by polling jobs until it completes. Local storage:
 * the page texts are ingested directly (IngestKnowledgeBaseDocuments, CUSTOM data source).
 */
export function createKbSyncHandler(deps: {
  kb: KnowledgeBase;
  blob: BlobStore;
  bucket: string | undefined;
  store: DocumentStore;
  bookings: LoanBookingService;
  queue: JobQueue;
  log: FastifyBaseLogger;
  /** Seconds between two polls of a running ingestion job (default 15). */
  pollSeconds?: number;
}): JobHandler<SyncJob> {
  const { kb, blob, store, bookings, queue } = deps;
  const pollSeconds = deps.pollSeconds ?? POLL_SECONDS;
  return async (job) => {
    const { tenantId, bookingId } = job.data;
    if (job.data.phase === 'poll' && job.data.ingestionJobId) {
      const info = await kb.getIngestionJob(job.data.ingestionJobId, { signal: job.signal });
      if (info.status === 'COMPLETE') {
        await bookings.setSync(tenantId, bookingId, info.statistics.documentsFailed > 0 ? 'failed' : 'indexed', info.jobId, info.statistics.documentsFailed > 0 ? `${info.statistics.documentsFailed} documents failed to index` : null);
        return;
      }
      if (info.status === 'FAILED' || info.status === 'STOPPED') {
        await bookings.setSync(tenantId, bookingId, 'failed', info.jobId, (info.failureReasons[0] ?? `Ingestion ${info.status.toLowerCase()}`).slice(0, 500));
        return;
      }
      const polls = (job.data.polls ?? 0) + 1;
      if (polls >= MAX_POLLS) {
        await bookings.setSync(tenantId, bookingId, 'failed', info.jobId, 'Ingestion did not finish in time');
        return;
      }
      await queue.send('document.kb-sync', { ...job.data, polls }, { startAfterSeconds: pollSeconds });
      return;
    }

    const pages = await store.pagesForBooking(tenantId, bookingId);
    const docIds = [...new Set(pages.map((p) => p.documentId))];
    if (blob.kind === 's3' && deps.bucket) {
      // Also with no document left: the ingestion job is what removes deleted objects from the index.
      for (const id of docIds) {
        const doc = await store.find(tenantId, id);
        if (!doc) continue;
        const sidecar = JSON.stringify({
          metadataAttributes: { booking_id: bookingId, tenant_id: tenantId, document_id: doc.id, file_name: doc.fileName, document_type: doc.documentType ?? 'other' },
        });
        await blob.put(`${doc.blobKey}.metadata.json`, Readable.from([Buffer.from(sidecar)]), { contentType: 'application/json' });
      }
      const started = await kb.startIngestion({ clientToken: `${bookingId}-${job.id}`.slice(0, 256), description: 'loan booking documents', signal: job.signal });
      await bookings.setSync(tenantId, bookingId, 'pending', started.jobId, null);
      await queue.send('document.kb-sync', { tenantId, bookingId, phase: 'poll', ingestionJobId: started.jobId, polls: 0 }, { startAfterSeconds: pollSeconds });
      return;
    }
    if (docIds.length === 0) return;
    const statuses = await kb.ingestDocuments(
      pages.map((p) => ({
        id: `${p.documentId}-p${p.page}`,
        text: p.text,
        metadata: { booking_id: bookingId, tenant_id: tenantId, document_id: p.documentId, file_name: p.documentName, page: p.page },
      })),
      { clientToken: `${bookingId}-${job.id}`.slice(0, 256), signal: job.signal },
    );
    const failed = statuses.filter((s) => s.status === 'FAILED');
    await bookings.setSync(tenantId, bookingId, failed.length > 0 ? 'failed' : 'indexed', null, failed.length > 0 ? `${failed.length} passages failed to index` : null);
  };
}
