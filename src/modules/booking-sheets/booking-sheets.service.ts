import { Gauge, type Registry } from 'prom-client';
import type { Clock } from '../../lib/clock.js';
import { AppError, isAppError, validationError, type FieldErrors } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { RequestMeta } from '../../lib/request-meta.js';
import type { AuditService } from '../audit/audit.service.js';
import { canonicalJson, type FieldResult } from '../extraction/engine.js';
import type { ExtractionRunRecord, ExtractionRunStore } from '../extraction/extraction.store.js';
import { getExtractionSchema, validateField } from '../extraction/schemas/index.js';
import type { LoanBookingService } from '../loan-bookings/loan-bookings.service.js';
import { sanitiseText } from '../loan-bookings/loan-bookings.service.js';
import type { BookingStatus, LoanBookingRecord } from '../loan-bookings/loan-bookings.store.js';
import type {
  BookingSheetRecord,
  BookingSheetStore,
  FieldChange,
  ReviewQueuePosition,
  SheetAction,
  SheetField,
  SheetStatus,
  SheetVersionRecord,
} from './booking-sheets.store.js';
import { SHEET_STATUSES } from './booking-sheets.store.js';
import { mergePatch } from './merge-patch.js';
import { validateSheet } from './validation.js';

export interface CreateSheetInput {
  run_id?: string | undefined;
  replace?: boolean | undefined;
}

export interface PatchSheetInput {
  fields: Record<string, unknown>;
  change_reason?: string | undefined;
}

export interface CreateSheetResult {
  sheet: BookingSheetRecord;
  created: boolean;
  /** Fields a person had set, kept as they were when the sheet was rebuilt from a run. */
  keptManual: string[];
}

export interface ReviewQueueItem {
  sheet: BookingSheetRecord;
  booking: LoanBookingRecord;
}

/** `undefined`: no If-Match sent; `'*'`: any current version. */
export type Precondition = number | '*' | undefined;

export interface BookingSheetService {
  /** Builds the sheet from a run (the latest succeeded one by default). */
  create(bookingId: string, input: CreateSheetInput, ifMatch: Precondition, meta: RequestMeta): Promise<CreateSheetResult>;
  get(tenantId: string, bookingId: string): Promise<BookingSheetRecord>;
  /** JSON merge patch of field values; needs the version read (If-Match). */
  patch(bookingId: string, ifMatch: Precondition, input: PatchSheetInput, meta: RequestMeta): Promise<BookingSheetRecord>;
  versions(tenantId: string, bookingId: string, page: { limit: number; beforeVersion?: number | undefined }): Promise<SheetVersionRecord[]>;
  submit(bookingId: string, ifMatch: Precondition, meta: RequestMeta): Promise<BookingSheetRecord>;
  approve(bookingId: string, ifMatch: Precondition, meta: RequestMeta): Promise<BookingSheetRecord>;
  reject(bookingId: string, reason: string, ifMatch: Precondition, meta: RequestMeta): Promise<BookingSheetRecord>;
  reopen(bookingId: string, reason: string, ifMatch: Precondition, meta: RequestMeta): Promise<BookingSheetRecord>;
  /** The sheet to export (the caller formats it); audited, since it is data leaving the service. */
  exportSheet(bookingId: string, format: 'json' | 'csv', meta: RequestMeta): Promise<{ sheet: BookingSheetRecord; booking: LoanBookingRecord }>;
  /** Sheets waiting for review in the tenant, the longest waiting first. */
  reviewQueue(tenantId: string, page: { limit: number; after?: ReviewQueuePosition | undefined }): Promise<{ items: ReviewQueueItem[]; last: BookingSheetRecord | undefined; hasMore: boolean }>;
}

export interface BookingSheetServiceDeps {
  store: BookingSheetStore;
  runs: Pick<ExtractionRunStore, 'findRun' | 'latestSucceededRun'>;
  bookings: Pick<LoanBookingService, 'get' | 'transition'>;
  audit: AuditService;
  clock: Clock;
  metrics: Registry;
}

/** How a sheet's status moves its booking through the lifecycle (and from which booking statuses). */
const BOOKING_FOR_SHEET: Record<SheetStatus, { to: BookingStatus; from: BookingStatus[] }> = {
  // Back to work after a decision: the booking is under review again, no longer decided.
  draft: { to: 'ready_for_review', from: ['approved', 'rejected'] },
  in_review: { to: 'ready_for_review', from: ['draft', 'documents_received', 'processing', 'approved', 'rejected'] },
  approved: { to: 'approved', from: ['draft', 'documents_received', 'processing', 'ready_for_review', 'rejected'] },
  rejected: { to: 'rejected', from: ['draft', 'documents_received', 'processing', 'ready_for_review', 'approved'] },
};

/** A booking in these statuses is final: its sheet is a record, no longer a worksheet. */
const CLOSED_BOOKING: readonly BookingStatus[] = ['booked', 'cancelled'];

/** Writes that race without If-Match are retried this many times before reporting the conflict. */
const CAS_ATTEMPTS = 3;

function fieldFromRun(result: FieldResult | undefined, actor: string, at: string): SheetField {
  const r: FieldResult = result ?? {
    value: null,
    confidence: 0,
    evidence: [],
    engine: '',
    needs_review: true,
    review_reasons: ['not_extracted'],
    validation_errors: [],
  };
  return {
    value: r.value,
    source: 'extracted',
    confidence: r.confidence,
    evidence: r.evidence,
    engine: r.engine || null,
    needs_review: r.needs_review,
    review_reasons: r.review_reasons,
    validation_errors: r.validation_errors,
    extracted_value: r.value,
    updated_by: actor,
    updated_at: at,
  };
}

function diff(before: Readonly<Record<string, SheetField>> | undefined, after: Readonly<Record<string, SheetField>>, order: readonly string[]): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of order) {
    const a = before?.[field];
    const b = after[field];
    if (!b) continue;
    if (a && a.source === b.source && canonicalJson(a.value) === canonicalJson(b.value)) continue;
    changes.push({ field, from: a ? a.value : null, to: b.value, from_source: a ? a.source : null, to_source: b.source });
  }
  return changes;
}

function cleanReason(raw: string | undefined, what: string): string {
  const reason = sanitiseText(raw);
  if (!reason) throw validationError({ [what]: ['must not be empty'] });
  return reason.slice(0, 2000);
}

export function createBookingSheetService(deps: BookingSheetServiceDeps): BookingSheetService {
  const { store, runs, bookings, audit, clock } = deps;

  let counts: { at: number; value: Promise<Record<SheetStatus, number>> } | undefined;
  // One query serves both gauges of a scrape; a failed query is not cached.
  const countByStatus = (): Promise<Record<SheetStatus, number>> => {
    const now = Date.now();
    if (!counts || now - counts.at > 5_000) {
      const value = store.countByStatus();
      counts = { at: now, value };
      value.catch(() => {
        counts = undefined;
      });
    }
    return counts.value;
  };
  new Gauge({
    name: 'booking_sheets',
    help: 'Booking sheets by status.',
    labelNames: ['status'] as const,
    registers: [deps.metrics],
    async collect() {
      const c = await countByStatus();
      for (const s of SHEET_STATUSES) this.set({ status: s }, c[s]);
    },
  });
  new Gauge({
    name: 'booking_sheet_review_queue_size',
    help: 'Booking sheets waiting for review (in_review).',
    registers: [deps.metrics],
    async collect() {
      this.set((await countByStatus()).in_review);
    },
  });

  async function openBooking(tenantId: string, bookingId: string, writing: boolean): Promise<LoanBookingRecord> {
    const booking = await bookings.get(tenantId, bookingId);
    if (writing && CLOSED_BOOKING.includes(booking.status)) {
      throw new AppError('INVALID_STATE', `The loan booking is ${booking.status}; its booking sheet can no longer change`, {
        details: { booking_status: booking.status },
      });
    }
    return booking;
  }

  async function getSheet(tenantId: string, bookingId: string): Promise<BookingSheetRecord> {
    const sheet = await store.findSheet(tenantId, bookingId);
    if (!sheet) throw new AppError('BOOKING_SHEET_NOT_FOUND', 'This loan booking has no booking sheet yet; create one from an extraction run');
    return sheet;
  }

  function checkPrecondition(sheet: BookingSheetRecord, ifMatch: Precondition): void {
    if (typeof ifMatch === 'number' && ifMatch !== sheet.version) {
      throw new AppError('VERSION_MISMATCH', 'The booking sheet changed since you read it; read it again', {
        details: { current_version: sheet.version },
      });
    }
  }

  async function syncBooking(sheet: BookingSheetRecord, actor: string): Promise<void> {
    const move = BOOKING_FOR_SHEET[sheet.status];
    await bookings.transition(sheet.tenantId, sheet.bookingId, move.to, move.from, actor);
  }

  /**
   * Read, decide, compare-and-set. With If-Match the caller's version must still be current
   * (412 otherwise); without it a concurrent write is re-read and the decision made again.
   */
  async function write(
    tenantId: string,
    bookingId: string,
    ifMatch: Precondition,
    decide: (current: BookingSheetRecord, now: Date) => { next: BookingSheetRecord; history: SheetVersionRecord } | undefined,
  ): Promise<{ before: BookingSheetRecord; after: BookingSheetRecord; history: SheetVersionRecord | undefined }> {
    for (let attempt = 1; ; attempt++) {
      const current = await getSheet(tenantId, bookingId);
      checkPrecondition(current, ifMatch);
      const decided = decide(current, clock.now());
      if (!decided) return { before: current, after: current, history: undefined };
      const result = await store.updateSheetIfVersion(current.version, decided.next, decided.history);
      if (result.ok) return { before: current, after: result.record, history: decided.history };
      if (result.reason === 'not_found') throw new AppError('BOOKING_SHEET_NOT_FOUND');
      if (typeof ifMatch === 'number' || attempt >= CAS_ATTEMPTS) {
        throw new AppError('VERSION_MISMATCH', 'The booking sheet changed while you were saving; read it again', {
          details: { current_version: result.current?.version },
        });
      }
    }
  }

  function nextVersion(
    current: BookingSheetRecord,
    now: Date,
    actor: string,
    action: SheetAction,
    changes: Partial<BookingSheetRecord>,
    extra: { changes?: FieldChange[]; reason?: string | null; sourceRunId?: string | null } = {},
  ): { next: BookingSheetRecord; history: SheetVersionRecord } {
    const merged: BookingSheetRecord = { ...current, ...changes, version: current.version + 1, updatedBy: actor, updatedAt: now };
    if (merged.status !== current.status) merged.statusChangedAt = now;
    const next: BookingSheetRecord = { ...merged, validation: validateSheet(merged.schemaName, merged.fields) };
    return {
      next,
      history: {
        tenantId: next.tenantId,
        bookingId: next.bookingId,
        version: next.version,
        sheetId: next.id,
        action,
        status: next.status,
        changes: extra.changes ?? [],
        reason: extra.reason ?? null,
        sourceRunId: extra.sourceRunId !== undefined ? extra.sourceRunId : next.sourceRunId,
        validation: next.validation,
        actor,
        at: now,
      },
    };
  }

  async function sourceRun(tenantId: string, bookingId: string, runId: string | undefined): Promise<ExtractionRunRecord> {
    if (runId) {
      const run = await runs.findRun(tenantId, runId);
      if (!run || run.bookingId !== bookingId) throw new AppError('EXTRACTION_RUN_NOT_FOUND', 'No such extraction run for this loan booking');
      if (run.status !== 'succeeded' || !run.fields) {
        throw new AppError('INVALID_STATE', `The extraction run is ${run.status}; a booking sheet is built from a succeeded run`, {
          details: { run_status: run.status },
        });
      }
      return run;
    }
    const latest = await runs.latestSucceededRun(tenantId, bookingId);
    if (!latest || !latest.fields) {
      throw new AppError('INVALID_STATE', 'This loan booking has no succeeded extraction run; run an extraction first');
    }
    return latest;
  }

  return {
    async create(bookingId, input, ifMatch, meta) {
      const principal = meta.principal!;
      const tenantId = principal.tenantId;
      const actor = principal.userId;
      await openBooking(tenantId, bookingId, true);
      const run = await sourceRun(tenantId, bookingId, input.run_id);
      const schema = getExtractionSchema(run.schemaName);
      const existing = await store.findSheet(tenantId, bookingId);

      if (!existing) {
        const now = clock.now();
        const at = now.toISOString();
        const fields = Object.fromEntries(schema.fields.map((f) => [f, fieldFromRun(run.fields?.[f], actor, at)]));
        const sheet: BookingSheetRecord = {
          tenantId,
          bookingId,
          id: newId(now.getTime()),
          schemaName: schema.name,
          schemaVersion: schema.version,
          sourceRunId: run.id,
          status: 'draft',
          version: 1,
          fields,
          validation: validateSheet(schema.name, fields),
          createdBy: actor,
          createdAt: now,
          updatedBy: actor,
          updatedAt: now,
          lastEditedBy: actor,
          lastEditedAt: now,
          statusChangedAt: now,
          submittedBy: null,
          submittedAt: null,
          decidedBy: null,
          decidedAt: null,
          decisionReason: null,
        };
        const history: SheetVersionRecord = {
          tenantId,
          bookingId,
          version: 1,
          sheetId: sheet.id,
          action: 'create',
          status: 'draft',
          changes: diff(undefined, fields, schema.fields),
          reason: null,
          sourceRunId: run.id,
          validation: sheet.validation,
          actor,
          at: now,
        };
        const result = await store.createSheet(sheet, history);
        if (!result.ok) {
          throw new AppError('CONFLICT', 'A booking sheet was created for this loan booking at the same time; read it', {
            details: { current_version: result.current?.version },
          });
        }
        await audit.record(meta, {
          action: 'booking_sheet.create',
          outcome: 'success',
          targetType: 'booking_sheet',
          targetId: bookingId,
          details: { version: 1, run_id: run.id, schema: schema.name },
        });
        return { sheet: result.record, created: true, keptManual: [] };
      }

      if (!input.replace) {
        throw new AppError('CONFLICT', 'This loan booking already has a booking sheet; to rebuild it from a run send replace: true with If-Match', {
          details: { current_version: existing.version },
        });
      }
      if (ifMatch === undefined) {
        throw new AppError('PRECONDITION_REQUIRED', 'Replacing a booking sheet needs an If-Match header with the ETag you last read');
      }
      if (existing.schemaName !== run.schemaName) {
        throw validationError(
          { run_id: [`the booking sheet follows schema ${existing.schemaName}; this run extracted ${run.schemaName}`] },
          'The run does not fit this booking sheet',
        );
      }
      let keptManual: string[] = [];
      const { after, history } = await write(tenantId, bookingId, ifMatch, (current, now) => {
        if (current.status === 'approved') {
          throw new AppError('INVALID_STATE', 'An approved booking sheet is not rebuilt; reopen it first', { details: { status: current.status } });
        }
        const at = now.toISOString();
        keptManual = [];
        const fields: Record<string, SheetField> = {};
        for (const f of schema.fields) {
          const mine = current.fields[f];
          // A value a person entered is never overwritten by a machine reading.
          if (mine && mine.source === 'manual') {
            fields[f] = { ...mine, extracted_value: run.fields?.[f]?.value ?? null };
            keptManual.push(f);
          } else {
            fields[f] = fieldFromRun(run.fields?.[f], actor, at);
          }
        }
        return nextVersion(
          current,
          now,
          actor,
          'replace',
          { fields, sourceRunId: run.id, status: 'draft', lastEditedBy: actor, lastEditedAt: now, submittedBy: null, submittedAt: null, decidedBy: null, decidedAt: null, decisionReason: null },
          { changes: diff(current.fields, fields, schema.fields), sourceRunId: run.id },
        );
      });
      if (after.status !== existing.status) await syncBooking(after, actor);
      await audit.record(meta, {
        action: 'booking_sheet.replace',
        outcome: 'success',
        targetType: 'booking_sheet',
        targetId: bookingId,
        details: { version: after.version, run_id: run.id, changed: history?.changes.length ?? 0, kept_manual: keptManual.length },
      });
      return { sheet: after, created: false, keptManual };
    },

    async get(tenantId, bookingId) {
      await openBooking(tenantId, bookingId, false);
      return getSheet(tenantId, bookingId);
    },

    async patch(bookingId, ifMatch, input, meta) {
      const principal = meta.principal!;
      const tenantId = principal.tenantId;
      const actor = principal.userId;
      await openBooking(tenantId, bookingId, true);
      if (ifMatch === undefined) throw new AppError('PRECONDITION_REQUIRED', 'Editing a booking sheet needs an If-Match header with the ETag you last read');
      let reopened = false;
      const { before, after, history } = await write(tenantId, bookingId, ifMatch, (current, now) => {
        const schema = getExtractionSchema(current.schemaName);
        const errors: FieldErrors = {};
        const values: Record<string, unknown> = {};
        for (const [field, patch] of Object.entries(input.fields)) {
          if (!schema.fields.includes(field)) {
            errors[`fields.${field}`] = [`is not a field of schema ${schema.name}`];
            continue;
          }
          const currentValue = current.fields[field]?.value ?? null;
          const value = patch === null ? null : mergePatch(currentValue, patch);
          const fieldErrors = validateField(schema.name, field, value);
          if (fieldErrors.length > 0) errors[`fields.${field}`] = fieldErrors;
          else values[field] = value;
        }
        const decided = current.status === 'approved' || current.status === 'rejected';
        const reason = sanitiseText(input.change_reason);
        if (decided && !reason) {
          errors.change_reason = [`is required to edit a booking sheet that was ${current.status}; the edit reopens it`];
        }
        if (Object.keys(errors).length > 0) throw validationError(errors, 'Some fields are not valid; nothing was changed');

        const at = now.toISOString();
        const fields: Record<string, SheetField> = { ...current.fields };
        for (const [field, value] of Object.entries(values)) {
          const old = current.fields[field];
          if (old && old.source === 'manual' && canonicalJson(old.value) === canonicalJson(value)) continue;
          fields[field] = {
            value,
            source: 'manual',
            confidence: null,
            evidence: [],
            engine: null,
            needs_review: false,
            review_reasons: [],
            validation_errors: [],
            extracted_value: old ? old.extracted_value : null,
            updated_by: actor,
            updated_at: at,
          };
        }
        const changes = diff(current.fields, fields, schema.fields);
        if (changes.length === 0) return undefined;
        // An edit after approval goes back to review; after rejection, back to the maker's draft.
        const status: SheetStatus = current.status === 'approved' ? 'in_review' : current.status === 'rejected' ? 'draft' : current.status;
        reopened = status !== current.status;
        const statusChanges: Partial<BookingSheetRecord> = reopened
          ? {
              status,
              decidedBy: null,
              decidedAt: null,
              decisionReason: null,
              ...(status === 'in_review' ? { submittedBy: actor, submittedAt: now } : { submittedBy: null, submittedAt: null }),
            }
          : {};
        return nextVersion(current, now, actor, 'edit', { fields, lastEditedBy: actor, lastEditedAt: now, ...statusChanges }, { changes, reason: reason?.slice(0, 2000) ?? null });
      });
      if (!history) return after;
      if (after.status !== before.status) await syncBooking(after, actor);
      await audit.record(meta, {
        action: 'booking_sheet.edit',
        outcome: 'success',
        targetType: 'booking_sheet',
        targetId: bookingId,
        details: { version: after.version, fields: history.changes.map((c) => c.field), ...(reopened ? { reopened_from: before.status } : {}) },
      });
      return after;
    },

    async versions(tenantId, bookingId, page) {
      await openBooking(tenantId, bookingId, false);
      await getSheet(tenantId, bookingId);
      return store.listVersions(tenantId, bookingId, page);
    },

    async submit(bookingId, ifMatch, meta) {
      const { tenantId, userId: actor } = meta.principal!;
      await openBooking(tenantId, bookingId, true);
      const { after } = await write(tenantId, bookingId, ifMatch, (current, now) => {
        if (current.status !== 'draft') {
          throw new AppError('INVALID_STATE', `Only a draft booking sheet can be submitted; this one is ${current.status}`, { details: { status: current.status } });
        }
        return nextVersion(current, now, actor, 'submit', { status: 'in_review', submittedBy: actor, submittedAt: now });
      });
      await syncBooking(after, actor);
      await audit.record(meta, { action: 'booking_sheet.submit', outcome: 'success', targetType: 'booking_sheet', targetId: bookingId, details: { version: after.version } });
      return after;
    },

    async approve(bookingId, ifMatch, meta) {
      const { tenantId, userId: actor } = meta.principal!;
      await openBooking(tenantId, bookingId, true);
      const { after } = await write(tenantId, bookingId, ifMatch, (current, now) => {
        if (current.status !== 'in_review') {
          throw new AppError('INVALID_STATE', `Only a booking sheet in review can be approved; this one is ${current.status}`, { details: { status: current.status } });
        }
        if (current.lastEditedBy === actor) {
          throw new AppError('MAKER_CHECKER_VIOLATION', 'You made the last edit of this booking sheet; another approver must approve it', {
            details: { last_edited_by: current.lastEditedBy },
          });
        }
        const validation = validateSheet(current.schemaName, current.fields);
        if (!validation.approvable) {
          const fieldErrors: FieldErrors = {};
          for (const i of validation.issues.filter((x) => x.severity === 'error')) {
            for (const f of i.fields.slice(0, 1)) (fieldErrors[`fields.${f}`] ??= []).push(i.message);
          }
          throw new AppError('VALIDATION_FAILED', `The booking sheet has ${validation.error_count} blocking validation error(s); fix them before approval`, {
            fieldErrors,
            details: { error_count: validation.error_count },
          });
        }
        return nextVersion(current, now, actor, 'approve', { status: 'approved', decidedBy: actor, decidedAt: now, decisionReason: null });
      }).catch(async (err: unknown) => {
        if (isAppError(err) && err.code === 'MAKER_CHECKER_VIOLATION') {
          await audit.record(meta, { action: 'booking_sheet.approve', outcome: 'denied', targetType: 'booking_sheet', targetId: bookingId, details: { reason: 'maker_checker' } });
        }
        throw err;
      });
      await syncBooking(after, actor);
      await audit.record(meta, { action: 'booking_sheet.approve', outcome: 'success', targetType: 'booking_sheet', targetId: bookingId, details: { version: after.version } });
      return after;
    },

    async reject(bookingId, rawReason, ifMatch, meta) {
      const { tenantId, userId: actor } = meta.principal!;
      const reason = cleanReason(rawReason, 'reason');
      await openBooking(tenantId, bookingId, true);
      const { after } = await write(tenantId, bookingId, ifMatch, (current, now) => {
        if (current.status !== 'in_review') {
          throw new AppError('INVALID_STATE', `Only a booking sheet in review can be rejected; this one is ${current.status}`, { details: { status: current.status } });
        }
        return nextVersion(current, now, actor, 'reject', { status: 'rejected', decidedBy: actor, decidedAt: now, decisionReason: reason }, { reason });
      });
      await syncBooking(after, actor);
      await audit.record(meta, { action: 'booking_sheet.reject', outcome: 'success', targetType: 'booking_sheet', targetId: bookingId, details: { version: after.version } });
      return after;
    },

    async reopen(bookingId, rawReason, ifMatch, meta) {
      const { tenantId, userId: actor } = meta.principal!;
      const reason = cleanReason(rawReason, 'reason');
      await openBooking(tenantId, bookingId, true);
      let from: SheetStatus = 'draft';
      const { after } = await write(tenantId, bookingId, ifMatch, (current, now) => {
        if (current.status !== 'approved' && current.status !== 'rejected') {
          throw new AppError('INVALID_STATE', `Only an approved or rejected booking sheet can be reopened; this one is ${current.status}`, { details: { status: current.status } });
        }
        from = current.status;
        return nextVersion(
          current,
          now,
          actor,
          'reopen',
          { status: 'draft', submittedBy: null, submittedAt: null, decidedBy: null, decidedAt: null, decisionReason: null },
          { reason },
        );
      });
      await syncBooking(after, actor);
      await audit.record(meta, { action: 'booking_sheet.reopen', outcome: 'success', targetType: 'booking_sheet', targetId: bookingId, details: { version: after.version, from } });
      return after;
    },

    async exportSheet(bookingId, format, meta) {
      const tenantId = meta.principal!.tenantId;
      const booking = await openBooking(tenantId, bookingId, false);
      const sheet = await getSheet(tenantId, bookingId);
      await audit.record(meta, { action: 'booking_sheet.export', outcome: 'success', targetType: 'booking_sheet', targetId: bookingId, details: { version: sheet.version, format } });
      return { sheet, booking };
    },

    async reviewQueue(tenantId, page) {
      const rows = await store.listByStatus(tenantId, 'in_review', { limit: page.limit + 1, after: page.after });
      const hasMore = rows.length > page.limit;
      const pageRows = hasMore ? rows.slice(0, page.limit) : rows;
      const items: ReviewQueueItem[] = [];
      for (const sheet of pageRows) {
        try {
          items.push({ sheet, booking: await bookings.get(tenantId, sheet.bookingId) });
        } catch (err) {
          // A deleted booking's sheet is not work for anyone.
          if (!(isAppError(err) && err.code === 'LOAN_BOOKING_NOT_FOUND')) throw err;
        }
      }
      return { items, last: pageRows[pageRows.length - 1], hasMore };
    },
  };
}

