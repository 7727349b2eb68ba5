import { describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import type { FieldResult } from '../../src/modules/extraction/engine.js';
import type { ExtractionRunRecord, RunCompletion, RunTimings } from '../../src/modules/extraction/extraction.store.js';
import type { LoanBookingRecord } from '../../src/modules/loan-bookings/loan-bookings.store.js';
import { at, descending, newTenant, type ContractBackend } from './harness.js';

/** Ids whose order is the given order: one millisecond apart, oldest first. */
const orderedIds = (count: number, startMs = Date.now()): string[] => Array.from({ length: count }, (_, i) => newId(startMs + i));

const LEASE = 60_000;

const TIMINGS: RunTimings = { queued_ms: 12, load_ms: 3, extract_ms: 40, total_ms: 45 };

const FIELD: FieldResult = {
  value: { amount: '250000000.00', currency: 'USD' },
  confidence: 0.85,
  evidence: [{ document_id: 'doc-1', page: 2, quote: '$250,000,000', start: 10, end: 22 }],
  engine: 'rules',
  needs_review: false,
  review_reasons: [],
  validation_errors: [],
};

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

export function runRecord(tenantId: string, bookingId: string, overrides: Partial<ExtractionRunRecord> = {}): ExtractionRunRecord {
  return {
    id: newId(),
    tenantId,
    bookingId,
    schemaName: 'credit_agreement',
    schemaVersion: '1.0.0',
    engine: 'rules',
    engineUsed: null,
    documentIds: null,
    status: 'queued',
    attempts: 0,
    leaseToken: null,
    leaseExpiresAt: null,
    fields: null,
    warnings: [],
    usage: null,
    timings: null,
    documentCount: null,
    pageCount: null,
    errorCode: null,
    errorMessage: null,
    createdBy: 'user-1',
    createdAt: at(0),
    startedAt: null,
    finishedAt: null,
    ...overrides,
  };
}

const completion = (overrides: Partial<RunCompletion> = {}): RunCompletion => ({
  engineUsed: 'rules',
  fields: { total_commitment: FIELD },
  warnings: ['doc-2: no preamble found'],
  usage: { input_tokens: 1200, output_tokens: 300 },
  timings: TIMINGS,
  documentCount: 2,
  pageCount: 7,
  finishedAt: at(5000),
  ...overrides,
});

export function extractionRunStoreContract(backend: ContractBackend): void {
  const stores = () => backend.stores;
  const runs = () => backend.stores.extractionRuns;

  /** Runs reference a booking (a foreign key in SQL), so each case opens one first. */
  async function newBooking(tenantId = newTenant()): Promise<{ tenantId: string; bookingId: string }> {
    const b = await stores().loanBookings.create(bookingRecord(tenantId));
    return { tenantId, bookingId: b.id };
  }

  describe('ExtractionRunStore', () => {
    it('creates a queued run and reads it back whole, only in its own tenant', async () => {
      const { tenantId, bookingId } = await newBooking();
      const rec = runRecord(tenantId, bookingId, { documentIds: ['d-1', 'd-2'], engine: 'bedrock', schemaName: 'loan_booking_sheet' });
      expect(await runs().createRun(rec)).toEqual(rec);
      expect(await runs().findRun(tenantId, rec.id)).toEqual(rec);
      expect(await runs().findRun(newTenant(), rec.id)).toBeUndefined();
      expect(await runs().findRun(tenantId, newId())).toBeUndefined();
    });

    it('lists a booking\'s runs newest first with a cursor, and nothing of other bookings or tenants', async () => {
      const { tenantId, bookingId } = await newBooking();
      const other = await newBooking(tenantId);
      const ids = orderedIds(5);
      for (const id of ids) await runs().createRun(runRecord(tenantId, bookingId, { id }));
      await runs().createRun(runRecord(tenantId, other.bookingId));
      const first = await runs().listRuns(tenantId, bookingId, { limit: 3 });
      expect(first.map((r) => r.id)).toEqual(descending(ids).slice(0, 3));
      const rest = await runs().listRuns(tenantId, bookingId, { limit: 3, beforeId: first[2]!.id });
      expect(rest.map((r) => r.id)).toEqual(descending(ids).slice(3));
      expect(await runs().listRuns(newTenant(), bookingId, { limit: 10 })).toEqual([]);
    });

    it('claims a queued run once; a live lease refuses other claims, an expired one is taken over', async () => {
      const { tenantId, bookingId } = await newBooking();
      const rec = await runs().createRun(runRecord(tenantId, bookingId));
      const first = await runs().claimRun(tenantId, rec.id, at(1000), LEASE);
      expect(first.claimed).toBe(true);
      if (!first.claimed) return;
      expect(first.record).toMatchObject({ status: 'running', attempts: 1, leaseToken: first.token, startedAt: at(1000), leaseExpiresAt: at(1000 + LEASE) });

      const busy = await runs().claimRun(tenantId, rec.id, at(2000), LEASE);
      expect(busy).toEqual({ claimed: false, record: first.record });

      const takeover = await runs().claimRun(tenantId, rec.id, at(1000 + LEASE), LEASE);
      expect(takeover.claimed).toBe(true);
      if (!takeover.claimed) return;
      expect(takeover.token).not.toBe(first.token);
      expect(takeover.record.attempts).toBe(2);
      // The worker that lost its lease can no longer finish the run.
      expect(await runs().completeRun(tenantId, rec.id, first.token, completion())).toBeUndefined();
      expect(await runs().failRun(tenantId, rec.id, first.token, { errorCode: 'X', errorMessage: 'x', timings: null, finishedAt: at(3) })).toBeUndefined();
      expect(await runs().releaseRun(tenantId, rec.id, first.token)).toBe(false);
      expect((await runs().findRun(tenantId, rec.id))?.leaseToken).toBe(takeover.token);
    });

    it('lets exactly one of several concurrent claims win', async () => {
      const { tenantId, bookingId } = await newBooking();
      const rec = await runs().createRun(runRecord(tenantId, bookingId));
      const results = await Promise.all(Array.from({ length: 6 }, () => runs().claimRun(tenantId, rec.id, at(1000), LEASE)));
      expect(results.filter((r) => r.claimed)).toHaveLength(1);
      expect((await runs().findRun(tenantId, rec.id))?.attempts).toBe(1);
    });

    it('completes a run with its results, after which it never changes again', async () => {
      const { tenantId, bookingId } = await newBooking();
      const rec = await runs().createRun(runRecord(tenantId, bookingId));
      const claim = await runs().claimRun(tenantId, rec.id, at(1000), LEASE);
      if (!claim.claimed) throw new Error('not claimed');
      const done = await runs().completeRun(tenantId, rec.id, claim.token, completion());
      expect(done).toEqual({
        ...claim.record,
        status: 'succeeded',
        engineUsed: 'rules',
        fields: { total_commitment: FIELD },
        warnings: ['doc-2: no preamble found'],
        usage: { input_tokens: 1200, output_tokens: 300 },
        timings: TIMINGS,
        documentCount: 2,
        pageCount: 7,
        finishedAt: at(5000),
        leaseToken: null,
        leaseExpiresAt: null,
      });
      expect(await runs().findRun(tenantId, rec.id)).toEqual(done);
      // Finished: no second completion, no failure, no release, no claim even long after.
      expect(await runs().completeRun(tenantId, rec.id, claim.token, completion({ warnings: [] }))).toBeUndefined();
      expect(await runs().failRun(tenantId, rec.id, claim.token, { errorCode: 'X', errorMessage: 'x', timings: null, finishedAt: at(6000) })).toBeUndefined();
      expect(await runs().releaseRun(tenantId, rec.id, claim.token)).toBe(false);
      expect(await runs().claimRun(tenantId, rec.id, at(10 * LEASE), LEASE)).toEqual({ claimed: false, record: done });
    });

    it('fails a run with an error code, for good', async () => {
      const { tenantId, bookingId } = await newBooking();
      const rec = await runs().createRun(runRecord(tenantId, bookingId));
      const claim = await runs().claimRun(tenantId, rec.id, at(1000), LEASE);
      if (!claim.claimed) throw new Error('not claimed');
      const failed = await runs().failRun(tenantId, rec.id, claim.token, {
        errorCode: 'UPSTREAM_TIMEOUT',
        errorMessage: 'bedrock-runtime did not answer in time',
        timings: TIMINGS,
        finishedAt: at(9000),
      });
      expect(failed).toMatchObject({
        status: 'failed',
        errorCode: 'UPSTREAM_TIMEOUT',
        errorMessage: 'bedrock-runtime did not answer in time',
        timings: TIMINGS,
        finishedAt: at(9000),
        leaseToken: null,
        fields: null,
      });
      expect(await runs().completeRun(tenantId, rec.id, claim.token, completion())).toBeUndefined();
      expect((await runs().claimRun(tenantId, rec.id, at(10 * LEASE), LEASE)).claimed).toBe(false);
    });

    it('releases a running run back to the queue for a retry', async () => {
      const { tenantId, bookingId } = await newBooking();
      const rec = await runs().createRun(runRecord(tenantId, bookingId));
      const claim = await runs().claimRun(tenantId, rec.id, at(1000), LEASE);
      if (!claim.claimed) throw new Error('not claimed');
      expect(await runs().releaseRun(tenantId, rec.id, 'not-the-token')).toBe(false);
      expect(await runs().releaseRun(newTenant(), rec.id, claim.token)).toBe(false);
      expect(await runs().releaseRun(tenantId, rec.id, claim.token)).toBe(true);
      expect(await runs().findRun(tenantId, rec.id)).toMatchObject({ status: 'queued', leaseToken: null, leaseExpiresAt: null, attempts: 1 });
      const again = await runs().claimRun(tenantId, rec.id, at(1500), LEASE);
      expect(again.claimed && again.record.attempts).toBe(2);
    });

    it('never claims or finishes a run of another tenant', async () => {
      const { tenantId, bookingId } = await newBooking();
      const rec = await runs().createRun(runRecord(tenantId, bookingId));
      expect(await runs().claimRun(newTenant(), rec.id, at(1000), LEASE)).toEqual({ claimed: false, record: undefined });
      const claim = await runs().claimRun(tenantId, rec.id, at(1000), LEASE);
      if (!claim.claimed) throw new Error('not claimed');
      expect(await runs().completeRun(newTenant(), rec.id, claim.token, completion())).toBeUndefined();
      expect((await runs().findRun(tenantId, rec.id))?.status).toBe('running');
    });

    it('finds the newest succeeded run, of one schema when asked', async () => {
      const { tenantId, bookingId } = await newBooking();
      expect(await runs().latestSucceededRun(tenantId, bookingId)).toBeUndefined();
      const [a, b, c, d] = orderedIds(4);
      const finish = async (id: string, schemaName: string, outcome: 'succeeded' | 'failed' | 'queued') => {
        await runs().createRun(runRecord(tenantId, bookingId, { id, schemaName }));
        if (outcome === 'queued') return;
        const claim = await runs().claimRun(tenantId, id, at(1000), LEASE);
        if (!claim.claimed) throw new Error('not claimed');
        if (outcome === 'succeeded') await runs().completeRun(tenantId, id, claim.token, completion());
        else await runs().failRun(tenantId, id, claim.token, { errorCode: 'X', errorMessage: 'x', timings: null, finishedAt: at(2) });
      };
      await finish(a!, 'credit_agreement', 'succeeded');
      await finish(b!, 'loan_booking_sheet', 'succeeded');
      await finish(c!, 'credit_agreement', 'failed');
      await finish(d!, 'credit_agreement', 'queued');
      expect((await runs().latestSucceededRun(tenantId, bookingId))?.id).toBe(b);
      expect((await runs().latestSucceededRun(tenantId, bookingId, 'credit_agreement'))?.id).toBe(a);
      expect(await runs().latestSucceededRun(newTenant(), bookingId)).toBeUndefined();
    });
  });

  describe('ExtractionRunStore: maintenance', () => {
    it('lists runs queued too long, or running past their lease, oldest first, across tenants', async () => {
      // A time range no other case uses, so the result is this case's alone.
      const old = (ms: number) => new Date(Date.parse('1992-01-01T00:00:00.000Z') + ms);
      const since = (queuedMs: number, leaseMs = queuedMs) => ({ queuedBefore: old(queuedMs), leaseExpiredBy: old(leaseMs) });
      const ids = async (s: ReturnType<typeof since>, limit = 10) => (await runs().listStuckRuns(s, limit)).map((r) => r.id);
      const a = await newBooking();
      const b = await newBooking();
      const create = (owner: { tenantId: string; bookingId: string }, createdMs: number) =>
        runs().createRun(runRecord(owner.tenantId, owner.bookingId, { createdAt: old(createdMs) }));
      const r1 = await create(a, 3000);
      const r2 = await create(b, 1000);
      await create(a, 60_000);
      const leased = await create(b, 500);
      const succeeded = await create(a, 200);
      const failed = await create(b, 300);
      const claims = new Map<string, string>();
      for (const r of [leased, succeeded, failed]) {
        // Each lease ends at old(100) + LEASE.
        const claim = await runs().claimRun(r.tenantId, r.id, old(100), LEASE);
        if (!claim.claimed) throw new Error('not claimed');
        claims.set(r.id, claim.token);
      }
      await runs().completeRun(succeeded.tenantId, succeeded.id, claims.get(succeeded.id)!, completion());
      await runs().failRun(failed.tenantId, failed.id, claims.get(failed.id)!, { errorCode: 'X', errorMessage: 'x', timings: null, finishedAt: old(150) });

      expect(await ids(since(10_000))).toEqual([r2.id, r1.id]);
      expect(await ids(since(10_000), 1)).toEqual([r2.id]);
      // Once its lease is over (the worker died), the running run is stuck too; finished runs never are.
      expect(await ids(since(10_000, 100 + LEASE + 1))).toEqual([leased.id, r2.id, r1.id]);
      // Taken over under a new lease, it is not; released back to the queue, it waits by its creation time.
      const takeover = await runs().claimRun(leased.tenantId, leased.id, old(100 + LEASE + 1), LEASE);
      if (!takeover.claimed) throw new Error('not taken over');
      expect(await ids(since(10_000, 100 + LEASE + 2))).toEqual([r2.id, r1.id]);
      expect(await runs().releaseRun(leased.tenantId, leased.id, takeover.token)).toBe(true);
      expect(await ids(since(10_000))).toEqual([leased.id, r2.id, r1.id]);
      expect(await ids(since(400))).toEqual([]);
    });
  });
}
