import { describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import {
  BOOKING_STATUSES,
  customerNameKey,
  type BookingStatus,
  type LoanBookingFilters,
  type LoanBookingRecord,
} from '../../src/modules/loan-bookings/loan-bookings.store.js';
import { at, descending, newTenant, type ContractBackend } from './harness.js';

function booking(tenantId: string, overrides: Partial<LoanBookingRecord> = {}): LoanBookingRecord {
  return {
    id: newId(),
    tenantId,
    customerName: 'Acme Holdings Ltd',
    productId: 'prod-term-loan',
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
    ...overrides,
  };
}

/** A small deterministic PRNG, so a failing sequence can be replayed from its seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = [
  'Acme Holdings',
  'acme corp',
  'Ácme Intl',
  'Beta Foods',
  'Bêta Logistics',
  'Gamma & Sons',
  'gamma_ltd',
  '100% Capital',
];
const PRODUCTS = ['prod-term-loan', 'prod-revolver', 'prod-bridge'];

export function loanBookingStoreContract(backend: ContractBackend): void {
  const store = () => backend.stores.loanBookings;

  /** 24 bookings with ids in creation order, spread over names, products, statuses, creators and days. */
  async function seed(tenantId: string, count = 24): Promise<LoanBookingRecord[]> {
    const start = Date.now();
    const out: LoanBookingRecord[] = [];
    for (let i = 0; i < count; i++) {
      const rec = booking(tenantId, {
        id: newId(start + i),
        customerName: NAMES[i % NAMES.length]!,
        productId: PRODUCTS[i % 3]!,
        status: BOOKING_STATUSES[i % 4]!,
        createdBy: i % 5 === 0 ? 'user-2' : 'user-1',
        createdAt: at(i * 3600_000),
        updatedAt: at(i * 3600_000),
      });
      out.push(await store().create(rec));
    }
    return out;
  }

  function expected(records: LoanBookingRecord[], f: LoanBookingFilters): string[] {
    return descending(
      records
        .filter(
          (r) =>
            (f.deleted ? r.deletedAt !== null : r.deletedAt === null) &&
            (!f.productId || r.productId === f.productId) &&
            (!f.status || r.status === f.status) &&
            (!f.customerNamePrefix || customerNameKey(r.customerName).startsWith(f.customerNamePrefix)) &&
            (!f.createdFrom || r.createdAt >= f.createdFrom) &&
            (!f.createdTo || r.createdAt < f.createdTo) &&
            (!f.createdBy || r.createdBy === f.createdBy),
        )
        .map((r) => r.id),
    );
  }

  async function pageThrough(tenantId: string, f: LoanBookingFilters, limit: number): Promise<string[]> {
    const seen: string[] = [];
    let beforeId: string | undefined;
    for (let guard = 0; guard < 100; guard++) {
      const page = await store().list(tenantId, f, { limit, beforeId });
      seen.push(...page.map((r) => r.id));
      if (page.length < limit) return seen;
      beforeId = page[page.length - 1]!.id;
    }
    throw new Error('pagination did not end');
  }

  describe('LoanBookingStore: create and find', () => {
    it('stores every field and reads it back', async () => {
      const t = newTenant();
      const rec = booking(t, {
        externalReference: 'EXT-42',
        notes: 'Línea de crédito — revisar',
        sync: { state: 'failed', jobId: 'job-1', error: 'timeout', updatedAt: at(500) },
      });
      const created = await store().create(rec);
      expect(created).toEqual(rec);
      expect(await store().find(t, rec.id)).toEqual(rec);
      expect(await store().find(t, newId())).toBeUndefined();
    });

    it('hides a booking from another tenant in find, list, update, transition, delete and sync', async () => {
      const a = newTenant();
      const b = newTenant();
      const rec = await store().create(booking(a));
      expect(await store().find(b, rec.id)).toBeUndefined();
      expect(await store().find(b, rec.id, { includeDeleted: true })).toBeUndefined();
      expect(await store().list(b, {}, { limit: 10 })).toEqual([]);
      expect(await store().list(b, { productId: rec.productId }, { limit: 10 })).toEqual([]);
      expect(await store().list(b, { status: rec.status }, { limit: 10 })).toEqual([]);
      expect(await store().update(b, rec.id, 1, { notes: 'x' }, 'mallory', at(1))).toEqual({
        ok: false,
        reason: 'not_found',
      });
      expect(await store().update(b, rec.id, undefined, { notes: 'x' }, 'mallory', at(1))).toEqual({
        ok: false,
        reason: 'not_found',
      });
      expect(await store().transition(b, rec.id, 'approved', undefined, 'mallory', at(1))).toEqual({
        ok: false,
        reason: 'not_found',
      });
      expect(await store().softDelete(b, rec.id, undefined, 'mallory', at(1))).toEqual({
        ok: false,
        reason: 'not_found',
      });
      expect(
        await store().setSyncStatus(b, rec.id, {
          state: 'indexed',
          jobId: null,
          error: null,
          updatedAt: at(1),
        }),
      ).toBeUndefined();
      expect(await store().statusBreakdown(b, rec.productId)).toEqual({});
      expect(await store().find(a, rec.id)).toEqual(rec);
    });
  });

  describe('LoanBookingStore: list', () => {
    it('lists live bookings newest first, in stable pages without gaps or duplicates', async () => {
      const t = newTenant();
      const records = await seed(t);
      const all = expected(records, {});
      expect(all).toHaveLength(24);
      expect((await store().list(t, {}, { limit: 100 })).map((r) => r.id)).toEqual(all);
      for (const limit of [1, 5, 24, 25]) expect(await pageThrough(t, {}, limit)).toEqual(all);
    });

    it('keeps pages stable while bookings are added and deleted between them', async () => {
      const t = newTenant();
      const records = await seed(t, 12);
      const all = descending(records.map((r) => r.id));
      const first = await store().list(t, {}, { limit: 5 });
      expect(first.map((r) => r.id)).toEqual(all.slice(0, 5));
      // A newer booking and a deleted one on a later page must neither shift nor repeat rows.
      await store().create(booking(t));
      const gone = records[2]!;
      expect((await store().softDelete(t, gone.id, undefined, 'user-1', at(1))).ok).toBe(true);
      const second: string[] = [];
      let beforeId = first[first.length - 1]!.id;
      for (;;) {
        const page = await store().list(t, {}, { limit: 5, beforeId });
        second.push(...page.map((r) => r.id));
        if (page.length < 5) break;
        beforeId = page[page.length - 1]!.id;
      }
      const remaining = all.slice(5).filter((id) => id !== gone.id);
      expect(second).toEqual(remaining);
    });

    it('applies every filter, alone and combined, on every page', async () => {
      const t = newTenant();
      const records = await seed(t);
      // Some deleted bookings, so that live and deleted lists both have content.
      for (const r of [records[1]!, records[4]!, records[9]!, records[13]!]) {
        const res = await store().softDelete(t, r.id, undefined, 'admin-1', at(99));
        expect(res.ok).toBe(true);
        if (res.ok) records[records.indexOf(r)] = res.record;
      }
      const filters: LoanBookingFilters[] = [
        { productId: 'prod-revolver' },
        { status: 'processing' },
        { productId: 'prod-term-loan', status: 'draft' },
        { productId: 'prod-bridge', status: 'approved' },
        { customerNamePrefix: 'acme' },
        { customerNamePrefix: 'ácme' },
        { customerNamePrefix: 'bêta l' },
        { customerNamePrefix: 'gamma_' },
        { customerNamePrefix: '100%' },
        { customerNamePrefix: 'zzz' },
        { createdFrom: at(5 * 3600_000) },
        { createdTo: at(7 * 3600_000) },
        { createdFrom: at(3 * 3600_000), createdTo: at(20 * 3600_000) },
        { createdBy: 'user-2' },
        { productId: 'prod-revolver', customerNamePrefix: 'a' },
        { status: 'draft', createdBy: 'user-1', createdFrom: at(2 * 3600_000) },
        { deleted: true },
        { deleted: true, productId: 'prod-revolver' },
        { deleted: true, status: 'documents_received' },
        { deleted: true, customerNamePrefix: 'bêta' },
        { productId: 'prod-unknown' },
      ];
      for (const f of filters) {
        const want = expected(records, f);
        const label = JSON.stringify(f);
        expect(want.length, label).toBeLessThan(20);
        expect(
          (await store().list(t, f, { limit: 100 })).map((r) => r.id),
          label,
        ).toEqual(want);
        expect(await pageThrough(t, f, 2), label).toEqual(want);
      }
      // The filters have content: an implementation that ignores a filter cannot pass.
      expect(expected(records, { customerNamePrefix: 'gamma_' })).not.toEqual([]);
      expect(expected(records, { deleted: true, productId: 'prod-revolver' })).not.toEqual([]);
    });

    it('keeps tenants and filters exact whatever characters their ids contain', async () => {
      const t = newTenant();
      const tricky = `${t}#PRODUCT#prod-term-loan`;
      const plain = await store().create(booking(t, { productId: 'p', status: 'draft' }));
      const odd = await store().create(booking(t, { productId: 'p#STATUS#draft', status: 'booked' }));
      const other = await store().create(booking(tricky, { productId: 'prod-term-loan' }));
      expect(
        (await store().list(t, { productId: 'p', status: 'draft' }, { limit: 10 })).map((r) => r.id),
      ).toEqual([plain.id]);
      expect(
        (await store().list(t, { productId: 'p#STATUS#draft' }, { limit: 10 })).map((r) => r.id),
      ).toEqual([odd.id]);
      expect(await store().statusBreakdown(t, 'p')).toEqual({ draft: 1 });
      expect(await store().statusBreakdown(t, 'p#STATUS#draft')).toEqual({ booked: 1 });
      expect((await store().list(tricky, {}, { limit: 10 })).map((r) => r.id)).toEqual([other.id]);
      expect(await store().list(t, { productId: 'prod-term-loan' }, { limit: 10 })).toEqual([]);
      expect(await store().find(t, other.id)).toBeUndefined();
    });

    it('follows a booking across lists when its product or status changes', async () => {
      const t = newTenant();
      const rec = await store().create(booking(t, { productId: 'prod-term-loan', status: 'draft' }));
      await store().update(t, rec.id, 1, { productId: 'prod-bridge', status: 'processing' }, 'user-1', at(1));
      expect(await store().list(t, { productId: 'prod-term-loan' }, { limit: 10 })).toEqual([]);
      expect(await store().list(t, { status: 'draft' }, { limit: 10 })).toEqual([]);
      expect(
        (await store().list(t, { productId: 'prod-bridge', status: 'processing' }, { limit: 10 })).map(
          (r) => r.id,
        ),
      ).toEqual([rec.id]);
      await store().update(t, rec.id, 2, { customerName: 'Zeta Group' }, 'user-1', at(2));
      expect(await store().list(t, { customerNamePrefix: 'acme' }, { limit: 10 })).toEqual([]);
      expect(
        (await store().list(t, { customerNamePrefix: 'zeta' }, { limit: 10 })).map((r) => r.version),
      ).toEqual([3]);
    });
  });

  describe('LoanBookingStore: compare-and-set updates', () => {
    it('applies a patch at the expected version, bumping the version', async () => {
      const t = newTenant();
      const rec = await store().create(booking(t, { externalReference: 'A', notes: 'n' }));
      const res = await store().update(
        t,
        rec.id,
        1,
        { customerName: 'New Name', externalReference: null, notes: 'changed' },
        'user-9',
        at(60_000),
      );
      expect(res).toEqual({
        ok: true,
        record: {
          ...rec,
          customerName: 'New Name',
          externalReference: null,
          notes: 'changed',
          version: 2,
          updatedBy: 'user-9',
          updatedAt: at(60_000),
        },
      });
      expect(await store().find(t, rec.id)).toEqual(res.ok ? res.record : undefined);
    });

    it('refuses a stale version, and applies without one', async () => {
      const t = newTenant();
      const rec = await store().create(booking(t));
      expect((await store().update(t, rec.id, 1, { notes: 'first' }, 'u', at(1))).ok).toBe(true);
      expect(await store().update(t, rec.id, 1, { notes: 'stale' }, 'u', at(2))).toEqual({
        ok: false,
        reason: 'version_mismatch',
      });
      expect(await store().update(t, rec.id, 7, { notes: 'future' }, 'u', at(2))).toEqual({
        ok: false,
        reason: 'version_mismatch',
      });
      const blind = await store().update(t, rec.id, undefined, { notes: 'blind' }, 'u', at(3));
      expect(blind.ok && blind.record).toMatchObject({ notes: 'blind', version: 3 });
      expect(await store().update(t, newId(), 1, { notes: 'x' }, 'u', at(3))).toEqual({
        ok: false,
        reason: 'not_found',
      });
    });

    it('lets exactly one of two concurrent updates at the same version win', async () => {
      const t = newTenant();
      const rec = await store().create(booking(t));
      for (let round = 1; round <= 3; round++) {
        const results = await Promise.all([
          store().update(t, rec.id, round, { notes: `a${round}` }, 'alice', at(round)),
          store().update(t, rec.id, round, { notes: `b${round}` }, 'bob', at(round)),
        ]);
        const winners = results.filter((r) => r.ok);
        expect(winners).toHaveLength(1);
        expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, reason: 'version_mismatch' }]);
        const stored = await store().find(t, rec.id);
        expect(stored?.version).toBe(round + 1);
        expect(stored?.notes).toBe(winners[0]!.ok ? winners[0]!.record.notes : undefined);
      }
    });

    it('applies every one of many concurrent updates without an expected version', async () => {
      const t = newTenant();
      const rec = await store().create(booking(t));
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          store().update(t, rec.id, undefined, { notes: `n${i}` }, 'u', at(i)),
        ),
      );
      expect(results.every((r) => r.ok)).toBe(true);
      expect((await store().find(t, rec.id))?.version).toBe(7);
    });

    it('transitions status only from an allowed status, bumping the version', async () => {
      const t = newTenant();
      const rec = await store().create(booking(t, { status: 'processing' }));
      expect(await store().transition(t, rec.id, 'approved', ['ready_for_review'], 'system', at(1))).toEqual({
        ok: false,
        reason: 'invalid_state',
      });
      const res = await store().transition(
        t,
        rec.id,
        'ready_for_review',
        ['processing', 'documents_received'],
        'system',
        at(2),
      );
      expect(res.ok && res.record).toMatchObject({
        status: 'ready_for_review',
        version: 2,
        updatedBy: 'system',
        updatedAt: at(2),
      });
      const any = await store().transition(t, rec.id, 'cancelled', undefined, 'system', at(3));
      expect(any.ok && any.record).toMatchObject({ status: 'cancelled', version: 3 });
      const emptyFrom = await store().transition(t, rec.id, 'draft', [], 'system', at(4));
      expect(emptyFrom.ok && emptyFrom.record).toMatchObject({ status: 'draft', version: 4 });
      expect(await store().transition(t, newId(), 'draft', undefined, 'system', at(4))).toEqual({
        ok: false,
        reason: 'not_found',
      });
    });

    it('lets exactly one of several racing guarded transitions win', async () => {
      const t = newTenant();
      const rec = await store().create(booking(t, { status: 'ready_for_review' }));
      const results = await Promise.all([
        store().transition(t, rec.id, 'approved', ['ready_for_review'], 'a', at(1)),
        store().transition(t, rec.id, 'rejected', ['ready_for_review'], 'b', at(1)),
        store().transition(t, rec.id, 'cancelled', ['ready_for_review'], 'c', at(1)),
      ]);
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok)).toEqual([
        { ok: false, reason: 'invalid_state' },
        { ok: false, reason: 'invalid_state' },
      ]);
      expect((await store().find(t, rec.id))?.version).toBe(2);
    });

    it('records sync status without touching the version, and not on a deleted booking', async () => {
      const t = newTenant();
      const rec = await store().create(booking(t));
      const sync = { state: 'pending' as const, jobId: 'job-7', error: null, updatedAt: at(10) };
      expect(await store().setSyncStatus(t, rec.id, sync)).toEqual({ ...rec, sync });
      const cleared = { state: 'indexed' as const, jobId: null, error: null, updatedAt: null };
      expect((await store().setSyncStatus(t, rec.id, cleared))?.sync).toEqual(cleared);
      // An edit after a sync change keeps the sync state.
      const edited = await store().update(t, rec.id, 1, { notes: 'x' }, 'u', at(11));
      expect(edited.ok && edited.record.sync).toEqual(cleared);
      expect((await store().find(t, rec.id))?.sync).toEqual(cleared);
      await store().softDelete(t, rec.id, undefined, 'u', at(12));
      expect(await store().setSyncStatus(t, rec.id, sync)).toBeUndefined();
      expect(await store().setSyncStatus(t, newId(), sync)).toBeUndefined();
    });
  });

  describe('LoanBookingStore: soft delete', () => {
    it('hides a deleted booking, lists it among deleted ones, and cannot delete it twice', async () => {
      const t = newTenant();
      const rec = await store().create(booking(t));
      const res = await store().softDelete(t, rec.id, 1, 'admin-1', at(5000));
      expect(res).toEqual({
        ok: true,
        record: {
          ...rec,
          deletedAt: at(5000),
          deletedBy: 'admin-1',
          version: 2,
          updatedBy: 'admin-1',
          updatedAt: at(5000),
        },
      });
      expect(await store().find(t, rec.id)).toBeUndefined();
      expect(await store().find(t, rec.id, { includeDeleted: true })).toEqual(
        res.ok ? res.record : undefined,
      );
      expect(await store().list(t, {}, { limit: 10 })).toEqual([]);
      expect(await store().list(t, { productId: rec.productId }, { limit: 10 })).toEqual([]);
      expect(await store().list(t, { status: rec.status }, { limit: 10 })).toEqual([]);
      expect((await store().list(t, { deleted: true }, { limit: 10 })).map((r) => r.id)).toEqual([rec.id]);
      expect(await store().softDelete(t, rec.id, 2, 'admin-1', at(6000))).toEqual({
        ok: false,
        reason: 'not_found',
      });
      expect(await store().softDelete(t, rec.id, undefined, 'admin-1', at(6000))).toEqual({
        ok: false,
        reason: 'not_found',
      });
      expect(await store().update(t, rec.id, 2, { notes: 'x' }, 'u', at(6000))).toEqual({
        ok: false,
        reason: 'not_found',
      });
      expect(await store().transition(t, rec.id, 'approved', undefined, 'u', at(6000))).toEqual({
        ok: false,
        reason: 'not_found',
      });
    });

    it('refuses a delete at a stale version', async () => {
      const t = newTenant();
      const rec = await store().create(booking(t));
      await store().update(t, rec.id, 1, { notes: 'x' }, 'u', at(1));
      expect(await store().softDelete(t, rec.id, 1, 'u', at(2))).toEqual({
        ok: false,
        reason: 'version_mismatch',
      });
      expect(await store().find(t, rec.id)).toBeDefined();
    });

    it('lets exactly one of several concurrent deletes win', async () => {
      const t = newTenant();
      const rec = await store().create(booking(t));
      const results = await Promise.all(
        Array.from({ length: 4 }, (_, i) => store().softDelete(t, rec.id, undefined, `admin-${i}`, at(i))),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'not_found')).toBe(true);
      expect(await store().statusBreakdown(t, rec.productId)).toEqual({});
    });
  });

  describe('LoanBookingStore: status breakdown', () => {
    it('counts live bookings per status for one product', async () => {
      const t = newTenant();
      const records = await seed(t);
      const want = (productId: string) => {
        const out: Partial<Record<BookingStatus, number>> = {};
        for (const r of records)
          if (r.productId === productId && !r.deletedAt) out[r.status] = (out[r.status] ?? 0) + 1;
        return out;
      };
      for (const p of PRODUCTS) expect(await store().statusBreakdown(t, p), p).toEqual(want(p));
      expect(await store().statusBreakdown(t, 'prod-none')).toEqual({});
    });

    it('stays exact across a long random sequence of creates, edits, transitions and deletes', async () => {
      const t = newTenant();
      const random = prng(20261126);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
      const model = new Map<string, LoanBookingRecord>();
      for (let step = 0; step < 120; step++) {
        const live = [...model.values()].filter((r) => !r.deletedAt);
        const op = live.length < 5 ? 0 : Math.floor(random() * 5);
        if (op === 0) {
          const rec = await store().create(
            booking(t, { productId: pick(PRODUCTS), status: pick(BOOKING_STATUSES) }),
          );
          model.set(rec.id, rec);
          continue;
        }
        const target = pick(live);
        const res =
          op === 1
            ? await store().update(t, target.id, target.version, { productId: pick(PRODUCTS) }, 'u', at(step))
            : op === 2
              ? await store().update(
                  t,
                  target.id,
                  undefined,
                  { status: pick(BOOKING_STATUSES), productId: pick(PRODUCTS) },
                  'u',
                  at(step),
                )
              : op === 3
                ? await store().transition(
                    t,
                    target.id,
                    pick(BOOKING_STATUSES),
                    [target.status],
                    'system',
                    at(step),
                  )
                : await store().softDelete(t, target.id, target.version, 'u', at(step));
        expect(res.ok, `step ${step}`).toBe(true);
        if (res.ok) model.set(res.record.id, res.record);
      }
      for (const p of PRODUCTS) {
        const want: Partial<Record<BookingStatus, number>> = {};
        for (const r of model.values())
          if (r.productId === p && !r.deletedAt) want[r.status] = (want[r.status] ?? 0) + 1;
        expect(await store().statusBreakdown(t, p), p).toEqual(want);
        // And it agrees with the bookings the store itself lists.
        const listed = await pageThrough(t, { productId: p }, 50);
        expect(listed.length, p).toBe(Object.values(want).reduce((a, b) => a + b, 0));
      }
    });

    it('stays exact under concurrent creates and transitions of one product', async () => {
      const t = newTenant();
      const created = await Promise.all(
        Array.from({ length: 12 }, () =>
          store().create(booking(t, { productId: 'prod-hot', status: 'draft' })),
        ),
      );
      expect(await store().statusBreakdown(t, 'prod-hot')).toEqual({ draft: 12 });
      const moves: BookingStatus[] = ['processing', 'approved', 'booked'];
      const results = await Promise.all(
        created.map((r, i) => store().transition(t, r.id, moves[i % 3]!, ['draft'], 'system', at(i))),
      );
      expect(results.every((r) => r.ok)).toBe(true);
      await Promise.all(created.slice(0, 3).map((r) => store().softDelete(t, r.id, undefined, 'u', at(99))));
      // created[0..2] were processing, approved, booked: one of each is gone.
      expect(await store().statusBreakdown(t, 'prod-hot')).toEqual({ processing: 3, approved: 3, booked: 3 });
    });
  });
}
