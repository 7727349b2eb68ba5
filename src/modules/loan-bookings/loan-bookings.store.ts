export const BOOKING_STATUSES = [
  'draft',
  'documents_received',
  'processing',
  'ready_for_review',
  'approved',
  'booked',
  'rejected',
  'cancelled',
] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

export const SYNC_STATES = ['not_started', 'pending', 'indexed', 'failed'] as const;
export type SyncState = (typeof SYNC_STATES)[number];

export interface SyncStatus {
  state: SyncState;
  jobId: string | null;
  error: string | null;
  updatedAt: Date | null;
}

export interface LoanBookingRecord {
  id: string;
  tenantId: string;
  customerName: string;
  productId: string;
  externalReference: string | null;
  notes: string | null;
  status: BookingStatus;
  version: number;
  createdBy: string;
  createdAt: Date;
  updatedBy: string;
  updatedAt: Date;
  deletedAt: Date | null;
  deletedBy: string | null;
  sync: SyncStatus;
}

export interface LoanBookingFilters {
  productId?: string | undefined;
  status?: BookingStatus | undefined;
  /** Lower-cased, NFC-normalised prefix of the customer name. */
  customerNamePrefix?: string | undefined;
  createdFrom?: Date | undefined;
  createdTo?: Date | undefined;
  createdBy?: string | undefined;
  /** Only deleted bookings (admins' view of what was removed). */
  deleted?: boolean | undefined;
}

export interface LoanBookingPatch {
  customerName?: string;
  productId?: string;
  externalReference?: string | null;
  notes?: string | null;
  status?: BookingStatus;
}

export type UpdateResult = { ok: true; record: LoanBookingRecord } | { ok: false; reason: 'not_found' | 'version_mismatch' | 'invalid_state' };

/** Loan bookings; every method is scoped to one tenant. Newest first, by id (ids are time-ordered). */
export interface LoanBookingStore {
  create(record: LoanBookingRecord): Promise<LoanBookingRecord>;
  /** Deleted bookings are invisible unless includeDeleted. */
  find(tenantId: string, id: string, opts?: { includeDeleted?: boolean }): Promise<LoanBookingRecord | undefined>;
  list(tenantId: string, filters: LoanBookingFilters, page: { limit: number; beforeId?: string | undefined }): Promise<LoanBookingRecord[]>;
  /** Compare-and-set on version: the patch applies only if the stored version equals expectedVersion. */
  update(tenantId: string, id: string, expectedVersion: number | undefined, patch: LoanBookingPatch, actor: string, now: Date): Promise<UpdateResult>;
  /** System status transition, applied only from one of `from` (any when omitted). Bumps version. */
  transition(tenantId: string, id: string, to: BookingStatus, from: readonly BookingStatus[] | undefined, actor: string, now: Date): Promise<UpdateResult>;
  softDelete(tenantId: string, id: string, expectedVersion: number | undefined, actor: string, now: Date): Promise<UpdateResult>;
  setSyncStatus(tenantId: string, id: string, sync: SyncStatus): Promise<LoanBookingRecord | undefined>;
  /** Count of live bookings per status for one product, over all of them (not one page). */
  statusBreakdown(tenantId: string, productId: string): Promise<Partial<Record<BookingStatus, number>>>;
}

/** Search key of a customer name (prefix filter): case-insensitive, NFC. Every store uses this. */
export function customerNameKey(name: string): string {
  return name.normalize('NFC').toLowerCase();
}
