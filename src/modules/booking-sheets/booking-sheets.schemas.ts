import { Type, type TSchema } from 'typebox';
import { ActorId, Count, IdParam, PageQuery, Timestamp } from '../../lib/http-schemas.js';
import type { LoanBookingRecord } from '../loan-bookings/loan-bookings.store.js';
import type { BookingSheetRecord, SheetValidation, SheetVersionRecord } from './booking-sheets.store.js';
import { SHEET_ACTIONS, SHEET_STATUSES } from './booking-sheets.store.js';

const Nullable = <T extends TSchema>(schema: T, description: string) => Type.Union([schema, Type.Null()], { description });
const Source = Type.Union([Type.Literal('extracted'), Type.Literal('manual')], { description: 'extracted (from a run) or manual (set by a person).' });

export const SheetStatusSchema = Type.Union(
  SHEET_STATUSES.map((s) => Type.Literal(s)),
  { description: 'draft (being prepared), in_review (submitted), approved, rejected.' },
);

export const SheetFieldSchema = Type.Object(
  {
    value: Type.Unknown({ description: 'Current value, shaped by the field\'s schema; null when absent.' }),
    source: Source,
    confidence: Nullable(Type.Number({ minimum: 0, maximum: 1 }), 'Engine confidence of an extracted value; null for a manual one.'),
    evidence: Type.Array(Type.Ref('Evidence'), { maxItems: 100, description: 'Quotes the extracted value was read from; empty for a manual value.' }),
    engine: Nullable(Type.String({ maxLength: 32 }), 'Engine of an extracted value.'),
    needs_review: Type.Boolean({ description: 'The extraction flagged the value for a person (reasons in review_reasons).' }),
    review_reasons: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 20, description: 'low_confidence, conflict, validation_failed, missing_required, evidence_not_verified...' }),
    validation_errors: Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 200, description: 'Schema violations of the value.' }),
    extracted_value: Type.Unknown({ description: 'What the extraction proposed, kept after a manual edit for comparison.' }),
    updated_by: ActorId('Who set the value (the user who created the sheet for extracted values).'),
    updated_at: Timestamp('When the value was set.'),
  },
  { $id: 'BookingSheetField', description: 'One field of a booking sheet.' },
);

const IssueSchema = Type.Object({
  rule: Type.String({
    maxLength: 64,
    description:
      'field_schema, required_before_approval, maturity_after_agreement_date, commitment_positive, amount_not_negative, commitment_equals_facilities, currency_valid, margin_in_range, cross_document_consistency.',
  }),
  severity: Type.Union([Type.Literal('error'), Type.Literal('warning')], { description: 'Errors block approval.' }),
  fields: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 500, description: 'Fields the issue is about.' }),
  message: Type.String({ maxLength: 2000, description: 'What is wrong.' }),
  evidence: Type.Array(Type.Ref('Evidence'), { maxItems: 100, description: 'For a conflict between documents: the evidence of every value found.' }),
});

export const SheetValidationSchema = Type.Object(
  {
    approvable: Type.Boolean({ description: 'No blocking error: the sheet may be approved.' }),
    error_count: Count('Blocking issues.'),
    warning_count: Count('Non-blocking issues.'),
    issues: Type.Array(IssueSchema, { maxItems: 1000 }),
  },
  { $id: 'BookingSheetValidation', description: 'Validation rules run on this version.' },
);

const ValidationSummary = Type.Object(
  { approvable: Type.Boolean(), error_count: Count('Blocking issues.'), warning_count: Count('Non-blocking issues.') },
  { description: 'Validation outcome of the version.' },
);

export const BookingSheetSchema = Type.Object(
  {
    booking_id: IdParam('Loan booking.'),
    id: IdParam('Sheet id.'),
    schema: Type.String({ maxLength: 64, description: 'Extraction schema the sheet follows.' }),
    schema_version: Type.String({ maxLength: 32 }),
    source_run_id: Nullable(IdParam('Extraction run.'), 'Extraction run the sheet was (last) built from.'),
    status: SheetStatusSchema,
    version: Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647, description: 'Increments on every change; the ETag is derived from it.' }),
    fields: Type.Record(Type.String(), Type.Ref('BookingSheetField'), { description: 'Every field of the schema.' }),
    validation: Type.Ref('BookingSheetValidation'),
    created_by: ActorId('Who created the sheet.'),
    created_at: Timestamp('Creation time.'),
    updated_by: ActorId('Who made the latest version (edit or workflow action).'),
    updated_at: Timestamp('Time of the latest version.'),
    last_edited_by: ActorId('Who last changed field values: may not approve (maker-checker).'),
    last_edited_at: Timestamp('When field values last changed.'),
    status_changed_at: Timestamp('When the status last changed.'),
    submitted_by: Nullable(ActorId('Who submitted it.'), 'Who submitted it for review.'),
    submitted_at: Nullable(Timestamp('Submission time.'), 'Submission time.'),
    decided_by: Nullable(ActorId('Who decided.'), 'Who approved or rejected it.'),
    decided_at: Nullable(Timestamp('Decision time.'), 'Decision time.'),
    decision_reason: Nullable(Type.String({ maxLength: 2000 }), 'Why it was rejected.'),
  },
  { $id: 'BookingSheet', description: 'The current version of a loan booking\'s booking sheet.' },
);

export const SheetVersionSchema = Type.Object(
  {
    version: Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647 }),
    action: Type.Union(
      SHEET_ACTIONS.map((a) => Type.Literal(a)),
      { description: 'What made this version.' },
    ),
    status: SheetStatusSchema,
    changes: Type.Array(
      Type.Object({
        field: Type.String({ maxLength: 100 }),
        from: Type.Unknown({ description: 'Value before.' }),
        to: Type.Unknown({ description: 'Value after.' }),
        from_source: Nullable(Source, 'Source before (null when the field is new).'),
        to_source: Source,
      }),
      { maxItems: 1000, description: 'Field-level changes: who changed what from what to what.' },
    ),
    reason: Nullable(Type.String({ maxLength: 2000 }), 'Change reason, rejection or reopening reason.'),
    source_run_id: Nullable(IdParam('Extraction run.'), 'Run the sheet was built from as of this version.'),
    validation: ValidationSummary,
    actor: ActorId('User who made the version.'),
    at: Timestamp('When.'),
  },
  { $id: 'BookingSheetVersion', description: 'One immutable version of a booking sheet.' },
);

export const ReviewQueueItemSchema = Type.Object(
  {
    booking_id: IdParam('Loan booking.'),
    customer_name: Type.String({ maxLength: 400 }),
    product_id: Type.String({ maxLength: 64, description: 'Product id.' }),
    schema: Type.String({ maxLength: 64 }),
    version: Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647 }),
    submitted_by: Nullable(ActorId('Who submitted it.'), 'Who submitted it.'),
    submitted_at: Nullable(Timestamp('Submission time.'), 'Submission time.'),
    last_edited_by: ActorId('The maker: may not approve.'),
    waiting_since: Timestamp('When it entered review.'),
    fields_needing_review: Count('Fields flagged for review.'),
    validation: ValidationSummary,
    can_approve: Type.Boolean({ description: 'Whether the caller may approve it (permission, and not its last editor).' }),
  },
  { $id: 'ReviewQueueItem', description: 'A booking sheet waiting for review.' },
);

export const SheetParams = Type.Object({ id: IdParam('Loan booking id.') });

const IfMatchHeaders = (required: boolean) =>
  Type.Object({
    'if-match': Type.Optional(
      Type.String({ maxLength: 100, description: required ? 'ETag of the version you read (required).' : 'ETag of the version you read; 412 when stale.' }),
    ),
    'idempotency-key': Type.Optional(Type.String({ maxLength: 255, description: 'Makes the request safe to retry.' })),
  });
export const OptionalIfMatch = IfMatchHeaders(false);
export const RequiredIfMatch = IfMatchHeaders(true);

export const CreateSheetBody = Type.Object(
  {
    run_id: Type.Optional(IdParam('Succeeded extraction run to build from; the latest succeeded run of the booking when omitted.')),
    replace: Type.Optional(
      Type.Boolean({
        description:
          'Rebuild an existing sheet from the run (needs If-Match). Values a person set are kept; only extracted values are replaced. Not for an approved sheet: reopen it first.',
      }),
    ),
  },
  { additionalProperties: false, description: 'Where the sheet comes from.' },
);

export const PatchSheetBody = Type.Object(
  {
    fields: Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), {
      minProperties: 1,
      maxProperties: 100,
      description:
        'JSON merge patch (RFC 7396) of field values: objects merge member by member, arrays and scalars replace, null makes a value null. Each changed field is validated against the schema; an unknown field or an invalid value answers 422 naming it, and nothing changes.',
    }),
    change_reason: Type.Optional(Type.String({ maxLength: 2000, description: 'Why; required to edit an approved or rejected sheet (the edit reopens it).' })),
  },
  { additionalProperties: false, description: 'Field edits.' },
);

export const ReasonBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 2000, description: 'Why (recorded on the version and shown to the maker).' }) },
  { additionalProperties: false },
);

export const VersionsQuery = Type.Object(
  { ...PageQuery },
  { additionalProperties: false },
);

export const ExportQuery = Type.Object(
  { format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json', description: 'json (default) or csv.' })) },
  { additionalProperties: false },
);

export const ReviewQueueQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });

export const SheetExportSchema = Type.Object(
  {
    booking_id: IdParam('Loan booking.'),
    customer_name: Type.String({ maxLength: 400 }),
    product_id: Type.String({ maxLength: 64, description: 'Product id.' }),
    schema: Type.String({ maxLength: 64 }),
    schema_version: Type.String({ maxLength: 32 }),
    sheet_version: Type.Integer({ format: 'int32', minimum: 1, maximum: 2_147_483_647 }),
    status: SheetStatusSchema,
    approved_by: Nullable(ActorId('Approver.'), 'Approver, when approved.'),
    approved_at: Nullable(Timestamp('Approval time.'), 'Approval time.'),
    exported_at: Timestamp('Export time.'),
    values: Type.Record(Type.String(), Type.Unknown(), { description: 'Field values by name.' }),
    sources: Type.Record(Type.String(), Source, { description: 'Source of each value.' }),
  },
  { $id: 'BookingSheetExport', description: 'A booking sheet\'s values for keying into the core loan system.' },
);

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toValidationSummary(v: SheetValidation) {
  return { approvable: v.approvable, error_count: v.error_count, warning_count: v.warning_count };
}

export function toSheetView(s: BookingSheetRecord) {
  return {
    booking_id: s.bookingId,
    id: s.id,
    schema: s.schemaName,
    schema_version: s.schemaVersion,
    source_run_id: s.sourceRunId,
    status: s.status,
    version: s.version,
    fields: s.fields,
    validation: s.validation,
    created_by: s.createdBy,
    created_at: s.createdAt.toISOString(),
    updated_by: s.updatedBy,
    updated_at: s.updatedAt.toISOString(),
    last_edited_by: s.lastEditedBy,
    last_edited_at: s.lastEditedAt.toISOString(),
    status_changed_at: s.statusChangedAt.toISOString(),
    submitted_by: s.submittedBy,
    submitted_at: iso(s.submittedAt),
    decided_by: s.decidedBy,
    decided_at: iso(s.decidedAt),
    decision_reason: s.decisionReason,
  };
}

export function toVersionView(v: SheetVersionRecord) {
  return {
    version: v.version,
    action: v.action,
    status: v.status,
    changes: v.changes,
    reason: v.reason,
    source_run_id: v.sourceRunId,
    validation: toValidationSummary(v.validation),
    actor: v.actor,
    at: v.at.toISOString(),
  };
}

export function toExportView(s: BookingSheetRecord, booking: LoanBookingRecord, exportedAt: Date) {
  const approved = s.status === 'approved';
  return {
    booking_id: s.bookingId,
    customer_name: booking.customerName,
    product_id: booking.productId,
    schema: s.schemaName,
    schema_version: s.schemaVersion,
    sheet_version: s.version,
    status: s.status,
    approved_by: approved ? s.decidedBy : null,
    approved_at: approved ? iso(s.decidedAt) : null,
    exported_at: exportedAt.toISOString(),
    values: Object.fromEntries(Object.entries(s.fields).map(([k, f]) => [k, f.value])),
    sources: Object.fromEntries(Object.entries(s.fields).map(([k, f]) => [k, f.source])),
  };
}
