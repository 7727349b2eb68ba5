import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { Clock } from '../../lib/clock.js';
import { AppError, validationError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { JobQueue } from '../../lib/job-queue/job-queue.js';
import type { RequestMeta } from '../../lib/request-meta.js';
import type { AuditService } from '../audit/audit.service.js';
import type { DocumentStore } from '../documents/documents.store.js';
import type { LoanBookingService } from '../loan-bookings/loan-bookings.service.js';
import type { EngineProvider } from './engine-provider.js';
import { extractionMetrics } from './extraction.metrics.js';
import type { ExtractionRunRecord, ExtractionRunStore } from './extraction.store.js';
import type { ExtractionSchemaDefinition } from './schemas/index.js';
import { EXTRACTION_SCHEMAS, EXTRACTION_SCHEMA_NAMES, getExtractionSchema } from './schemas/index.js';

export interface StartRunInput {
  schema: string;
  engine?: string | undefined;
  document_ids?: string[] | undefined;
}

/** What the `extraction.run` job carries: ids only, the run row is the source of truth. */
export interface ExtractionJobData extends Record<string, unknown> {
  tenantId: string;
  runId: string;
}

export interface ExtractionService {
  listSchemas(): ExtractionSchemaDefinition[];
  getSchema(name: string): ExtractionSchemaDefinition;
  /** Queues a run over the booking's processed documents (or the ones named). */
  startRun(bookingId: string, input: StartRunInput, meta: RequestMeta): Promise<ExtractionRunRecord>;
  getRun(tenantId: string, bookingId: string, runId: string): Promise<ExtractionRunRecord>;
  listRuns(tenantId: string, bookingId: string, page: { limit: number; beforeId?: string | undefined }): Promise<ExtractionRunRecord[]>;
}

export interface ExtractionServiceDeps {
  runs: ExtractionRunStore;
  documents: Pick<DocumentStore, 'find' | 'bookingSummary'>;
  bookings: Pick<LoanBookingService, 'get'>;
  engines: EngineProvider;
  queue: Pick<JobQueue, 'send'>;
  audit: AuditService;
  clock: Clock;
  metrics: Registry;
  log: FastifyBaseLogger;
}

export function createExtractionService(deps: ExtractionServiceDeps): ExtractionService {
  const { runs, documents, bookings, engines, queue, audit, clock } = deps;
  const metrics = extractionMetrics(deps.metrics);

  /** The documents a run reads must all be processed: a run never silently skips a pending one. */
  async function checkDocuments(tenantId: string, bookingId: string, ids: string[] | undefined): Promise<void> {
    if (ids && ids.length > 0) {
      const problems: string[] = [];
      const pending: string[] = [];
      for (const id of ids) {
        const doc = await documents.find(tenantId, id);
        if (!doc || doc.bookingId !== bookingId) problems.push(`${id}: is not a document of this loan booking`);
        else if (doc.status === 'failed') problems.push(`${id}: failed processing and has no text to read`);
        else if (doc.status !== 'processed') pending.push(id);
      }
      if (problems.length > 0) throw validationError({ document_ids: problems }, 'Some documents cannot be read');
      if (pending.length > 0) {
        throw new AppError('INVALID_STATE', 'Some documents are still being processed; start the run when they are done', {
          details: { pending_documents: pending.length },
        });
      }
      return;
    }
    const summary = await documents.bookingSummary(tenantId, bookingId);
    if (summary.uploaded > 0 || summary.processing > 0) {
      throw new AppError('INVALID_STATE', 'Some documents of this loan booking are still being processed; start the run when they are done', {
        details: { pending_documents: summary.uploaded + summary.processing },
      });
    }
    if (summary.processed === 0) {
      throw new AppError('INVALID_STATE', 'This loan booking has no processed document to extract from', {
        details: { processed_documents: 0, failed_documents: summary.failed },
      });
    }
  }

  return {
    listSchemas: () => EXTRACTION_SCHEMA_NAMES.map((n) => EXTRACTION_SCHEMAS[n]),
    getSchema: (name) => getExtractionSchema(name),

    async startRun(bookingId, input, meta) {
      const principal = meta.principal!;
      const tenantId = principal.tenantId;
      await bookings.get(tenantId, bookingId);
      const schema = getExtractionSchema(input.schema);
      const engine = engines.resolve(input.engine);
      const documentIds = input.document_ids && input.document_ids.length > 0 ? [...new Set(input.document_ids)] : undefined;
      await checkDocuments(tenantId, bookingId, documentIds);

      const now = clock.now();
      const run = await runs.createRun({
        id: newId(now.getTime()),
        tenantId,
        bookingId,
        schemaName: schema.name,
        schemaVersion: schema.version,
        engine,
        engineUsed: null,
        documentIds: documentIds ?? null,
        status: 'queued',
        attempts: 0,
        leaseToken: null,
        leaseExpiresAt: null,
        fields: null,
        warnings: [],
        usage: null,
        timings: null,
        documentCount: null,
        pageCount: null,
        errorCode: null,
        errorMessage: null,
        createdBy: principal.userId,
        createdAt: now,
        startedAt: null,
        finishedAt: null,
      });
      try {
        const data: ExtractionJobData = { tenantId, runId: run.id };
        await queue.send('extraction.run', data, { singletonKey: `extraction-${run.id}` });
      } catch (err) {
        // A run nobody will ever pick up must not stay queued forever: it fails now, visibly.
        const claim = await runs.claimRun(tenantId, run.id, clock.now(), 60_000);
        if (claim.claimed) {
          await runs.failRun(tenantId, run.id, claim.token, { errorCode: 'SERVICE_UNAVAILABLE', errorMessage: 'The run could not be queued', timings: null, finishedAt: clock.now() });
        }
        deps.log.error({ err, run_id: run.id }, 'could not queue an extraction run');
        throw new AppError('SERVICE_UNAVAILABLE', 'The extraction queue is unavailable; try again', { cause: err, headers: { 'retry-after': '5' } });
      }
      metrics.runs.inc({ engine, status: 'queued' });
      await audit.record(meta, {
        action: 'extraction_run.create',
        outcome: 'success',
        targetType: 'extraction_run',
        targetId: run.id,
        details: { booking_id: bookingId, schema: schema.name, engine, documents: documentIds?.length ?? 'all' },
      });
      return run;
    },

    async getRun(tenantId, bookingId, runId) {
      await bookings.get(tenantId, bookingId);
      const run = await runs.findRun(tenantId, runId);
      if (!run || run.bookingId !== bookingId) throw new AppError('EXTRACTION_RUN_NOT_FOUND');
      return run;
    },

    async listRuns(tenantId, bookingId, page) {
      await bookings.get(tenantId, bookingId);
      return runs.listRuns(tenantId, bookingId, page);
    },
  };
}
