import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import type {
  DocumentFilters,
  DocumentRecord,
  ProcessingResult,
} from '../../src/modules/documents/documents.store.js';
import type { LoanBookingRecord } from '../../src/modules/loan-bookings/loan-bookings.store.js';
import { at, descending, newTenant, randomSuffix, type ContractBackend } from './harness.js';

const LEASE = 60_000;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function bookingRecord(tenantId: string, overrides: Partial<LoanBookingRecord> = {}): LoanBookingRecord {
  return {
    id: newId(),
    tenantId,
    customerName: 'Acme Holdings Ltd',
    productId: 'prod-term-loan',
    externalReference: null,
    notes: null,
    status: 'documents_received',
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

function documentRecord(
  tenantId: string,
  bookingId: string,
  overrides: Partial<DocumentRecord> = {},
): DocumentRecord {
  const id = overrides.id ?? newId();
  return {
    id,
    tenantId,
    bookingId,
    fileName: `agreement-${randomSuffix()}.pdf`,
    contentType: 'application/pdf',
    kind: 'pdf',
    sizeBytes: 123_456,
    sha256: sha(`bytes of ${id}`),
    blobKey: `tenants/${tenantId}/documents/${id}`,
    status: 'uploaded',
    errorCode: null,
    errorMessage: null,
    pageCount: 3,
    ocrPages: null,
    documentType: null,
    documentTypeConfidence: null,
    uploadedBy: 'user-1',
    uploadedAt: at(0),
    processedAt: null,
    attempts: 0,
    leaseToken: null,
    leaseExpiresAt: null,
    deletedAt: null,
    ...overrides,
  };
}

const PAGE_ONE =
  'The Borrower shall repay the Loan in full on the Maturity Date. Interest accrues daily on the Loan at the agreed rate.';
const PAGE_TWO = 'Each Lender may assign its rights. The Agent shall notify the Borrower of any assignment.';
const PAGE_THREE = 'Governing law: this Agreement is governed by the laws of the State of New York.';

function processing(
  pages: string[] = [PAGE_ONE, PAGE_TWO, PAGE_THREE],
  overrides: Partial<ProcessingResult> = {},
): ProcessingResult {
  return {
    pages: pages.map((text, i) => ({ page: i + 1, text, method: i === 2 ? 'ocr' : 'text' })),
    // One passage per sentence, with offsets into its page, as the splitter makes them.
    passages: pages.flatMap((text, i) => {
      const out: { page: number; ordinal: number; start: number; end: number; text: string }[] = [];
      let start = 0;
      for (const sentence of text.split(/(?<=\.) /)) {
        out.push({ page: i + 1, ordinal: out.length, start, end: start + sentence.length, text: sentence });
        start += sentence.length + 1;
      }
      return out;
    }),
    pageCount: pages.length,
    ocrPages: 1,
    documentType: 'credit_agreement',
    documentTypeConfidence: 0.92,
    processedAt: at(9000),
    ...overrides,
  };
}

export function documentStoreContract(backend: ContractBackend): void {
  const store = () => backend.stores.documents;

  async function newBooking(
    tenantId = newTenant(),
    overrides: Partial<LoanBookingRecord> = {},
  ): Promise<LoanBookingRecord> {
    return backend.stores.loanBookings.create(bookingRecord(tenantId, overrides));
  }

  /** A document taken through claim and completion, with the given page texts. */
  async function processed(doc: DocumentRecord, pages?: string[]): Promise<DocumentRecord> {
    const claim = await store().claimForProcessing(doc.tenantId, doc.id, at(1000), LEASE);
    if (!claim.claimed) throw new Error('not claimed');
    expect(await store().completeProcessing(doc.tenantId, doc.id, claim.token, processing(pages))).toBe(true);
    return (await store().find(doc.tenantId, doc.id))!;
  }

  describe('DocumentStore: upload', () => {
    it('stores an upload and reads each document back, only in its own tenant', async () => {
      const b = await newBooking();
      const docs = [
        documentRecord(b.tenantId, b.id),
        documentRecord(b.tenantId, b.id, { kind: 'docx', pageCount: null }),
      ];
      const { created, duplicates } = await store().createDocuments(docs);
      expect(created).toEqual(docs);
      expect(duplicates.size).toBe(0);
      for (const d of docs) {
        expect(await store().find(b.tenantId, d.id)).toEqual(d);
        expect(await store().find(newTenant(), d.id)).toBeUndefined();
        expect(await store().findBySha256(b.tenantId, b.id, d.sha256)).toEqual(d);
      }
      expect(await store().findBySha256(newTenant(), b.id, docs[0]!.sha256)).toBeUndefined();
      expect(await store().find(b.tenantId, newId())).toBeUndefined();
    });

    it('returns the stored document for bytes the booking already has, also within one upload', async () => {
      const b = await newBooking();
      const first = documentRecord(b.tenantId, b.id);
      await store().createDocuments([first]);
      const again = documentRecord(b.tenantId, b.id, { sha256: first.sha256, fileName: 'copy.pdf' });
      const twinA = documentRecord(b.tenantId, b.id);
      const twinB = documentRecord(b.tenantId, b.id, { sha256: twinA.sha256 });
      const { created, duplicates } = await store().createDocuments([again, twinA, twinB]);
      expect(created.map((d) => d.id)).toEqual([twinA.id]);
      expect(duplicates.get(first.sha256)).toEqual(first);
      expect(duplicates.get(twinA.sha256)?.id).toBe(twinA.id);
      expect(await store().find(b.tenantId, again.id)).toBeUndefined();
      expect(await store().find(b.tenantId, twinB.id)).toBeUndefined();
      // Other bookings may hold the same bytes.
      const other = await newBooking(b.tenantId);
      const elsewhere = documentRecord(b.tenantId, other.id, { sha256: first.sha256 });
      expect((await store().createDocuments([elsewhere])).created).toEqual([elsewhere]);
    });

    it('stores the same bytes once when two uploads race', async () => {
      const b = await newBooking();
      const bytes = sha(`race ${randomSuffix()}`);
      const attempts = Array.from({ length: 4 }, () => documentRecord(b.tenantId, b.id, { sha256: bytes }));
      const results = await Promise.all(attempts.map((d) => store().createDocuments([d])));
      const created = results.flatMap((r) => r.created);
      expect(created).toHaveLength(1);
      for (const r of results)
        if (r.created.length === 0) expect(r.duplicates.get(bytes)?.id).toBe(created[0]!.id);
      expect((await store().bookingSummary(b.tenantId, b.id)).uploaded).toBe(1);
    });

    it('stores nothing of an upload when a document cannot be stored', async () => {
      const b = await newBooking();
      const good = documentRecord(b.tenantId, b.id);
      const orphan = documentRecord(b.tenantId, newId());
      await expect(store().createDocuments([good, orphan])).rejects.toThrow();
      expect(await store().find(b.tenantId, good.id)).toBeUndefined();
      expect((await store().createDocuments([good])).created).toEqual([good]);
    });
  });

  describe('DocumentStore: list', () => {
    async function seed(): Promise<{
      tenantId: string;
      docs: DocumentRecord[];
      bookings: LoanBookingRecord[];
    }> {
      const tenantId = newTenant();
      const bookings = [
        await newBooking(tenantId, { productId: 'prod-a' }),
        await newBooking(tenantId, { productId: 'prod-b' }),
        await newBooking(tenantId, { productId: 'prod-a' }),
      ];
      const start = Date.now();
      const docs: DocumentRecord[] = [];
      for (let i = 0; i < 12; i++) {
        const d = documentRecord(tenantId, bookings[i % 3]!.id, {
          id: newId(start + i),
          kind: i % 4 === 0 ? 'docx' : 'pdf',
          uploadedAt: at(i * 1000),
        });
        docs.push(d);
      }
      for (const b of bookings) await store().createDocuments(docs.filter((d) => d.bookingId === b.id));
      return { tenantId, docs, bookings };
    }

    async function pageThrough(tenantId: string, f: DocumentFilters, limit: number): Promise<string[]> {
      const seen: string[] = [];
      let beforeId: string | undefined;
      for (let guard = 0; guard < 100; guard++) {
        const page = await store().list(tenantId, f, { limit, beforeId });
        seen.push(...page.map((d) => d.id));
        if (page.length < limit) return seen;
        beforeId = page[page.length - 1]!.id;
      }
      throw new Error('pagination did not end');
    }

    it('lists live documents newest first, filtered, in pages without gaps or duplicates', async () => {
      const { tenantId, docs, bookings } = await seed();
      // One processed, one failed, one deleted, and the documents of a deleted booking.
      const done = await processed(docs[4]!);
      const claim = await store().claimForProcessing(tenantId, docs[5]!.id, at(1000), LEASE);
      if (!claim.claimed) throw new Error('not claimed');
      await store().failProcessing(
        tenantId,
        docs[5]!.id,
        claim.token,
        'UNPROCESSABLE_DOCUMENT',
        'encrypted',
        at(2000),
      );
      await store().softDelete(tenantId, docs[6]!.id, at(3000));
      const gone = await newBooking(tenantId, { productId: 'prod-a' });
      const orphaned = documentRecord(tenantId, gone.id, { id: newId(Date.now() + 100) });
      await store().createDocuments([orphaned]);
      await backend.stores.loanBookings.softDelete(tenantId, gone.id, undefined, 'admin', at(4000));

      const live = docs.filter((d) => d.id !== docs[6]!.id);
      const status = (d: DocumentRecord) =>
        d.id === done.id ? 'processed' : d.id === docs[5]!.id ? 'failed' : 'uploaded';
      const product = (d: DocumentRecord) => bookings.find((b) => b.id === d.bookingId)!.productId;
      const cases: [DocumentFilters, DocumentRecord[]][] = [
        [{}, live],
        [{ bookingId: bookings[1]!.id }, live.filter((d) => d.bookingId === bookings[1]!.id)],
        [{ productId: 'prod-a' }, live.filter((d) => product(d) === 'prod-a')],
        [{ status: 'uploaded' }, live.filter((d) => status(d) === 'uploaded')],
        [{ status: 'processed' }, [done]],
        [{ bookingId: bookings[2]!.id, status: 'failed' }, live.filter((d) => d.id === docs[5]!.id)],
        [{ kind: 'docx' }, live.filter((d) => d.kind === 'docx')],
        [{ documentType: 'credit_agreement' }, [done]],
        [
          { uploadedFrom: at(3000), uploadedTo: at(9000) },
          live.filter((d) => d.uploadedAt >= at(3000) && d.uploadedAt < at(9000)),
        ],
        [
          { productId: 'prod-b', kind: 'pdf' },
          live.filter((d) => product(d) === 'prod-b' && d.kind === 'pdf'),
        ],
        [{ bookingId: gone.id }, []],
      ];
      for (const [f, want] of cases) {
        const ids = descending(want.map((d) => d.id));
        const label = JSON.stringify(f);
        expect(
          (await store().list(tenantId, f, { limit: 100 })).map((d) => d.id),
          label,
        ).toEqual(ids);
        expect(await pageThrough(tenantId, f, 3), label).toEqual(ids);
      }
      expect(await store().list(newTenant(), {}, { limit: 10 })).toEqual([]);
      expect(await store().list(newTenant(), { bookingId: bookings[0]!.id }, { limit: 10 })).toEqual([]);
    });
  });

  describe('DocumentStore: processing', () => {
    it('claims once under a lease; a live lease refuses, an expired one is taken over', async () => {
      const b = await newBooking();
      const d = documentRecord(b.tenantId, b.id);
      await store().createDocuments([d]);
      const first = await store().claimForProcessing(b.tenantId, d.id, at(1000), LEASE);
      expect(first.claimed).toBe(true);
      if (!first.claimed) return;
      expect(first.record).toEqual({
        ...d,
        status: 'processing',
        attempts: 1,
        leaseToken: first.token,
        leaseExpiresAt: at(1000 + LEASE),
      });
      expect(await store().claimForProcessing(b.tenantId, d.id, at(1000 + LEASE), LEASE)).toEqual({
        claimed: false,
        record: first.record,
      });
      const second = await store().claimForProcessing(b.tenantId, d.id, at(1001 + LEASE), LEASE);
      expect(second.claimed && second.record.attempts).toBe(2);
      if (!second.claimed) return;
      // The first worker lost its lease: nothing it does lands.
      expect(
        await store().completeProcessing(b.tenantId, d.id, first.token, processing(['stale text'])),
      ).toBe(false);
      expect(await store().failProcessing(b.tenantId, d.id, first.token, 'X', 'x', at(1))).toBe(false);
      expect(await store().releaseProcessing(b.tenantId, d.id, first.token, 'x')).toBe(false);
      expect(await store().completeProcessing(b.tenantId, d.id, second.token, processing())).toBe(true);
      expect((await store().getPages(b.tenantId, d.id, { from: 1, limit: 10 })).map((p) => p.text)).toEqual([
        PAGE_ONE,
        PAGE_TWO,
        PAGE_THREE,
      ]);
      expect(await store().claimForProcessing(newTenant(), d.id, at(1), LEASE)).toEqual({
        claimed: false,
        record: undefined,
      });
    });

    it('lets exactly one of several concurrent claims win', async () => {
      const b = await newBooking();
      const d = documentRecord(b.tenantId, b.id);
      await store().createDocuments([d]);
      const results = await Promise.all(
        Array.from({ length: 5 }, () => store().claimForProcessing(b.tenantId, d.id, at(1000), LEASE)),
      );
      expect(results.filter((r) => r.claimed)).toHaveLength(1);
      expect((await store().find(b.tenantId, d.id))?.attempts).toBe(1);
    });

    it('completes with pages and passages, which read back in ranges', async () => {
      const b = await newBooking();
      const d = documentRecord(b.tenantId, b.id);
      await store().createDocuments([d]);
      const claim = await store().claimForProcessing(b.tenantId, d.id, at(1000), LEASE);
      if (!claim.claimed) throw new Error('not claimed');
      expect(await store().completeProcessing(b.tenantId, d.id, claim.token, processing())).toBe(true);
      expect(await store().find(b.tenantId, d.id)).toEqual({
        ...d,
        status: 'processed',
        pageCount: 3,
        ocrPages: 1,
        documentType: 'credit_agreement',
        documentTypeConfidence: 0.92,
        processedAt: at(9000),
        attempts: 1,
      });
      expect(await store().getPages(b.tenantId, d.id, { from: 2, limit: 1 })).toEqual([
        { page: 2, text: PAGE_TWO, method: 'text' },
      ]);
      expect(await store().getPages(b.tenantId, d.id, { from: 3, limit: 5 })).toEqual([
        { page: 3, text: PAGE_THREE, method: 'ocr' },
      ]);
      expect(await store().getPages(newTenant(), d.id, { from: 1, limit: 5 })).toEqual([]);
      // Finished: a second completion with the same token does nothing.
      expect(await store().completeProcessing(b.tenantId, d.id, claim.token, processing(['other']))).toBe(
        false,
      );
      expect(await store().claimForProcessing(b.tenantId, d.id, at(10 * LEASE), LEASE)).toMatchObject({
        claimed: false,
      });
    });

    it('fails for good, releases for a retry, and an admin resets a failed one', async () => {
      const b = await newBooking();
      const d = documentRecord(b.tenantId, b.id);
      await store().createDocuments([d]);
      const c1 = await store().claimForProcessing(b.tenantId, d.id, at(1000), LEASE);
      if (!c1.claimed) throw new Error('not claimed');
      expect(await store().releaseProcessing(b.tenantId, d.id, c1.token, 'Processing will be retried')).toBe(
        true,
      );
      expect(await store().find(b.tenantId, d.id)).toMatchObject({
        status: 'uploaded',
        errorMessage: 'Processing will be retried',
        leaseToken: null,
        attempts: 1,
      });
      expect(await store().resetForRetry(b.tenantId, d.id)).toBeUndefined();
      const c2 = await store().claimForProcessing(b.tenantId, d.id, at(2000), LEASE);
      if (!c2.claimed) throw new Error('not claimed');
      expect(
        await store().failProcessing(
          b.tenantId,
          d.id,
          c2.token,
          'UNPROCESSABLE_DOCUMENT',
          'The PDF is encrypted',
          at(3000),
        ),
      ).toBe(true);
      expect(await store().find(b.tenantId, d.id)).toMatchObject({
        status: 'failed',
        errorCode: 'UNPROCESSABLE_DOCUMENT',
        errorMessage: 'The PDF is encrypted',
        leaseToken: null,
        attempts: 2,
      });
      expect((await store().claimForProcessing(b.tenantId, d.id, at(4000), LEASE)).claimed).toBe(false);
      expect(await store().resetForRetry(newTenant(), d.id)).toBeUndefined();
      const reset = await store().resetForRetry(b.tenantId, d.id);
      expect(reset).toMatchObject({ status: 'uploaded', errorCode: null, errorMessage: null, attempts: 0 });
      expect(await store().find(b.tenantId, d.id)).toEqual(reset);
      expect((await store().claimForProcessing(b.tenantId, d.id, at(5000), LEASE)).claimed).toBe(true);
    });
  });

  describe('DocumentStore: delete', () => {
    it('hides a deleted document with its pages, frees its bytes, and cannot delete twice', async () => {
      const b = await newBooking();
      const d = await processed(
        (await store().createDocuments([documentRecord(b.tenantId, b.id)])).created[0]!,
      );
      expect(await store().softDelete(newTenant(), d.id, at(5000))).toBeUndefined();
      const deleted = await store().softDelete(b.tenantId, d.id, at(5000));
      expect(deleted).toEqual({ ...d, deletedAt: at(5000) });
      expect(await store().find(b.tenantId, d.id)).toBeUndefined();
      expect(await store().findBySha256(b.tenantId, b.id, d.sha256)).toBeUndefined();
      expect(await store().getPages(b.tenantId, d.id, { from: 1, limit: 10 })).toEqual([]);
      expect(await store().pagesForBooking(b.tenantId, b.id)).toEqual([]);
      expect(await store().search(b.tenantId, b.id, 'borrower', 10)).toEqual([]);
      expect(await store().liveDocumentIds([d.id])).toEqual(new Set());
      expect(await store().softDelete(b.tenantId, d.id, at(6000))).toBeUndefined();
      const again = documentRecord(b.tenantId, b.id, { sha256: d.sha256 });
      expect((await store().createDocuments([again])).created).toEqual([again]);
    });

    it('hides the documents of a deleted booking', async () => {
      const b = await newBooking();
      const d = await processed(
        (await store().createDocuments([documentRecord(b.tenantId, b.id)])).created[0]!,
      );
      await backend.stores.loanBookings.softDelete(b.tenantId, b.id, undefined, 'admin', at(5000));
      expect(await store().find(b.tenantId, d.id)).toBeUndefined();
      expect(await store().findBySha256(b.tenantId, b.id, d.sha256)).toBeUndefined();
      expect(await store().list(b.tenantId, { bookingId: b.id }, { limit: 10 })).toEqual([]);
      expect(await store().pagesForBooking(b.tenantId, b.id)).toEqual([]);
      expect(await store().search(b.tenantId, b.id, 'borrower', 10)).toEqual([]);
      expect(await store().softDelete(b.tenantId, d.id, at(6000))).toBeUndefined();
    });
  });

  describe('DocumentStore: reading a booking', () => {
    it('gives the pages of processed documents, in document and page order, all or the ones named', async () => {
      const b = await newBooking();
      const start = Date.now();
      const [d1, d2, d3] = [0, 1, 2].map((i) => documentRecord(b.tenantId, b.id, { id: newId(start + i) }));
      await store().createDocuments([d3!, d1!, d2!]);
      await processed(d2!, ['second doc page one', 'second doc page two']);
      await processed(d1!, ['first doc only page']);
      const all = await store().pagesForBooking(b.tenantId, b.id);
      expect(all).toEqual([
        { documentId: d1!.id, documentName: d1!.fileName, page: 1, text: 'first doc only page' },
        { documentId: d2!.id, documentName: d2!.fileName, page: 1, text: 'second doc page one' },
        { documentId: d2!.id, documentName: d2!.fileName, page: 2, text: 'second doc page two' },
      ]);
      expect((await store().pagesForBooking(b.tenantId, b.id, [d2!.id, d3!.id])).map((p) => p.text)).toEqual([
        'second doc page one',
        'second doc page two',
      ]);
      expect(await store().pagesForBooking(newTenant(), b.id)).toEqual([]);
    });

    it('finds passages by words, ranked, with the offsets of the matched words', async () => {
      const b = await newBooking();
      const d = await processed(
        (await store().createDocuments([documentRecord(b.tenantId, b.id)])).created[0]!,
      );
      const other = await newBooking(b.tenantId);
      await processed((await store().createDocuments([documentRecord(b.tenantId, other.id)])).created[0]!);

      const hits = await store().search(b.tenantId, b.id, 'loan', 10);
      // One "Loan" in each sentence of page one: equal scores, then page and passage order.
      expect(hits.map((h) => [h.page, h.text])).toEqual([
        [1, 'The Borrower shall repay the Loan in full on the Maturity Date.'],
        [1, 'Interest accrues daily on the Loan at the agreed rate.'],
      ]);
      for (const h of hits) {
        expect(h.documentId).toBe(d.id);
        expect(h.documentName).toBe(d.fileName);
        expect(PAGE_ONE.slice(h.start, h.end)).toBe(h.text);
        expect(h.score).toBeGreaterThan(0);
        expect(h.highlights.length).toBeGreaterThan(0);
        for (const m of h.highlights) expect(h.text.slice(m.start, m.end).toLowerCase()).toBe('loan');
      }

      const both = await store().search(b.tenantId, b.id, 'borrower assignment', 10);
      expect(both.map((h) => h.text)).toEqual(['The Agent shall notify the Borrower of any assignment.']);
      expect(both[0]!.highlights.map((m) => both[0]!.text.slice(m.start, m.end))).toEqual([
        'Borrower',
        'assignment',
      ]);

      const plural = await store().search(b.tenantId, b.id, 'lenders', 10);
      expect(plural.map((h) => h.text)).toEqual(['Each Lender may assign its rights.']);
      expect(await store().search(b.tenantId, b.id, 'loan', 1)).toHaveLength(1);
      expect(await store().search(b.tenantId, b.id, 'nonexistentword', 10)).toEqual([]);
      expect(await store().search(newTenant(), b.id, 'loan', 10)).toEqual([]);
    });

    it('ranks a passage that matches more often first', async () => {
      const b = await newBooking();
      await processed((await store().createDocuments([documentRecord(b.tenantId, b.id)])).created[0]!, [
        'The facility fee is payable quarterly.',
        'The facility is a revolving facility and each facility request is subject to this facility agreement.',
      ]);
      const hits = await store().search(b.tenantId, b.id, 'facility', 10);
      expect(hits.map((h) => h.page)).toEqual([2, 1]);
      expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
      expect(hits[0]!.highlights).toHaveLength(4);
    });

    it('summarises the live documents of a booking by status', async () => {
      const b = await newBooking();
      const docs = [0, 1, 2, 3].map(() => documentRecord(b.tenantId, b.id));
      await store().createDocuments(docs);
      await processed(docs[0]!);
      const c = await store().claimForProcessing(b.tenantId, docs[1]!.id, at(1000), LEASE);
      expect(c.claimed).toBe(true);
      await store().softDelete(b.tenantId, docs[3]!.id, at(2000));
      expect(await store().bookingSummary(b.tenantId, b.id)).toEqual({
        uploaded: 1,
        processing: 1,
        processed: 1,
        failed: 0,
      });
      expect(await store().bookingSummary(newTenant(), b.id)).toEqual({
        uploaded: 0,
        processing: 0,
        processed: 0,
        failed: 0,
      });
    });
  });

  describe('DocumentStore: maintenance', () => {
    it('lists documents stuck in uploaded, or processing past their lease, oldest first, across tenants', async () => {
      // A time range no other case uses, so the result is this case's alone.
      const old = (ms: number) => new Date(Date.parse('1991-01-01T00:00:00.000Z') + ms);
      const since = (ms: number, leaseMs = ms) => ({ uploadedBefore: old(ms), leaseExpiredBy: old(leaseMs) });
      const a = await newBooking();
      const b = await newBooking();
      const d1 = documentRecord(a.tenantId, a.id, { uploadedAt: old(3000) });
      const d2 = documentRecord(b.tenantId, b.id, { uploadedAt: old(1000) });
      const d3 = documentRecord(a.tenantId, a.id, { uploadedAt: old(2000) });
      const recent = documentRecord(a.tenantId, a.id, { uploadedAt: old(60_000) });
      const claimed = documentRecord(b.tenantId, b.id, { uploadedAt: old(500) });
      await store().createDocuments([d1, d3, recent]);
      await store().createDocuments([d2, claimed]);
      // Its lease ends at old(100) + LEASE.
      expect((await store().claimForProcessing(b.tenantId, claimed.id, old(100), LEASE)).claimed).toBe(true);
      expect((await store().listStuck(since(10_000), 10)).map((d) => d.id)).toEqual([d2.id, d3.id, d1.id]);
      expect((await store().listStuck(since(10_000), 2)).map((d) => d.id)).toEqual([d2.id, d3.id]);
      // Once the lease is over (the worker died), the claimed document is stuck too.
      expect((await store().listStuck(since(10_000, 100 + LEASE + 1), 10)).map((d) => d.id)).toEqual([claimed.id, d2.id, d3.id, d1.id]);
      await store().softDelete(a.tenantId, d3.id, at(0));
      expect((await store().listStuck(since(10_000), 10)).map((d) => d.id)).toEqual([d2.id, d1.id]);
    });

    it('tells which document ids are live', async () => {
      const b = await newBooking();
      const [x, y] = [documentRecord(b.tenantId, b.id), documentRecord(b.tenantId, b.id)];
      await store().createDocuments([x, y]);
      await store().softDelete(b.tenantId, y.id, at(1));
      expect(await store().liveDocumentIds([x.id, y.id, newId()])).toEqual(new Set([x.id]));
      expect(await store().liveDocumentIds([])).toEqual(new Set());
    });

    it('counts live documents by status', async () => {
      const before = await store().countByStatus();
      const b = await newBooking();
      const docs = [0, 1, 2].map(() => documentRecord(b.tenantId, b.id));
      await store().createDocuments(docs);
      await processed(docs[0]!);
      await store().softDelete(b.tenantId, docs[1]!.id, at(1));
      const after = await store().countByStatus();
      expect(after).toEqual({ ...before, uploaded: before.uploaded + 1, processed: before.processed + 1 });
    });
  });
}
