import type {
  DocumentMetadata,
  IngestionJob,
  KnowledgeBaseDocument,
  MetadataAttribute,
} from '@aws-sdk/client-bedrock-agent';
import {
  GetDataSourceCommand,
  GetIngestionJobCommand,
  GetKnowledgeBaseCommand,
  IngestKnowledgeBaseDocumentsCommand,
  StartIngestionJobCommand,
} from '@aws-sdk/client-bedrock-agent';
import type { KnowledgeBaseRetrievalResult, RetrievalFilter } from '@aws-sdk/client-bedrock-agent-runtime';
import { RetrieveCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import { AppError, isAppError } from '../errors.js';
import { newId } from '../ids.js';
import type { RetryPolicy } from './aws-call.js';
import { awsErrorName, callAws, createDependencyBreaker } from './aws-call.js';
import type { BedrockClients } from './clients.js';
import type { CircuitBreaker } from './resilience.js';

/** Metadata keys we attach to every chunk; retrieval filters on the first two. */
export const KB_METADATA_KEYS = {
  bookingId: 'booking_id',
  tenantId: 'tenant_id',
  documentId: 'document_id',
  page: 'page',
} as const;

/** Bedrock's own chunk metadata (reserved prefix `x-amz-bedrock-kb-`). */
const KB_SOURCE_URI = 'x-amz-bedrock-kb-source-uri';
const KB_PAGE_NUMBER = 'x-amz-bedrock-kb-document-page-number';
const RESERVED_PREFIX = 'x-amz-bedrock-kb-';

/** IngestKnowledgeBaseDocuments accepts at most this many documents per request. */
const INGEST_BATCH = 25;
/** A document carries 1 to 50 inline attributes. */
const MAX_INLINE_ATTRIBUTES = 50;
const MAX_RESULTS = 100;

export type KbMetadataValue = string | number | boolean;
export type KbMetadata = Record<string, KbMetadataValue>;

/**
 * A document to ingest directly. An S3 data source only takes S3 documents, whose metadata must
 * live in an S3 sidecar (`<key>.metadata.json`): AWS requires content and metadata to be defined
 * the same way. A CUSTOM data source also takes inline text, whose metadata is sent inline.
 */
export type KbDocument =
  | { s3Uri: string; metadata: KbMetadata; /** Required by a CUSTOM data source. */ id?: string }
  | { text: string; id: string; metadata: KbMetadata };

export type IngestionStatus = NonNullable<IngestionJob['status']>;

export interface IngestionStatistics {
  documentsScanned: number;
  metadataDocumentsScanned: number;
  newDocumentsIndexed: number;
  modifiedDocumentsIndexed: number;
  metadataDocumentsModified: number;
  documentsDeleted: number;
  documentsFailed: number;
  documentsSkipped: number;
}

export interface IngestionJobInfo {
  jobId: string;
  status: IngestionStatus;
  statistics: IngestionStatistics;
  failureReasons: string[];
  startedAt: Date | undefined;
  updatedAt: Date | undefined;
}

export interface IngestedDocumentStatus {
  /** The S3 URI or custom document id Bedrock reports the status for. */
  identifier: string | undefined;
  status: string | undefined;
  statusReason: string | undefined;
}

export interface RetrievedPassage {
  text: string;
  score: number | undefined;
  /** S3 URI of the source object (or the custom document id). */
  location: string | undefined;
  documentId: string | undefined;
  /** Our own `page` attribute when ingested with one, else the page Bedrock reports for PDFs. */
  page: number | undefined;
  metadata: Record<string, KbMetadataValue | string[]>;
}

export interface RetrieveResult {
  passages: RetrievedPassage[];
  /**
   * Results dropped because their metadata did not match the booking and tenant asked for. The
   * filter should make this 0; anything else means the index is misconfigured and is worth an alert.
   */
  discarded: number;
}

export interface KnowledgeBaseCheck {
  ok: boolean;
  knowledgeBaseStatus?: string;
  dataSourceStatus?: string;
  /** A catalogue code or a status name; never an AWS message. */
  reason?: string;
}

export interface KnowledgeBaseOptions {
  clients: Pick<BedrockClients, 'agent' | 'agentRuntime'>;
  kbId: string;
  dataSourceId: string;
  /** The type of the data source; it decides how documents and their metadata are sent. */
  dataSourceType?: 'S3' | 'CUSTOM';
  /** Per-attempt deadline. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Shared by every operation on this knowledge base; one is created when omitted. */
  breaker?: CircuitBreaker;
  /**
   * Writes an S3 object (the metadata sidecar) before an S3 document is ingested. Required for S3
   * documents with metadata: without the sidecar the chunks would carry no booking id and the
   * booking filter would find nothing (the legacy service's failure).
   */
  putSidecar?: (s3Uri: string, body: string) => Promise<void>;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface KnowledgeBase {
  startIngestion(options?: CallOptions & { clientToken?: string; description?: string }): Promise<{
    jobId: string;
    status: IngestionStatus;
  }>;
  getIngestionJob(jobId: string, options?: CallOptions): Promise<IngestionJobInfo>;
  ingestDocuments(
    docs: KbDocument[],
    options?: CallOptions & { clientToken?: string },
  ): Promise<IngestedDocumentStatus[]>;
  retrieve(request: {
    query: string;
    bookingId: string;
    tenantId: string;
    numberOfResults?: number;
    signal?: AbortSignal;
  }): Promise<RetrieveResult>;
  check(options?: CallOptions): Promise<KnowledgeBaseCheck>;
}

function assertMetadata(metadata: KbMetadata): void {
  for (const [key, value] of Object.entries(metadata)) {
    if (key.length === 0 || key.length > 100)
      throw new AppError('INTERNAL_ERROR', `Invalid metadata key "${key}"`);
    if (key.startsWith(RESERVED_PREFIX))
      throw new AppError('INTERNAL_ERROR', `Metadata key "${key}" is reserved`);
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new AppError('INTERNAL_ERROR', `Metadata value of "${key}" is not a finite number`);
    }
  }
}

/**
 * The body of the `<object key>.metadata.json` object that gives an S3 document its metadata, in
 * the documented shape `{"metadataAttributes": {"key": value}}` (strings, numbers, booleans).
 */
export function metadataSidecar(attributes: KbMetadata): string {
  assertMetadata(attributes);
  return JSON.stringify({ metadataAttributes: attributes });
}

/** The sidecar sits next to its document, with `.metadata.json` appended to the full key. */
export function sidecarKey(objectKey: string): string {
  return `${objectKey}.metadata.json`;
}

function attributeOf(key: string, value: KbMetadataValue): MetadataAttribute {
  if (typeof value === 'number') return { key, value: { type: 'NUMBER', numberValue: value } };
  if (typeof value === 'boolean') return { key, value: { type: 'BOOLEAN', booleanValue: value } };
  return { key, value: { type: 'STRING', stringValue: value } };
}

function statisticsOf(job: IngestionJob): IngestionStatistics {
  const s = job.statistics ?? {};
  return {
    documentsScanned: s.numberOfDocumentsScanned ?? 0,
    metadataDocumentsScanned: s.numberOfMetadataDocumentsScanned ?? 0,
    newDocumentsIndexed: s.numberOfNewDocumentsIndexed ?? 0,
    modifiedDocumentsIndexed: s.numberOfModifiedDocumentsIndexed ?? 0,
    metadataDocumentsModified: s.numberOfMetadataDocumentsModified ?? 0,
    documentsDeleted: s.numberOfDocumentsDeleted ?? 0,
    documentsFailed: s.numberOfDocumentsFailed ?? 0,
    documentsSkipped: s.numberOfDocumentsSkipped ?? 0,
  };
}

function metadataValue(value: unknown): KbMetadataValue | string[] | undefined {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  return undefined;
}

function pageOf(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.trunc(n) : undefined;
}

function passageOf(result: KnowledgeBaseRetrievalResult): RetrievedPassage | undefined {
  const text = result.content?.text;
  if (typeof text !== 'string') return undefined;
  const metadata: RetrievedPassage['metadata'] = {};
  for (const [key, raw] of Object.entries(result.metadata ?? {})) {
    const value = metadataValue(raw);
    if (value !== undefined) metadata[key] = value;
  }
  const sourceUri = metadata[KB_SOURCE_URI];
  const documentId = metadata[KB_METADATA_KEYS.documentId];
  return {
    text,
    score: result.score,
    location:
      result.location?.s3Location?.uri ??
      result.location?.customDocumentLocation?.id ??
      (typeof sourceUri === 'string' ? sourceUri : undefined),
    documentId: typeof documentId === 'string' ? documentId : undefined,
    page: pageOf(metadata[KB_METADATA_KEYS.page]) ?? pageOf(metadata[KB_PAGE_NUMBER]),
    metadata,
  };
}

export function bookingFilter(bookingId: string, tenantId: string): RetrievalFilter {
  return {
    andAll: [
      { equals: { key: KB_METADATA_KEYS.bookingId, value: bookingId } },
      { equals: { key: KB_METADATA_KEYS.tenantId, value: tenantId } },
    ],
  };
}

export function createKnowledgeBase(options: KnowledgeBaseOptions): KnowledgeBase {
  const { clients, kbId, dataSourceId } = options;
  const dataSourceType = options.dataSourceType ?? 'S3';
  const dependency = 'bedrock-knowledge-base';
  const policy = {
    dependency,
    timeoutMs: options.timeoutMs ?? 10_000,
    retry: options.retry,
    breaker:
      options.breaker ??
      createDependencyBreaker({ failureThreshold: 5, resetTimeoutMs: 30_000, name: dependency }),
  };

  /** Everything AWS would reject, or would accept while losing the metadata, fails before any call. */
  function validateDocument(doc: KbDocument): void {
    assertMetadata(doc.metadata);
    const hasMetadata = Object.keys(doc.metadata).length > 0;
    if ('text' in doc) {
      if (dataSourceType !== 'CUSTOM') {
        throw new AppError('INTERNAL_ERROR', 'Inline documents need a CUSTOM data source');
      }
      if (Object.keys(doc.metadata).length > MAX_INLINE_ATTRIBUTES) {
        throw new AppError(
          'INTERNAL_ERROR',
          `At most ${MAX_INLINE_ATTRIBUTES} metadata attributes per document`,
        );
      }
      return;
    }
    if (hasMetadata && !options.putSidecar) {
      throw new AppError('INTERNAL_ERROR', 'S3 documents with metadata need a sidecar writer (putSidecar)');
    }
    if (dataSourceType === 'CUSTOM' && !doc.id) {
      throw new AppError('INTERNAL_ERROR', 'A CUSTOM data source needs a document id');
    }
  }

  async function toBedrockDocument(doc: KbDocument): Promise<KnowledgeBaseDocument> {
    const hasMetadata = Object.keys(doc.metadata).length > 0;
    if ('text' in doc) {
      const metadata: DocumentMetadata | undefined = hasMetadata
        ? {
            type: 'IN_LINE_ATTRIBUTE',
            inlineAttributes: Object.entries(doc.metadata).map(([key, value]) => attributeOf(key, value)),
          }
        : undefined;
      return {
        content: {
          dataSourceType: 'CUSTOM',
          custom: {
            customDocumentIdentifier: { id: doc.id },
            sourceType: 'IN_LINE',
            inlineContent: { type: 'TEXT', textContent: { data: doc.text } },
          },
        },
        ...(metadata ? { metadata } : {}),
      };
    }
    let metadata: DocumentMetadata | undefined;
    if (hasMetadata && options.putSidecar) {
      const uri = sidecarKey(doc.s3Uri);
      await options.putSidecar(uri, metadataSidecar(doc.metadata));
      metadata = { type: 'S3_LOCATION', s3Location: { uri } };
    }
    if (dataSourceType === 'S3') {
      return {
        content: { dataSourceType: 'S3', s3: { s3Location: { uri: doc.s3Uri } } },
        ...(metadata ? { metadata } : {}),
      };
    }
    return {
      content: {
        dataSourceType: 'CUSTOM',
        custom: {
          customDocumentIdentifier: { id: doc.id ?? '' },
          sourceType: 'S3_LOCATION',
          s3Location: { uri: doc.s3Uri },
        },
      },
      ...(metadata ? { metadata } : {}),
    };
  }

  return {
    async startIngestion(opts = {}) {
      // One token for every attempt, so a retry after a lost response cannot start a second job.
      const clientToken = opts.clientToken ?? newId();
      const out = await callAws(
        policy,
        (abortSignal) =>
          clients.agent.send(
            new StartIngestionJobCommand({
              knowledgeBaseId: kbId,
              dataSourceId,
              clientToken,
              ...(opts.description ? { description: opts.description } : {}),
            }),
            { abortSignal },
          ),
        opts.signal,
      );
      const job = out.ingestionJob;
      if (!job?.ingestionJobId || !job.status) {
        throw new AppError('UPSTREAM_ERROR', `${dependency} returned no ingestion job`, {
          details: { dependency },
        });
      }
      return { jobId: job.ingestionJobId, status: job.status };
    },

    async getIngestionJob(jobId, opts = {}) {
      const out = await callAws(
        {
          ...policy,
          mapError: (error) =>
            awsErrorName(error) === 'ResourceNotFoundException'
              ? new AppError('JOB_NOT_FOUND', 'Ingestion job not found', { cause: error })
              : undefined,
        },
        (abortSignal) =>
          clients.agent.send(
            new GetIngestionJobCommand({ knowledgeBaseId: kbId, dataSourceId, ingestionJobId: jobId }),
            {
              abortSignal,
            },
          ),
        opts.signal,
      );
      const job = out.ingestionJob;
      if (!job?.status) {
        throw new AppError('UPSTREAM_ERROR', `${dependency} returned no ingestion job`, {
          details: { dependency },
        });
      }
      return {
        jobId: job.ingestionJobId ?? jobId,
        status: job.status,
        statistics: statisticsOf(job),
        failureReasons: job.failureReasons ?? [],
        startedAt: job.startedAt,
        updatedAt: job.updatedAt,
      };
    },

    async ingestDocuments(docs, opts = {}) {
      docs.forEach(validateDocument);
      const results: IngestedDocumentStatus[] = [];
      for (let start = 0; start < docs.length; start += INGEST_BATCH) {
        const batch = docs.slice(start, start + INGEST_BATCH);
        const documents: KnowledgeBaseDocument[] = [];
        for (const doc of batch) documents.push(await toBedrockDocument(doc));
        const batchNumber = start / INGEST_BATCH;
        const clientToken = opts.clientToken ? `${opts.clientToken}-${batchNumber}` : newId();
        const out = await callAws(
          policy,
          (abortSignal) =>
            clients.agent.send(
              new IngestKnowledgeBaseDocumentsCommand({
                knowledgeBaseId: kbId,
                dataSourceId,
                clientToken,
                documents,
              }),
              { abortSignal },
            ),
          opts.signal,
        );
        for (const detail of out.documentDetails ?? []) {
          results.push({
            identifier: detail.identifier?.s3?.uri ?? detail.identifier?.custom?.id,
            status: detail.status,
            statusReason: detail.statusReason,
          });
        }
      }
      return results;
    },

    async retrieve({ query, bookingId, tenantId, numberOfResults = 10, signal }) {
      if (!bookingId || !tenantId)
        throw new AppError('INTERNAL_ERROR', 'retrieve needs a booking id and a tenant id');
      const out = await callAws(
        policy,
        (abortSignal) =>
          clients.agentRuntime.send(
            new RetrieveCommand({
              knowledgeBaseId: kbId,
              retrievalQuery: { text: query },
              retrievalConfiguration: {
                vectorSearchConfiguration: {
                  numberOfResults: Math.min(MAX_RESULTS, Math.max(1, Math.floor(numberOfResults))),
                  filter: bookingFilter(bookingId, tenantId),
                },
              },
            }),
            { abortSignal },
          ),
        signal,
      );
      const passages: RetrievedPassage[] = [];
      let discarded = 0;
      for (const result of out.retrievalResults ?? []) {
        const passage = passageOf(result);
        if (!passage) continue;
        // Defence in depth: a chunk of another booking or tenant never reaches the prompt, even if
        // the index ignored the filter (a metadata field not marked filterable, a wrong key).
        if (
          passage.metadata[KB_METADATA_KEYS.bookingId] !== bookingId ||
          passage.metadata[KB_METADATA_KEYS.tenantId] !== tenantId
        ) {
          discarded += 1;
          continue;
        }
        passages.push(passage);
      }
      return { passages, discarded };
    },

    async check(opts = {}) {
      const checkPolicy = { ...policy, retry: { ...policy.retry, maxAttempts: 1 } };
      try {
        const [kb, ds] = await Promise.all([
          callAws(
            checkPolicy,
            (abortSignal) =>
              clients.agent.send(new GetKnowledgeBaseCommand({ knowledgeBaseId: kbId }), { abortSignal }),
            opts.signal,
          ),
          callAws(
            checkPolicy,
            (abortSignal) =>
              clients.agent.send(new GetDataSourceCommand({ knowledgeBaseId: kbId, dataSourceId }), {
                abortSignal,
              }),
            opts.signal,
          ),
        ]);
        const knowledgeBaseStatus = kb.knowledgeBase?.status;
        const dataSourceStatus = ds.dataSource?.status;
        const ok = knowledgeBaseStatus === 'ACTIVE' && dataSourceStatus === 'AVAILABLE';
        return {
          ok,
          ...(knowledgeBaseStatus ? { knowledgeBaseStatus } : {}),
          ...(dataSourceStatus ? { dataSourceStatus } : {}),
          ...(ok
            ? {}
            : {
                reason:
                  knowledgeBaseStatus !== 'ACTIVE'
                    ? 'KNOWLEDGE_BASE_NOT_ACTIVE'
                    : 'DATA_SOURCE_NOT_AVAILABLE',
              }),
        };
      } catch (error) {
        if (isAppError(error)) return { ok: false, reason: error.code };
        throw error;
      }
    },
  };
}
