import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { Counter, Histogram, Gauge, type Registry } from 'prom-client';
import type { Config } from '../../config/config.js';
import { AppError } from '../../lib/errors.js';
import type { Clock } from '../../lib/clock.js';
import type { BlobStore } from '../../lib/blob-store/blob-store.js';
import type { DiskBlobStore } from '../../lib/blob-store/disk-blob-store.js';
import { JOB_NAMES, type JobHandler, type JobQueue } from '../../lib/job-queue/job-queue.js';
import { classifyDocument, extractText, type OcrEngine } from '../../lib/text-extraction/index.js';
import type { LoanBookingService } from '../loan-bookings/loan-bookings.service.js';
import type { IdempotencyStore } from '../idempotency/idempotency.store.js';
import type { DocumentStore } from './documents.store.js';
import { splitPassages } from './passages.js';
import { withLocalCopy } from './upload.js';

export interface ProcessingDeps {
  config: Config;
  store: DocumentStore;
  blob: BlobStore;
  queue: JobQueue;
  bookings: LoanBookingService;
  idempotency: IdempotencyStore;
  clock: Clock;
  metrics: Registry;
  log: FastifyBaseLogger;
  ocr: () => OcrEngine;
  knowledgeBaseConfigured: boolean;
}

interface ProcessJob extends Record<string, unknown> {
  tenantId: string;
  documentId: string;
}

export function createProcessingMetrics(registry: Registry) {
  return {
    duration: new Histogram({
      name: 'document_processing_duration_seconds',
      help: 'Time to extract, classify and index a document, by outcome.',
      labelNames: ['outcome'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    }),
    ocrPages: new Counter({ name: 'document_ocr_pages_total', help: 'Pages read by OCR.', registers: [registry] }),
    ocrDuration: new Histogram({
      name: 'document_ocr_duration_seconds',
      help: 'Processing time of documents that needed OCR.',
      buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers: [registry],
    }),
    failures: new Counter({
      name: 'document_processing_failures_total',
      help: 'Processing failures, by error code (transient ones are retried).',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
  };
}

/**
 * The document.process job: extract per-page text (text layer, DOCX, HTML, plain, OCR), classify,
 * index passages. Idempotent: a lease on the document row means one worker at a time, and results
 * replace whatever a crashed earlier attempt stored.
 */
export function createProcessHandler(deps: ProcessingDeps): JobHandler<ProcessJob> {
  const m = createProcessingMetrics(deps.metrics);
  const leaseMs = deps.config.worker.processingTimeoutSeconds * 1000;
  return async (job) => {
    const { tenantId, documentId } = job.data;
    const claim = await deps.store.claimForProcessing(tenantId, documentId, deps.clock.now(), leaseMs);
    if (!claim.claimed) return;
    const doc = claim.record;
    const started = performance.now();
    // Work past the lease is wasted (another worker may have taken the document over), and a parser
    // that never returns must not hold a worker slot for ever: the lease bounds the whole attempt.
    const overtime = new AbortController();
    const timer = setTimeout(() => overtime.abort(), leaseMs);
    const signal = AbortSignal.any([job.signal, overtime.signal]);
    try {
      const extracted = await withinLease(
        withLocalCopy({ blob: deps.blob, tempDir: path.join(deps.config.dataDir, 'tmp'), signal }, doc.blobKey, (localPath) =>
          extractText(localPath, doc.kind, {
            ocr: deps.ocr(),
            signal,
            maxBytes: doc.kind === 'text' || doc.kind === 'html' ? deps.config.uploads.maxFileBytes : deps.config.uploads.maxParseBytes,
          }),
        ),
        overtime.signal,
        leaseMs,
      );
      const classification = classifyDocument(extracted.pages);
      const passages = extracted.pages.flatMap((p) => splitPassages(p.page, p.text));
      const ok = await deps.store.completeProcessing(tenantId, documentId, claim.token, {
        pages: extracted.pages.map((p) => ({ page: p.page, text: p.text, method: p.method })),
        passages,
        pageCount: extracted.pageCount,
        ocrPages: extracted.ocrPages,
        documentType: classification.type,
        documentTypeConfidence: classification.confidence,
        processedAt: deps.clock.now(),
      });
      const seconds = (performance.now() - started) / 1000;
      m.duration.observe({ outcome: ok ? 'processed' : 'superseded' }, seconds);
      if (extracted.ocrPages > 0) {
        m.ocrPages.inc(extracted.ocrPages);
        m.ocrDuration.observe(seconds);
      }
      if (ok) await afterDocumentSettled(deps, tenantId, doc.bookingId);
    } catch (err) {
      const permanent = err instanceof AppError && (err.code === 'UNPROCESSABLE_DOCUMENT' || err.code === 'BLOB_NOT_FOUND');
      const code = err instanceof AppError ? ((err.details?.reason as string | undefined) ?? err.code) : 'PROCESSING_FAILED';
      m.failures.inc({ code });
      m.duration.observe({ outcome: 'failed' }, (performance.now() - started) / 1000);
      if (permanent || job.isFinalAttempt) {
        const message = err instanceof AppError && err.status < 500 ? err.message : 'The document could not be processed';
        await deps.store.failProcessing(tenantId, documentId, claim.token, code, message.slice(0, 500), deps.clock.now());
        deps.log.warn({ err, document_id: documentId, error_code: code }, 'document processing failed');
        await afterDocumentSettled(deps, tenantId, doc.bookingId);
        return;
      }
      await deps.store.releaseProcessing(tenantId, documentId, claim.token, 'Processing will be retried');
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };
}

/** `work`, unless the lease runs out first: then a permanent `processing_timeout` (an admin may reprocess). */
function withinLease<T>(work: Promise<T>, overtime: AbortSignal, leaseMs: number): Promise<T> {
  const timedOut = new Promise<never>((_, reject) => {
    const fail = () =>
      reject(new AppError('UNPROCESSABLE_DOCUMENT', `Processing took longer than ${Math.round(leaseMs / 1000)} s`, { details: { reason: 'processing_timeout' } }));
    if (overtime.aborted) fail();
    else overtime.addEventListener('abort', fail, { once: true });
  });
  // The abandoned work may still settle later; its outcome no longer matters.
  work.catch(() => undefined);
  return Promise.race([work, timedOut]);
}

/** When none of a booking's documents is still pending, its index is ready (or goes to the knowledge base). */
async function afterDocumentSettled(deps: ProcessingDeps, tenantId: string, bookingId: string): Promise<void> {
  const summary = await deps.store.bookingSummary(tenantId, bookingId);
  if (summary.uploaded > 0 || summary.processing > 0) return;
  if (summary.processed === 0) {
    await deps.bookings.setSync(tenantId, bookingId, 'failed', null, 'No document could be processed');
    return;
  }
  if (deps.knowledgeBaseConfigured) {
    await deps.queue.send('document.kb-sync', { tenantId, bookingId, phase: 'start' }, { singletonKey: `kb-${bookingId}` });
    return;
  }
  await deps.bookings.setSync(tenantId, bookingId, summary.failed > 0 ? 'failed' : 'indexed', null, summary.failed > 0 ? `${summary.failed} documents failed processing` : null);
}

export interface SweepResult {
  requeued: number;
  orphansDeleted: number;
  tempFilesDeleted: number;
  idempotencyKeysPurged: number;
}

const STUCK_AFTER_MS = 10 * 60_000;
const SWEEP_PAGES = 20;

/**
 * Maintenance, bounded per run: re-enqueue documents whose job was lost or whose worker died (lease
 * expired), delete blobs that no live document points at (an upload killed between blob and row,
 * or a delete killed before the blob went), remove abandoned temp files and expired idempotency keys.
 */
export function createSweeper(deps: ProcessingDeps) {
  let cursor: string | undefined;
  return async function sweep(opts: { stuckAfterMs?: number; orphanGraceMs?: number } = {}): Promise<SweepResult> {
    const now = deps.clock.now();
    const result: SweepResult = { requeued: 0, orphansDeleted: 0, tempFilesDeleted: 0, idempotencyKeysPurged: 0 };
    const stuck = await deps.store.listStuck({ uploadedBefore: new Date(now.getTime() - (opts.stuckAfterMs ?? STUCK_AFTER_MS)), leaseExpiredBy: now }, 100);
    for (const d of stuck) {
      // Dropped (null) when a job for the document is already waiting: nothing was lost.
      const id = await deps.queue.send('document.process', { tenantId: d.tenantId, documentId: d.id }, { singletonKey: d.id });
      if (id) result.requeued++;
    }
    const grace = opts.orphanGraceMs ?? deps.config.worker.orphanGraceMs;
    for (let page = 0; page < SWEEP_PAGES; page++) {
      const listing = await deps.blob.list('tenants/', { limit: 500, ...(cursor ? { cursor } : {}) });
      const byDoc = new Map<string, { key: string; lastModified: Date }[]>();
      for (const k of listing.keys) {
        const m = /^tenants\/[^/]+\/loan-bookings\/[^/]+\/documents\/([^/]+)\//.exec(k.key);
        if (!m) continue;
        const list = byDoc.get(m[1]!) ?? [];
        list.push(k);
        byDoc.set(m[1]!, list);
      }
      const live = await deps.store.liveDocumentIds([...byDoc.keys()]);
      for (const [docId, keys] of byDoc) {
        if (live.has(docId)) continue;
        for (const k of keys) {
          if (now.getTime() - k.lastModified.getTime() < grace) continue;
          await deps.blob.delete(k.key);
          result.orphansDeleted++;
        }
      }
      cursor = listing.cursor;
      if (!cursor) break;
    }
    if (deps.blob.kind === 'disk') result.tempFilesDeleted = await (deps.blob as DiskBlobStore).sweepTemp(grace);
    // Local copies of S3 blobs (validation, extraction) left by a killed process.
    result.tempFilesDeleted += await sweepLocalCopies(path.join(deps.config.dataDir, 'tmp'), now.getTime() - grace);
    result.idempotencyKeysPurged = await deps.idempotency.purgeExpired(now);
    return result;
  };
}

async function sweepLocalCopies(dir: string, cutoffMs: number): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!name.endsWith('.part')) continue;
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile() || info.mtimeMs > cutoffMs) continue;
    await rm(file, { force: true });
    removed++;
  }
  return removed;
}

/** Queue depth as a gauge, read from the queue at scrape time. */
export function registerQueueMetrics(queue: JobQueue, registry: Registry): void {
  new Gauge({
    name: 'job_queue_depth',
    help: 'Jobs by queue and state (queued, active, failed).',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      try {
        const stats = await queue.stats();
        for (const name of JOB_NAMES) {
          const s = stats[name];
          this.set({ queue: name, state: 'queued' }, s.queued);
          this.set({ queue: name, state: 'active' }, s.active);
          this.set({ queue: name, state: 'failed' }, s.failed);
        }
      } catch {
        // Keep the last values during an outage.
      }
    },
  });
}
