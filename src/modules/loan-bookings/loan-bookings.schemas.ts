import { Type } from 'typebox';
import { ActorId, IdParam, PageQuery, Timestamp } from '../../lib/http-schemas.js';
import { BOOKING_STATUSES, SYNC_STATES, type LoanBookingRecord } from './loan-bookings.store.js';

export const BookingStatusSchema = Type.Union(
  BOOKING_STATUSES.map((s) => Type.Literal(s)),
  { description: 'Lifecycle: draft, documents_received, processing, ready_for_review, approved, booked, rejected, cancelled.' },
);
export const SyncStateSchema = Type.Union(
  SYNC_STATES.map((s) => Type.Literal(s)),
  { description: 'Knowledge-base / index sync state of the booking\'s documents.' },
);

export const ProductId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$', description: 'Product id from the catalogue.' });
const CustomerName = Type.String({
  minLength: 1,
  maxLength: 400,
  description: "Customer (borrower) legal name: 1-200 characters after trimming; letters of any language, digits, spaces and . , & ' - ( ) /.",
});
const ExternalReference = Type.Union([Type.String({ maxLength: 100, pattern: '^[\\x20-\\x7e]*$', description: 'Reference in another system (printable ASCII).' }), Type.Null()]);
const Notes = Type.Union([Type.String({ maxLength: 4000, description: 'Free-text notes.' }), Type.Null()]);

export const SyncStatusSchema = Type.Object(
  {
    state: SyncStateSchema,
    job_id: Type.Union([Type.String({ maxLength: 200 }), Type.Null()], { description: 'Last ingestion or processing job.' }),
    error: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()], { description: 'Why the last sync failed.' }),
    updated_at: Type.Union([Timestamp('When the state last changed.'), Type.Null()]),
  },
  { $id: 'SyncStatus', description: 'Sync status of a booking\'s documents.' },
);

export const LoanBookingSchema = Type.Object(
  {
    id: IdParam('Loan booking id (opaque).'),
    customer_name: Type.String({ maxLength: 400, description: 'Customer legal name.' }),
    product_id: ProductId,
    external_reference: Type.Union([Type.String({ maxLength: 100 }), Type.Null()], { description: 'Reference in another system.' }),
    notes: Type.Union([Type.String({ maxLength: 4000 }), Type.Null()], { description: 'Notes.' }),
    status: BookingStatusSchema,
    version: Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'Increments on every change; the ETag is derived from it.' }),
    created_by: ActorId('User who created it.'),
    created_at: Timestamp('Creation time.'),
    updated_by: ActorId('User who last changed it.'),
    updated_at: Timestamp('Last change.'),
    deleted_at: Type.Union([Timestamp('When it was deleted.'), Type.Null()]),
    sync_status: Type.Ref('SyncStatus'),
  },
  { $id: 'LoanBooking', description: 'A loan booking.' },
);

export const CreateLoanBookingBody = Type.Object(
  {
    customer_name: CustomerName,
    product_id: ProductId,
    external_reference: Type.Optional(ExternalReference),
    notes: Type.Optional(Notes),
  },
  { additionalProperties: false, description: 'A new loan booking.' },
);

export const UpdateLoanBookingBody = Type.Object(
  {
    customer_name: Type.Optional(CustomerName),
    product_id: Type.Optional(ProductId),
    external_reference: Type.Optional(ExternalReference),
    notes: Type.Optional(Notes),
    status: Type.Optional(
      Type.Union([Type.Literal('cancelled'), Type.Literal('booked')], {
        description: 'Cancel the booking, or mark an approved one as booked in the core system. Other statuses follow the workflow.',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1, description: 'Fields to change (writable fields only).' },
);

export const BookingIdParams = Type.Object({ id: IdParam('Loan booking id.') });

export const ListLoanBookingsQuery = Type.Object(
  {
    ...PageQuery,
    product_id: Type.Optional(ProductId),
    status: Type.Optional(BookingStatusSchema),
    customer_name_prefix: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Case-insensitive prefix of the customer name.' })),
    created_from: Type.Optional(Timestamp('Created at or after.')),
    created_to: Type.Optional(Timestamp('Created before.')),
    created_by: Type.Optional(Type.String({ maxLength: 100, description: 'Created by this user id.' })),
    deleted: Type.Optional(Type.Boolean({ description: 'List deleted bookings instead (needs bookings:read-deleted, admins).' })),
  },
  { additionalProperties: false },
);

export const SyncOverrideBody = Type.Object(
  {
    state: SyncStateSchema,
    error: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()], { description: 'Reason, when state is failed.' })),
    job_id: Type.Optional(Type.Union([Type.String({ maxLength: 200, pattern: '^[\\x21-\\x7e]+$' }), Type.Null()], { description: 'Job to associate.' })),
  },
  { additionalProperties: false, description: 'Administrator override of the sync status.' },
);

export function toBookingView(r: LoanBookingRecord) {
  return {
    id: r.id,
    customer_name: r.customerName,
    product_id: r.productId,
    external_reference: r.externalReference,
    notes: r.notes,
    status: r.status,
    version: r.version,
    created_by: r.createdBy,
    created_at: r.createdAt.toISOString(),
    updated_by: r.updatedBy,
    updated_at: r.updatedAt.toISOString(),
    deleted_at: r.deletedAt ? r.deletedAt.toISOString() : null,
    sync_status: toSyncView(r),
  };
}

export function toSyncView(r: LoanBookingRecord) {
  return {
    state: r.sync.state,
    job_id: r.sync.jobId,
    error: r.sync.error,
    updated_at: r.sync.updatedAt ? r.sync.updatedAt.toISOString() : null,
  };
}
