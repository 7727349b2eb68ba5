import type { Evidence } from '../extraction/engine.js';

export const SHEET_STATUSES = ['draft', 'in_review', 'approved', 'rejected'] as const;
export type SheetStatus = (typeof SHEET_STATUSES)[number];

export const SHEET_ACTIONS = ['create', 'replace', 'edit', 'submit', 'approve', 'reject', 'reopen'] as const;
export type SheetAction = (typeof SHEET_ACTIONS)[number];

export type FieldSource = 'extracted' | 'manual';

/** One field of a sheet as stored and shown: the API's own shape (snake_case), kept as JSON. */
export interface SheetField {
  // `| null` documents that absence is an expected answer.
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents
  value: unknown | null;
  source: FieldSource;
  /** The engine's confidence for an extracted value; null once a person set the field. */
  confidence: number | null;
  /** Where an extracted value was read; empty for a manual value. */
  evidence: Evidence[];
  engine: string | null;
  needs_review: boolean;
  review_reasons: string[];
  validation_errors: string[];
  /** What the extraction proposed, kept after a manual edit so a reviewer can compare. */
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents
  extracted_value: unknown | null;
  updated_by: string;
  updated_at: string;
}

export type IssueSeverity = 'error' | 'warning';

export interface ValidationIssue {
  rule: string;
  /** Errors block approval; warnings are for the reviewer's attention. */
  severity: IssueSeverity;
  fields: string[];
  message: string;
  evidence: Evidence[];
}

export interface SheetValidation {
  approvable: boolean;
  error_count: number;
  warning_count: number;
  issues: ValidationIssue[];
}

/** A field-level change: who changed what from what to what is on the version row. */
export interface FieldChange {
  field: string;
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents
  from: unknown | null;
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents
  to: unknown | null;
  from_source: FieldSource | null;
  to_source: FieldSource;
}

export interface BookingSheetRecord {
  tenantId: string;
  bookingId: string;
  id: string;
  schemaName: string;
  schemaVersion: string;
  /** The extraction run the sheet was (last) built from. */
  sourceRunId: string | null;
  status: SheetStatus;
  version: number;
  fields: Record<string, SheetField>;
  validation: SheetValidation;
  createdBy: string;
  createdAt: Date;
  updatedBy: string;
  updatedAt: Date;
  /** Who last changed field values: the maker, who may not approve (maker-checker). */
  lastEditedBy: string;
  lastEditedAt: Date;
  statusChangedAt: Date;
  submittedBy: string | null;
  submittedAt: Date | null;
  /** Approver or rejecter of the latest decision, with the rejection reason. */
  decidedBy: string | null;
  decidedAt: Date | null;
  decisionReason: string | null;
}

/** One immutable history row per sheet version. */
export interface SheetVersionRecord {
  tenantId: string;
  bookingId: string;
  version: number;
  sheetId: string;
  action: SheetAction;
  /** Status of the sheet as of this version. */
  status: SheetStatus;
  changes: FieldChange[];
  reason: string | null;
  sourceRunId: string | null;
  validation: SheetValidation;
  actor: string;
  at: Date;
}

export type SheetWriteResult =
  | { ok: true; record: BookingSheetRecord }
  | { ok: false; reason: 'exists' | 'not_found' | 'version_mismatch'; current: BookingSheetRecord | undefined };

export interface ReviewQueuePosition {
  statusChangedAt: Date;
  bookingId: string;
}

/**
 * The current booking sheet of each booking and its version history. A write stores the new
 * current version and its history row together or not at all, and only over the version the
 * caller read (compare-and-set), so two editors can never overwrite each other unseen.
 */
export interface BookingSheetStore {
  /** Creates version 1; refuses (`exists`) when the booking already has a sheet. */
  createSheet(record: BookingSheetRecord, history: SheetVersionRecord): Promise<SheetWriteResult>;
  findSheet(tenantId: string, bookingId: string): Promise<BookingSheetRecord | undefined>;
  /**
   * Replaces the current version `expectedVersion` with `next` (whose version must be
   * expectedVersion + 1) and appends `history` (the same version).
   */
  updateSheetIfVersion(expectedVersion: number, next: BookingSheetRecord, history: SheetVersionRecord): Promise<SheetWriteResult>;
  /** Newest first. */
  listVersions(tenantId: string, bookingId: string, page: { limit: number; beforeVersion?: number | undefined }): Promise<SheetVersionRecord[]>;
  /** Sheets in one status, the longest waiting first (the review queue). */
  listByStatus(tenantId: string, status: SheetStatus, page: { limit: number; after?: ReviewQueuePosition | undefined }): Promise<BookingSheetRecord[]>;
  /** Metrics: sheets by status across tenants. */
  countByStatus(): Promise<Record<SheetStatus, number>>;
}
