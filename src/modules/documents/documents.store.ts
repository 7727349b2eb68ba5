import type { FileKind } from '../../lib/text-extraction/types.js';

export const DOCUMENT_STATUSES = ['uploaded', 'processing', 'processed', 'failed'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

export const DOCUMENT_TYPES = ['credit_agreement', 'amendment', 'term_sheet', 'promissory_note', 'security_agreement', 'other'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

export interface DocumentRecord {
  id: string;
  tenantId: string;
  bookingId: string;
  fileName: string;
  contentType: string;
  kind: FileKind;
  sizeBytes: number;
  sha256: string;
  blobKey: string;
  status: DocumentStatus;
  errorCode: string | null;
  errorMessage: string | null;
  pageCount: number | null;
  ocrPages: number | null;
  documentType: DocumentType | null;
  documentTypeConfidence: number | null;
  uploadedBy: string;
  uploadedAt: Date;
  processedAt: Date | null;
  attempts: number;
  /** Set while a worker holds the document; a stale lease (worker died) may be taken over. */
  leaseToken: string | null;
  leaseExpiresAt: Date | null;
  deletedAt: Date | null;
}

export interface PageRecord {
  page: number;
  text: string;
  method: string;
}

/** A searchable span of one page; offsets are into that page's text. */
export interface PassageRecord {
  page: number;
  ordinal: number;
  start: number;
  end: number;
  text: string;
}

export interface DocumentFilters {
  bookingId?: string | undefined;
  productId?: string | undefined;
  status?: DocumentStatus | undefined;
  kind?: FileKind | undefined;
  documentType?: DocumentType | undefined;
  uploadedFrom?: Date | undefined;
  uploadedTo?: Date | undefined;
}

export interface SearchHit {
  documentId: string;
  documentName: string;
  page: number;
  start: number;
  end: number;
  text: string;
  score: number;
  /** Offsets of the matched terms within `text`. */
  highlights: { start: number; end: number }[];
}

export interface SourcePage {
  documentId: string;
  documentName: string;
  page: number;
  text: string;
}

export type ClaimResult = { claimed: true; record: DocumentRecord; token: string } | { claimed: false; record: DocumentRecord | undefined };

export interface ProcessingResult {
  pages: PageRecord[];
  passages: PassageRecord[];
  pageCount: number;
  ocrPages: number;
  documentType: DocumentType;
  documentTypeConfidence: number;
  processedAt: Date;
}

/**
 * Documents, their page texts and the passage index. Everything is tenant-scoped; documents of a
 * deleted booking are invisible as if deleted themselves.
 */
export interface DocumentStore {
  /**
   * Inserts the documents of one upload all together or not at all. A document whose bytes
   * (sha256) already exist live in the same booking is not inserted: the existing one is returned
   * in `duplicates` keyed by sha256 (also under a concurrent upload of the same bytes).
   */
  createDocuments(records: DocumentRecord[]): Promise<{ created: DocumentRecord[]; duplicates: Map<string, DocumentRecord> }>;
  findBySha256(tenantId: string, bookingId: string, sha256: string): Promise<DocumentRecord | undefined>;
  find(tenantId: string, id: string): Promise<DocumentRecord | undefined>;
  list(tenantId: string, filters: DocumentFilters, page: { limit: number; beforeId?: string | undefined }): Promise<DocumentRecord[]>;
  /** Moves an uploaded document (or a processing one whose lease expired) to processing under a new lease. */
  claimForProcessing(tenantId: string, id: string, now: Date, leaseMs: number): Promise<ClaimResult>;
  /** Stores pages and passages and marks processed, only if `token` still holds the lease. */
  completeProcessing(tenantId: string, id: string, token: string, result: ProcessingResult): Promise<boolean>;
  failProcessing(tenantId: string, id: string, token: string, errorCode: string, errorMessage: string, now: Date): Promise<boolean>;
  /** Gives the lease back after a transient failure so the queue's retry can claim it again. */
  releaseProcessing(tenantId: string, id: string, token: string, lastError: string): Promise<boolean>;
  /** Puts a failed document back to uploaded (admin retry). */
  resetForRetry(tenantId: string, id: string): Promise<DocumentRecord | undefined>;
  /** Hides the document and removes its pages and passages; returns it (with blob key) or undefined. */
  softDelete(tenantId: string, id: string, now: Date): Promise<DocumentRecord | undefined>;
  getPages(tenantId: string, documentId: string, range: { from: number; limit: number }): Promise<PageRecord[]>;
  /** Page texts of a booking's processed documents (all, or the ones named), in document and page order. */
  pagesForBooking(tenantId: string, bookingId: string, documentIds?: string[]): Promise<SourcePage[]>;
  search(tenantId: string, bookingId: string, query: string, limit: number): Promise<SearchHit[]>;
  /** Counts of a booking's live documents by status. */
  bookingSummary(tenantId: string, bookingId: string): Promise<Record<DocumentStatus, number>>;
  /**
   * Maintenance, across tenants: documents stuck in `uploaded` since before `uploadedBefore` (their
   * job was lost), and documents in `processing` whose lease expired by `leaseExpiredBy` (their
   * worker died).
   */
  listStuck(since: { uploadedBefore: Date; leaseExpiredBy: Date }, limit: number): Promise<DocumentRecord[]>;
  /** Maintenance: which of these document ids have a live (not deleted) row. */
  liveDocumentIds(ids: string[]): Promise<Set<string>>;
  /** Metrics: live documents by status across tenants. */
  countByStatus(): Promise<Record<DocumentStatus, number>>;
}
