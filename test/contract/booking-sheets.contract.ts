import { describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import type {
  BookingSheetRecord,
  SheetField,
  SheetStatus,
  SheetValidation,
  SheetVersionRecord,
} from '../../src/modules/booking-sheets/booking-sheets.store.js';
import type { LoanBookingRecord } from '../../src/modules/loan-bookings/loan-bookings.store.js';
import { at, newTenant, type ContractBackend } from './harness.js';

const VALID: SheetValidation = { approvable: true, error_count: 0, warning_count: 0, issues: [] };

const field = (value: unknown, source: 'extracted' | 'manual' = 'extracted'): SheetField => ({
  value,
  source,
  confidence: source === 'extracted' ? 0.9 : null,
  evidence: source === 'extracted' ? [{ document_id: 'doc-1', page: 1, quote: 'New York', start: 4, end: 12 }] : [],
  engine: source === 'extracted' ? 'rules' : null,
  needs_review: false,
  review_reasons: [],
  validation_errors: [],
  extracted_value: source === 'extracted' ? value : null,
  updated_by: 'maker',
  updated_at: at(0).toISOString(),
});

function bookingRecord(tenantId: string): LoanBookingRecord {
  return {
    id: newId(),
    tenantId,
    customerName: 'Acme Holdings Ltd',
    productId: 'term-loans',
    externalReference: null,
    notes: null,
    status: 'draft',
    version: 1,
    createdBy: 'user-1',
    createdAt: at(0),
    updatedBy: 'user-1',
    updatedAt: at(0),
    deletedAt: null,
    deletedBy: null,
    sync: { state: 'not_started', jobId: null, error: null, updatedAt: null },
  };
}

function sheetRecord(tenantId: string, bookingId: string, overrides: Partial<BookingSheetRecord> = {}): BookingSheetRecord {
  return {
    tenantId,
    bookingId,
    id: newId(),
    schemaName: 'credit_agreement',
    schemaVersion: '1.0.0',
    sourceRunId: newId(),
    status: 'draft',
    version: 1,
    fields: { governing_law: field('New York'), borrower_names: field(['Acme Holdings Ltd']) },
    validation: VALID,
    createdBy: 'maker',
    createdAt: at(0),
    updatedBy: 'maker',
    updatedAt: at(0),
    lastEditedBy: 'maker',
    lastEditedAt: at(0),
    statusChangedAt: at(0),
    submittedBy: null,
    submittedAt: null,
    decidedBy: null,
    decidedAt: null,
    decisionReason: null,
    ...overrides,
  };
}

function historyOf(sheet: BookingSheetRecord, overrides: Partial<SheetVersionRecord> = {}): SheetVersionRecord {
  return {
    tenantId: sheet.tenantId,
    bookingId: sheet.bookingId,
    version: sheet.version,
    sheetId: sheet.id,
    action: sheet.version === 1 ? 'create' : 'edit',
    status: sheet.status,
    changes: [],
    reason: null,
    sourceRunId: sheet.sourceRunId,
    validation: sheet.validation,
    actor: sheet.updatedBy,
    at: sheet.updatedAt,
    ...overrides,
  };
}

/** The next version of a sheet with one field edited by `actor`. */
function edited(sheet: BookingSheetRecord, actor: string, law: string, offsetMs: number): BookingSheetRecord {
  return {
    ...sheet,
    version: sheet.version + 1,
    fields: { ...sheet.fields, governing_law: field(law, 'manual') },
    updatedBy: actor,
    updatedAt: at(offsetMs),
    lastEditedBy: actor,
    lastEditedAt: at(offsetMs),
  };
}

export function bookingSheetStoreContract(backend: ContractBackend): void {
  const sheets = () => backend.stores.bookingSheets;

  async function newBooking(tenantId = newTenant()): Promise<{ tenantId: string; bookingId: string }> {
    const b = await backend.stores.loanBookings.create(bookingRecord(tenantId));
    return { tenantId, bookingId: b.id };
  }

  describe('BookingSheetStore', () => {
    it('creates version 1 with its history row and reads it back, only in its own tenant', async () => {
      const { tenantId, bookingId } = await newBooking();
      const sheet = sheetRecord(tenantId, bookingId);
      expect(await sheets().createSheet(sheet, historyOf(sheet))).toEqual({ ok: true, record: sheet });
      expect(await sheets().findSheet(tenantId, bookingId)).toEqual(sheet);
      expect(await sheets().findSheet(newTenant(), bookingId)).toBeUndefined();
      expect(await sheets().listVersions(tenantId, bookingId, { limit: 10 })).toEqual([historyOf(sheet)]);
      expect(await sheets().listVersions(newTenant(), bookingId, { limit: 10 })).toEqual([]);
    });

    it('refuses a second sheet for a booking and keeps the first', async () => {
      const { tenantId, bookingId } = await newBooking();
      const first = sheetRecord(tenantId, bookingId);
      await sheets().createSheet(first, historyOf(first));
      const second = sheetRecord(tenantId, bookingId, { createdBy: 'someone-else' });
      expect(await sheets().createSheet(second, historyOf(second))).toEqual({ ok: false, reason: 'exists', current: first });
      expect(await sheets().listVersions(tenantId, bookingId, { limit: 10 })).toHaveLength(1);
    });

    it('lets exactly one of several concurrent creates win', async () => {
      const { tenantId, bookingId } = await newBooking();
      const candidates = Array.from({ length: 5 }, (_, i) => sheetRecord(tenantId, bookingId, { createdBy: `maker-${i}` }));
      const results = await Promise.all(candidates.map((s) => sheets().createSheet(s, historyOf(s))));
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      for (const r of results.filter((x) => !x.ok)) expect(r).toMatchObject({ ok: false, reason: 'exists' });
      expect(await sheets().findSheet(tenantId, bookingId)).toEqual(winners[0]!.ok && winners[0]!.record);
      expect(await sheets().listVersions(tenantId, bookingId, { limit: 10 })).toHaveLength(1);
    });

    it('updates only over the version read, appending one history row per version', async () => {
      const { tenantId, bookingId } = await newBooking();
      const v1 = sheetRecord(tenantId, bookingId);
      await sheets().createSheet(v1, historyOf(v1));
      const v2 = edited(v1, 'editor', 'Delaware', 1000);
      const change = { field: 'governing_law', from: 'New York', to: 'Delaware', from_source: 'extracted' as const, to_source: 'manual' as const };
      const h2 = historyOf(v2, { changes: [change], reason: 'typo' });
      expect(await sheets().updateSheetIfVersion(1, v2, h2)).toEqual({ ok: true, record: v2 });
      expect(await sheets().findSheet(tenantId, bookingId)).toEqual(v2);

      // A writer still holding version 1 loses, and learns the current version.
      const stale = edited(v1, 'late', 'Texas', 2000);
      expect(await sheets().updateSheetIfVersion(1, stale, historyOf(stale))).toEqual({ ok: false, reason: 'version_mismatch', current: v2 });
      expect(await sheets().findSheet(tenantId, bookingId)).toEqual(v2);
      expect(await sheets().listVersions(tenantId, bookingId, { limit: 10 })).toEqual([h2, historyOf(v1)]);
    });

    it('reports a missing sheet, and never updates another tenant\'s', async () => {
      const { tenantId, bookingId } = await newBooking();
      const ghost = sheetRecord(tenantId, bookingId, { version: 2 });
      expect(await sheets().updateSheetIfVersion(1, ghost, historyOf(ghost))).toEqual({ ok: false, reason: 'not_found', current: undefined });
      const v1 = sheetRecord(tenantId, bookingId);
      await sheets().createSheet(v1, historyOf(v1));
      const foreign = { ...edited(v1, 'intruder', 'Nevada', 1000), tenantId: newTenant() };
      expect(await sheets().updateSheetIfVersion(1, foreign, historyOf(foreign))).toMatchObject({ ok: false, reason: 'not_found' });
      expect(await sheets().findSheet(tenantId, bookingId)).toEqual(v1);
    });

    it('lets exactly one of several concurrent updates of the same version win', async () => {
      const { tenantId, bookingId } = await newBooking();
      const v1 = sheetRecord(tenantId, bookingId);
      await sheets().createSheet(v1, historyOf(v1));
      const attempts = Array.from({ length: 6 }, (_, i) => edited(v1, `editor-${i}`, `State ${i}`, 1000 + i));
      const results = await Promise.all(attempts.map((s) => sheets().updateSheetIfVersion(1, s, historyOf(s))));
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      for (const r of results.filter((x) => !x.ok)) expect(r).toMatchObject({ ok: false, reason: 'version_mismatch' });
      const current = await sheets().findSheet(tenantId, bookingId);
      expect(current).toEqual(winners[0]!.ok && winners[0]!.record);
      const versions = await sheets().listVersions(tenantId, bookingId, { limit: 10 });
      expect(versions.map((v) => [v.version, v.actor])).toEqual([
        [2, current!.updatedBy],
        [1, 'maker'],
      ]);
    });

    it('refuses a history row that does not describe the written version', async () => {
      const { tenantId, bookingId } = await newBooking();
      const v1 = sheetRecord(tenantId, bookingId);
      await expect(sheets().createSheet(v1, historyOf(v1, { version: 2 }))).rejects.toThrow();
      await sheets().createSheet(v1, historyOf(v1));
      const v3 = { ...edited(v1, 'x', 'Ohio', 1), version: 3 };
      await expect(sheets().updateSheetIfVersion(1, v3, historyOf(v3))).rejects.toThrow();
      expect(await sheets().findSheet(tenantId, bookingId)).toEqual(v1);
    });

    it('pages through versions newest first', async () => {
      const { tenantId, bookingId } = await newBooking();
      let sheet = sheetRecord(tenantId, bookingId);
      await sheets().createSheet(sheet, historyOf(sheet));
      for (let i = 0; i < 4; i++) {
        const next = edited(sheet, 'editor', `State ${i}`, 1000 * (i + 1));
        const r = await sheets().updateSheetIfVersion(sheet.version, next, historyOf(next));
        if (!r.ok) throw new Error('update failed');
        sheet = r.record;
      }
      const first = await sheets().listVersions(tenantId, bookingId, { limit: 2 });
      expect(first.map((v) => v.version)).toEqual([5, 4]);
      const second = await sheets().listVersions(tenantId, bookingId, { limit: 2, beforeVersion: 4 });
      expect(second.map((v) => v.version)).toEqual([3, 2]);
      const last = await sheets().listVersions(tenantId, bookingId, { limit: 2, beforeVersion: 2 });
      expect(last.map((v) => v.version)).toEqual([1]);
    });

    it('lists sheets of one status, longest waiting first, with a cursor, per tenant', async () => {
      const tenantId = newTenant();
      const made: BookingSheetRecord[] = [];
      const statuses: SheetStatus[] = ['in_review', 'draft', 'in_review', 'in_review', 'approved', 'in_review'];
      // Two sheets share a status change instant: the booking id breaks the tie.
      const changedAt = [3000, 0, 1000, 1000, 0, 5000];
      for (let i = 0; i < statuses.length; i++) {
        const { bookingId } = await newBooking(tenantId);
        const s = sheetRecord(tenantId, bookingId, { status: statuses[i]!, statusChangedAt: at(changedAt[i]!) });
        await sheets().createSheet(s, historyOf(s));
        made.push(s);
      }
      const otherTenant = await newBooking();
      const foreign = sheetRecord(otherTenant.tenantId, otherTenant.bookingId, { status: 'in_review' });
      await sheets().createSheet(foreign, historyOf(foreign));

      const inReview = made.filter((s) => s.status === 'in_review');
      const expected = [...inReview]
        .sort((a, b) => a.statusChangedAt.getTime() - b.statusChangedAt.getTime() || (a.bookingId < b.bookingId ? -1 : 1))
        .map((s) => s.bookingId);
      const page1 = await sheets().listByStatus(tenantId, 'in_review', { limit: 2 });
      expect(page1.map((s) => s.bookingId)).toEqual(expected.slice(0, 2));
      const lastOf1 = page1[1]!;
      const page2 = await sheets().listByStatus(tenantId, 'in_review', {
        limit: 2,
        after: { statusChangedAt: lastOf1.statusChangedAt, bookingId: lastOf1.bookingId },
      });
      expect(page2.map((s) => s.bookingId)).toEqual(expected.slice(2, 4));
      expect((await sheets().listByStatus(tenantId, 'approved', { limit: 10 })).map((s) => s.bookingId)).toEqual([made[4]!.bookingId]);
      expect(await sheets().listByStatus(newTenant(), 'in_review', { limit: 10 })).toEqual([]);
    });

    it('counts sheets by status', async () => {
      const before = await sheets().countByStatus();
      const { tenantId, bookingId } = await newBooking();
      const s = sheetRecord(tenantId, bookingId, { status: 'rejected' });
      await sheets().createSheet(s, historyOf(s));
      const after = await sheets().countByStatus();
      expect(after.rejected).toBe(before.rejected + 1);
      expect(after.draft).toBe(before.draft);
      expect(Object.keys(after).sort()).toEqual(['approved', 'draft', 'in_review', 'rejected']);
    });
  });
}
