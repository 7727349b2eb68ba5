import { Counter, type Registry } from 'prom-client';
import { AppError, validationError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { Clock } from '../../lib/clock.js';
import type { RequestMeta } from '../../lib/request-meta.js';
import type { AuditService } from '../audit/audit.service.js';
import type { ProductService } from '../products/products.service.js';
import type {
  LoanBookingStore,
  LoanBookingRecord,
  LoanBookingFilters,
  BookingStatus,
  SyncState,
  UpdateResult,
} from './loan-bookings.store.js';

export interface CreateBookingInput {
  customer_name: string;
  product_id: string;
  external_reference?: string | null | undefined;
  notes?: string | null | undefined;
}

export interface UpdateBookingInput {
  customer_name?: string;
  product_id?: string;
  external_reference?: string | null;
  notes?: string | null;
  status?: 'cancelled' | 'booked';
}

// Letters of any script, combining marks, digits, spaces and the punctuation real company names use.
const CUSTOMER_NAME_RE = /^[\p{L}\p{M}\p{N} .,&'()/-]+$/u;
// eslint-disable-next-line no-control-regex -- stripping control characters is the point
const CONTROL_RE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** Trims, NFC-normalises and collapses inner whitespace; rejects what is not a plausible company name. */
export function normaliseCustomerName(raw: string): string {
  const name = raw.normalize('NFC').replace(/\s+/g, ' ').trim();
  const problems: string[] = [];
  if (name.length === 0) problems.push('must not be empty');
  if (name.length > 200) problems.push('must be at most 200 characters');
  if (name.length > 0 && !CUSTOMER_NAME_RE.test(name)) problems.push("may contain letters, digits, spaces and . , & ' - ( ) / only");
  if (problems.length > 0) throw validationError({ customer_name: problems });
  return name;
}

/** Free text keeps line breaks and tabs but loses control and bidi-override characters. */
export function sanitiseText(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const text = raw.normalize('NFC').replace(CONTROL_RE, '').trim();
  return text.length === 0 ? null : text;
}

/** Which statuses a client may set directly, and from where. Other moves are the workflow's. */
const MANUAL_TRANSITIONS: Record<'cancelled' | 'booked', readonly BookingStatus[]> = {
  cancelled: ['draft', 'documents_received', 'processing', 'ready_for_review', 'rejected', 'approved'],
  booked: ['approved'],
};

export interface LoanBookingService {
  /** `id` is for the legacy one-call upload, whose files are stored under the booking id before it exists. */
  create(input: CreateBookingInput, meta: RequestMeta, id?: string): Promise<LoanBookingRecord>;
  get(tenantId: string, id: string, opts?: { includeDeleted?: boolean }): Promise<LoanBookingRecord>;
  list(tenantId: string, filters: LoanBookingFilters, page: { limit: number; beforeId?: string | undefined }): Promise<LoanBookingRecord[]>;
  update(id: string, expectedVersion: number | undefined, input: UpdateBookingInput, meta: RequestMeta): Promise<LoanBookingRecord>;
  remove(id: string, expectedVersion: number | undefined, meta: RequestMeta): Promise<void>;
  /** Workflow transition used by other modules (documents, booking sheets). No-op result when not allowed. */
  transition(tenantId: string, id: string, to: BookingStatus, from: readonly BookingStatus[], actor: string): Promise<LoanBookingRecord | undefined>;
  setSync(tenantId: string, id: string, state: SyncState, jobId: string | null, error: string | null): Promise<void>;
  overrideSync(id: string, input: { state: SyncState; error?: string | null | undefined; job_id?: string | null | undefined }, meta: RequestMeta): Promise<LoanBookingRecord>;
  statusBreakdown(tenantId: string, productId: string): Promise<Partial<Record<BookingStatus, number>>>;
}

export function createLoanBookingService(deps: {
  store: LoanBookingStore;
  products: ProductService;
  audit: AuditService;
  clock: Clock;
  metrics: Registry;
}): LoanBookingService {
  const { store, products, audit, clock } = deps;
  const created = new Counter({
    name: 'loan_bookings_created_total',
    help: 'Loan bookings created, by product.',
    labelNames: ['product'] as const,
    registers: [deps.metrics],
  });
  const transitions = new Counter({
    name: 'loan_booking_status_changes_total',
    help: 'Loan booking status changes, by new status.',
    labelNames: ['status'] as const,
    registers: [deps.metrics],
  });

  function unwrap(result: UpdateResult, what: string): LoanBookingRecord {
    if (result.ok) return result.record;
    if (result.reason === 'not_found') throw new AppError('LOAN_BOOKING_NOT_FOUND');
    if (result.reason === 'version_mismatch') throw new AppError('VERSION_MISMATCH', 'The loan booking changed since you read it; read it again');
    throw new AppError('INVALID_STATE', `The loan booking cannot ${what} in its current status`);
  }

  async function get(tenantId: string, id: string, opts?: { includeDeleted?: boolean }): Promise<LoanBookingRecord> {
    const rec = await store.find(tenantId, id, opts);
    if (!rec) throw new AppError('LOAN_BOOKING_NOT_FOUND');
    return rec;
  }

  return {
    async create(input, meta, id) {
      const principal = meta.principal!;
      const customerName = normaliseCustomerName(input.customer_name);
      await products.requireActive(principal.tenantId, input.product_id);
      const now = clock.now();
      const rec = await store.create({
        id: id ?? newId(now.getTime()),
        tenantId: principal.tenantId,
        customerName,
        productId: input.product_id,
        externalReference: sanitiseText(input.external_reference),
        notes: sanitiseText(input.notes),
        status: 'draft',
        version: 1,
        createdBy: principal.userId,
        createdAt: now,
        updatedBy: principal.userId,
        updatedAt: now,
        deletedAt: null,
        deletedBy: null,
        sync: { state: 'not_started', jobId: null, error: null, updatedAt: null },
      });
      created.inc({ product: rec.productId });
      transitions.inc({ status: rec.status });
      return rec;
    },

    get,
    list: (tenantId, filters, page) => store.list(tenantId, filters, page),

    async update(id, expectedVersion, input, meta) {
      const principal = meta.principal!;
      const patch: Parameters<LoanBookingStore['update']>[3] = {};
      if (input.customer_name !== undefined) patch.customerName = normaliseCustomerName(input.customer_name);
      if (input.product_id !== undefined) {
        await products.requireActive(principal.tenantId, input.product_id);
        patch.productId = input.product_id;
      }
      if (input.external_reference !== undefined) patch.externalReference = sanitiseText(input.external_reference);
      if (input.notes !== undefined) patch.notes = sanitiseText(input.notes);
      if (input.status !== undefined) {
        const current = await get(principal.tenantId, id);
        if (!MANUAL_TRANSITIONS[input.status].includes(current.status)) {
          throw new AppError('INVALID_STATE', `A ${current.status} loan booking cannot become ${input.status}`, {
            details: { from: current.status, to: input.status },
          });
        }
        patch.status = input.status;
      }
      const rec = unwrap(await store.update(principal.tenantId, id, expectedVersion, patch, principal.userId, clock.now()), 'change');
      if (patch.status) transitions.inc({ status: patch.status });
      return rec;
    },

    async remove(id, expectedVersion, meta) {
      const principal = meta.principal!;
      unwrap(await store.softDelete(principal.tenantId, id, expectedVersion, principal.userId, clock.now()), 'be deleted');
      await audit.record(meta, { action: 'loan_booking.delete', outcome: 'success', targetType: 'loan_booking', targetId: id });
    },

    async transition(tenantId, id, to, from, actor) {
      const result = await store.transition(tenantId, id, to, from, actor, clock.now());
      if (!result.ok) return undefined;
      transitions.inc({ status: to });
      return result.record;
    },

    async setSync(tenantId, id, state, jobId, error) {
      await store.setSyncStatus(tenantId, id, { state, jobId, error, updatedAt: clock.now() });
    },

    async overrideSync(id, input, meta) {
      const principal = meta.principal!;
      const before = await get(principal.tenantId, id);
      const rec = await store.setSyncStatus(principal.tenantId, id, {
        state: input.state,
        jobId: input.job_id === undefined ? before.sync.jobId : input.job_id,
        error: input.state === 'failed' ? (sanitiseText(input.error) ?? 'Set by an administrator') : null,
        updatedAt: clock.now(),
      });
      if (!rec) throw new AppError('LOAN_BOOKING_NOT_FOUND');
      await audit.record(meta, {
        action: 'loan_booking.sync_override',
        outcome: 'success',
        targetType: 'loan_booking',
        targetId: id,
        details: { from: before.sync.state, to: input.state },
      });
      return rec;
    },

    statusBreakdown: (tenantId, productId) => store.statusBreakdown(tenantId, productId),
  };
}
