import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { startWorkers, type Workers } from '../../../src/jobs.js';
import { makeDocx, makePng, makeTextPdf } from '../../helpers/fixtures.js';
import {
  blobKeysOf,
  createBooking,
  getDoc,
  listBookingDocs,
  problem,
  uploadOk,
  waitForStatus,
  type Caller,
  type DocView,
} from './support.js';

/**
 * Everything after the upload, on documents the real worker processed: lists, metadata, downloads
 * with ranges, pages, search, delete and reprocess, each with its access rules and error statuses.
 */

// Lines end with \n: the fixture PDF writes one text line per \n, and a line wider than the page is clipped.
const AGREEMENT_P1 = [
  'CREDIT AGREEMENT dated as of March 1, 2024',
  'among ACME CORP as Borrower, the Lenders party hereto',
  'and FIRST BANK as Administrative Agent.',
  'The Applicable Margin for Term Loans is 2.50 percent per annum.',
].join('\n');
const AGREEMENT_P2 = ['This Agreement shall be governed by the law', 'of the State of New York.', 'The Maturity Date is March 1, 2029.'].join('\n');
const TERM_SHEET = ['SUMMARY OF INDICATIVE TERMS', 'Borrower: Acme Corp. Facility: term loan of USD 50,000,000. Pricing: SOFR plus 2.75 percent.', 'Governing law: New York.'];
const HTML = '<!doctype html><html><head><title>Note</title></head><body><h1>PROMISSORY NOTE</h1><p>FOR VALUE RECEIVED, Acme Corp promises to pay to the order of First Bank.</p></body></html>';

describe('documents: read, download, pages, search, delete, reprocess', () => {
  let t: TestApp;
  let workers: Workers;
  let analyst: Caller;
  let viewer: Caller;
  let admin: Caller;
  let otherAnalyst: Caller;
  let otherAdmin: Caller;
  let booking: string;
  let failingBooking: string;
  let pdfBytes: Buffer;
  let pdf: DocView;
  let docx: DocView;
  let html: DocView;
  let txt: DocView;
  let broken: DocView;

  beforeAll(async () => {
    t = await createTestApp();
    workers = await startWorkers(t.app.services);
    analyst = await t.auth('analyst');
    viewer = await t.auth('viewer');
    admin = await t.auth('admin');
    otherAnalyst = await t.auth('analyst', 'tenant-b');
    otherAdmin = await t.auth('admin', 'tenant-b');
    booking = await createBooking(t, analyst, 'Acme Corp');
    failingBooking = await createBooking(t, analyst, 'Broken Images Ltd');
    pdfBytes = makeTextPdf([AGREEMENT_P1, AGREEMENT_P2]);
    [pdf, docx, html, txt] = (await uploadOk(t, analyst, booking, [
      { name: 'credit-agreement.pdf', type: 'application/pdf', data: pdfBytes },
      { name: 'term-sheet.docx', type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', data: makeDocx(TERM_SHEET) },
      { name: 'note.html', type: 'text/html', data: Buffer.from(HTML) },
      { name: 'memo.txt', type: 'text/plain', data: Buffer.from('Internal memo about the Acme term loan.\n\nNothing else of interest.') },
    ])) as [DocView, DocView, DocView, DocView];
    // A PNG whose header is valid (it passes upload validation) but whose image data is garbage.
    const png = await makePng('UNREADABLE');
    [broken] = (await uploadOk(t, analyst, failingBooking, [{ name: 'scan.png', type: 'image/png', data: Buffer.concat([png.subarray(0, 33), Buffer.alloc(4096, 0x55)]) }])) as [DocView];
    for (const d of [pdf, docx, html, txt]) await waitForStatus(t, analyst, d.id, ['processed', 'failed']);
    await waitForStatus(t, analyst, broken.id, ['processed', 'failed']);
  });
  afterAll(async () => {
    await workers?.stop();
    await t?.close();
  });

  const get = (who: Caller, url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers: { authorization: who.authorization, ...headers } });

  describe('processing results', () => {
    it('stores pages and a classification for each kind', async () => {
      const p = await getDoc(t, analyst, pdf.id);
      expect(p).toMatchObject({ status: 'processed', page_count: 2, ocr_pages: 0, document_type: 'credit_agreement', error_code: null });
      expect(p.document_type_confidence).toBeGreaterThan(0.5);
      expect(p.processed_at).not.toBeNull();
      expect(await getDoc(t, analyst, docx.id)).toMatchObject({ status: 'processed', document_type: 'term_sheet' });
      expect(await getDoc(t, analyst, html.id)).toMatchObject({ status: 'processed', document_type: 'promissory_note' });
      expect(await getDoc(t, analyst, txt.id)).toMatchObject({ status: 'processed', document_type: 'other' });
    });

    it('a document that cannot be read ends failed with an error code; its booking\'s sync says why', async () => {
      const b = await getDoc(t, analyst, broken.id);
      expect(b.status).toBe('failed');
      expect(b.error_code).toBe('malformed_image');
      expect(b.error_message).toBeTruthy();
      const sync = await get(analyst, `/api/v1/loan-bookings/${failingBooking}/sync-status`);
      expect(sync.json()).toMatchObject({ state: 'failed', error: expect.any(String) });
      const ok = await get(analyst, `/api/v1/loan-bookings/${booking}/sync-status`);
      expect(ok.json()).toMatchObject({ state: 'indexed', error: null });
    });
  });

  describe('GET /api/v1/loan-bookings/:id/documents and GET /api/v1/documents', () => {
    it('pages newest first with a cursor, without gaps or repeats', async () => {
      expect((await get(viewer, `/api/v1/loan-bookings/${booking}/documents`)).statusCode).toBe(200);
      expect((await get(viewer, '/api/v1/documents')).statusCode).toBe(200);
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/documents' })).statusCode).toBe(401);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await get(analyst, `/api/v1/loan-bookings/${booking}/documents?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.statusCode, res.body).toBe(200);
        const body = res.json<{ items: DocView[]; next_cursor: string | null; has_more: boolean }>();
        expect(body.has_more).toBe(body.next_cursor !== null);
        seen.push(...body.items.map((d) => d.id));
        cursor = body.next_cursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(2);
      expect(seen).toEqual([txt.id, html.id, docx.id, pdf.id]);
    });

    it('filters by status, kind, document type and upload time', async () => {
      const ids = async (url: string) => (await get(analyst, url)).json<{ items: DocView[] }>().items.map((d) => d.id);
      const base = `/api/v1/loan-bookings/${booking}/documents`;
      expect(await ids(`${base}?kind=pdf`)).toEqual([pdf.id]);
      expect(await ids(`${base}?document_type=term_sheet`)).toEqual([docx.id]);
      expect(await ids(`${base}?status=processed`)).toEqual([txt.id, html.id, docx.id, pdf.id]);
      expect(await ids(`${base}?status=failed`)).toEqual([]);
      const future = new Date(Date.now() + 3600_000).toISOString();
      const past = new Date(Date.now() - 3600_000).toISOString();
      expect(await ids(`${base}?uploaded_from=${future}`)).toEqual([]);
      expect(await ids(`${base}?uploaded_from=${past}&uploaded_to=${future}&kind=html`)).toEqual([html.id]);
      expect(await ids(`${base}?uploaded_to=${past}`)).toEqual([]);
    });

    it('the organisation-wide list filters by booking, product and status ("synced documents" = processed)', async () => {
      const ids = async (url: string) => (await get(analyst, url)).json<{ items: DocView[] }>().items.map((d) => d.id);
      expect(await ids('/api/v1/documents?status=failed')).toEqual([broken.id]);
      expect(await ids(`/api/v1/documents?loan_booking_id=${failingBooking}`)).toEqual([broken.id]);
      expect((await ids('/api/v1/documents?product_id=term-loans&limit=100')).sort()).toEqual([pdf.id, docx.id, html.id, txt.id, broken.id].sort());
      expect(await ids('/api/v1/documents?product_id=revolving-credit')).toEqual([]);
      expect((await ids('/api/v1/documents?status=processed&limit=100')).sort()).toEqual([pdf.id, docx.id, html.id, txt.id].sort());
      // Another tenant sees none of it.
      expect((await get(otherAnalyst, '/api/v1/documents')).json().items).toEqual([]);
    });

    it('the organisation-wide list pages with its own cursor', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await get(analyst, `/api/v1/documents?limit=2&product_id=term-loans${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.statusCode, res.body).toBe(200);
        const body = res.json<{ items: DocView[]; next_cursor: string | null }>();
        expect(body.items.length).toBeLessThanOrEqual(2);
        seen.push(...body.items.map((d) => d.id));
        cursor = body.next_cursor;
      } while (cursor);
      expect(seen).toEqual([broken.id, txt.id, html.id, docx.id, pdf.id]);
    });

    it('400 for a cursor replayed with other filters or forged; 400 for a bad filter value', async () => {
      const first = (await get(analyst, `/api/v1/loan-bookings/${booking}/documents?limit=1`)).json<{ next_cursor: string }>();
      const replay = await get(analyst, `/api/v1/loan-bookings/${booking}/documents?limit=1&status=processed&cursor=${first.next_cursor}`);
      expect(replay.statusCode).toBe(400);
      expect(problem(replay).error_code).toBe('INVALID_CURSOR');
      const forged = await get(analyst, `/api/v1/documents?cursor=${Buffer.from('{"p":{"id":"x"},"f":"nope"}').toString('base64url')}`);
      expect(forged.statusCode).toBe(400);
      const bad = await get(analyst, `/api/v1/documents?status=synced`);
      expect(bad.statusCode).toBe(400);
    });

    it('404 for an unknown booking or another tenant\'s booking', async () => {
      expect((await get(analyst, '/api/v1/loan-bookings/0190f5a1-0000-7000-8000-000000000000/documents')).statusCode).toBe(404);
      const res = await get(otherAnalyst, `/api/v1/loan-bookings/${booking}/documents`);
      expect(res.statusCode).toBe(404);
      expect(problem(res).error_code).toBe('LOAN_BOOKING_NOT_FOUND');
    });
  });

  describe('GET /api/v1/documents/:id', () => {
    it('answers the metadata; 404 for unknown, malformed-but-valid and other-tenant ids', async () => {
      const res = await get(viewer, `/api/v1/documents/${pdf.id}`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id: pdf.id, file_name: 'credit-agreement.pdf', size_bytes: pdfBytes.length, sha256: pdf.sha256, uploaded_by: analyst.userId });
      expect((await get(analyst, '/api/v1/documents/0190f5a1-0000-7000-8000-000000000000')).statusCode).toBe(404);
      const cross = await get(otherAnalyst, `/api/v1/documents/${pdf.id}`);
      expect(cross.statusCode).toBe(404);
      expect(problem(cross).error_code).toBe('DOCUMENT_NOT_FOUND');
      expect((await t.app.inject({ method: 'GET', url: `/api/v1/documents/${pdf.id}` })).statusCode).toBe(401);
    });
  });

  describe('GET /api/v1/documents/:id/content', () => {
    const url = () => `/api/v1/documents/${pdf.id}/content`;

    it('streams the whole file as an attachment with ETag, nosniff and length', async () => {
      const res = await get(viewer, url());
      expect(res.statusCode).toBe(200);
      expect(res.rawPayload.equals(pdfBytes)).toBe(true);
      expect(res.headers).toMatchObject({
        etag: `"${pdf.sha256}"`,
        'x-content-type-options': 'nosniff',
        'content-type': 'application/pdf',
        'content-length': String(pdfBytes.length),
        'accept-ranges': 'bytes',
      });
      expect(res.headers['content-disposition']).toBe(`attachment; filename="credit-agreement.pdf"; filename*=UTF-8''credit-agreement.pdf`);
      expect(res.headers['cache-control']).toContain('no-store');
    });

    it('206 for a byte range, a suffix range and an open range, with Content-Range', async () => {
      const size = pdfBytes.length;
      const cases: [string, number, number][] = [
        ['bytes=0-4', 0, 4],
        ['bytes=100-199', 100, 199],
        ['bytes=-16', size - 16, size - 1],
        [`bytes=${size - 5}-`, size - 5, size - 1],
        [`bytes=10-${size + 1000}`, 10, size - 1],
        [`bytes=-${size + 50}`, 0, size - 1],
      ];
      for (const [range, start, end] of cases) {
        const res = await get(analyst, url(), { range });
        expect(res.statusCode, range).toBe(206);
        expect(res.headers['content-range'], range).toBe(`bytes ${start}-${end}/${size}`);
        expect(res.headers['content-length'], range).toBe(String(end - start + 1));
        expect(res.rawPayload.equals(pdfBytes.subarray(start, end + 1)), range).toBe(true);
        expect(res.headers.etag).toBe(`"${pdf.sha256}"`);
      }
    });

    it('416 for a range past the end or an empty suffix, with Content-Range bytes */size', async () => {
      for (const range of [`bytes=${pdfBytes.length}-`, `bytes=${pdfBytes.length + 10}-${pdfBytes.length + 20}`, 'bytes=-0']) {
        const res = await get(analyst, url(), { range });
        expect(res.statusCode, range).toBe(416);
        expect(res.headers['content-range']).toBe(`bytes */${pdfBytes.length}`);
        expect(problem(res).error_code).toBe('RANGE_NOT_SATISFIABLE');
      }
    });

    it('ignores ranges it does not serve (several ranges, reversed, other units): the whole file', async () => {
      for (const range of ['bytes=0-1,5-6', 'bytes=9-3', 'items=0-1', 'bytes=abc']) {
        const res = await get(analyst, url(), { range });
        expect(res.statusCode, range).toBe(200);
        expect(res.rawPayload.length).toBe(pdfBytes.length);
      }
    });

    it('304 for a matching If-None-Match (also in a list or weak), 200 for another tag', async () => {
      for (const inm of [`"${pdf.sha256}"`, `"other", "${pdf.sha256}"`, `W/"${pdf.sha256}"`, '*']) {
        const res = await get(analyst, url(), { 'if-none-match': inm });
        expect(res.statusCode, inm).toBe(304);
        expect(res.rawPayload.length).toBe(0);
        expect(res.headers.etag).toBe(`"${pdf.sha256}"`);
      }
      const other = await get(analyst, url(), { 'if-none-match': '"something-else"' });
      expect(other.statusCode).toBe(200);
    });

    it('404 for another tenant and for an unknown document', async () => {
      expect((await get(otherAnalyst, url())).statusCode).toBe(404);
      expect((await get(analyst, '/api/v1/documents/0190f5a1-0000-7000-8000-000000000000/content')).statusCode).toBe(404);
    });
  });

  describe('GET /api/v1/documents/:id/pages', () => {
    it('answers the page texts with their method, paged by page number', async () => {
      const res = await get(viewer, `/api/v1/documents/${pdf.id}/pages`);
      expect(res.statusCode).toBe(200);
      const items = res.json().items as { page: number; text: string; method: string }[];
      expect(items.map((p) => [p.page, p.method])).toEqual([
        [1, 'text-layer'],
        [2, 'text-layer'],
      ]);
      expect(items[0]!.text).toContain('CREDIT AGREEMENT');
      expect(items[1]!.text).toContain('State of New York');
      const second = (await get(viewer, `/api/v1/documents/${pdf.id}/pages?from=2&limit=1`)).json<{ items: { page: number }[] }>().items;
      expect(second.map((p) => p.page)).toEqual([2]);
      const docxPages = (await get(viewer, `/api/v1/documents/${docx.id}/pages`)).json().items;
      expect(docxPages[0]).toMatchObject({ page: 1, method: 'docx' });
      expect(docxPages[0].text).toContain('SUMMARY OF INDICATIVE TERMS');
      const htmlPages = (await get(viewer, `/api/v1/documents/${html.id}/pages`)).json().items;
      expect(htmlPages[0].method).toBe('html');
      expect(htmlPages[0].text).toContain('FOR VALUE RECEIVED');
      expect(htmlPages[0].text).not.toContain('<p>');
    });

    it('400 for a bad page window; 404 for another tenant', async () => {
      expect((await get(analyst, `/api/v1/documents/${pdf.id}/pages?limit=0`)).statusCode).toBe(400);
      expect((await get(analyst, `/api/v1/documents/${pdf.id}/pages?from=0`)).statusCode).toBe(400);
      expect((await get(otherAnalyst, `/api/v1/documents/${pdf.id}/pages`)).statusCode).toBe(404);
    });
  });

  describe('GET /api/v1/loan-bookings/:id/search', () => {
    interface Hit {
      document_id: string;
      document_name: string;
      page: number;
      start: number;
      end: number;
      text: string;
      score: number;
      highlights: { start: number; end: number }[];
    }
    const search = async (who: Caller, q: string, b = booking) => {
      const res = await get(who, `/api/v1/loan-bookings/${b}/search?q=${encodeURIComponent(q)}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json().items as Hit[];
    };

    it('ranks passages and gives verbatim text with exact offsets into the page and highlighted terms', async () => {
      // Both the agreement (page 2) and the term sheet ("Governing law: New York") match; the term
      // sheet's terms sit closer together, so cover-density ranking puts it first.
      const hits = await search(viewer, 'governed law New York');
      expect(hits.map((h) => [h.document_id, h.page])).toEqual([
        [docx.id, 1],
        [pdf.id, 2],
      ]);
      expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
      expect(hits[1]!.document_name).toBe('credit-agreement.pdf');
      const pagesOf = new Map<string, { page: number; text: string }[]>();
      for (const h of hits) {
        if (!pagesOf.has(h.document_id)) pagesOf.set(h.document_id, (await get(analyst, `/api/v1/documents/${h.document_id}/pages?limit=50`)).json().items);
        const pageText = pagesOf.get(h.document_id)!.find((p) => p.page === h.page)!.text;
        expect(pageText.slice(h.start, h.end)).toBe(h.text);
        expect(h.highlights.length).toBeGreaterThan(0);
        for (const hl of h.highlights) expect(h.text.slice(hl.start, hl.end).toLowerCase()).toMatch(/^(govern\w*|law\w*|new|york)$/);
      }
      expect(hits[1]!.highlights.map((hl) => hits[1]!.text.slice(hl.start, hl.end))).toEqual(['governed', 'law', 'New', 'York']);
      // A term in the page's own words ranks the page that has it above one that only mentions the others.
      const maturity = await search(viewer, 'maturity date');
      expect(maturity.map((h) => [h.document_id, h.page])).toEqual([[pdf.id, 2]]);
    });

    it('finds phrases and excludes terms; no match is an empty list', async () => {
      const margin = await search(analyst, '"applicable margin"');
      expect(margin.map((h) => h.document_id)).toEqual([pdf.id]);
      const pay = await search(analyst, 'acme -pricing -memo');
      expect(pay.map((h) => h.document_id).sort()).toEqual([pdf.id, html.id].sort());
      expect(await search(analyst, 'zeppelin')).toEqual([]);
    });

    it('is scoped to the booking and the tenant: 404 for another tenant or an unknown booking; 400 without q', async () => {
      expect(await search(analyst, 'governed', failingBooking)).toEqual([]);
      expect((await get(otherAnalyst, `/api/v1/loan-bookings/${booking}/search?q=governed`)).statusCode).toBe(404);
      expect((await get(analyst, '/api/v1/loan-bookings/0190f5a1-0000-7000-8000-000000000000/search?q=governed')).statusCode).toBe(404);
      expect((await get(analyst, `/api/v1/loan-bookings/${booking}/search`)).statusCode).toBe(400);
    });
  });

  describe('POST /api/v1/documents/:id/reprocess', () => {
    const reprocess = (who: Caller, id: string) => t.app.inject({ method: 'POST', url: `/api/v1/documents/${id}/reprocess`, headers: { authorization: who.authorization } });

    it('403 for non-admins, 404 for another tenant, 409 unless failed', async () => {
      expect((await reprocess(analyst, broken.id)).statusCode).toBe(403);
      expect((await reprocess(viewer, broken.id)).statusCode).toBe(403);
      expect((await reprocess(otherAdmin, broken.id)).statusCode).toBe(404);
      const processed = await reprocess(admin, pdf.id);
      expect(processed.statusCode).toBe(409);
      expect(problem(processed).error_code).toBe('INVALID_STATE');
      expect((await reprocess(admin, '0190f5a1-0000-7000-8000-000000000000')).statusCode).toBe(404);
    });

    it('202 puts a failed document back on the queue (audited); it is processed again', async () => {
      const res = await reprocess(admin, broken.id);
      expect(res.statusCode, res.body).toBe(202);
      expect(res.json()).toMatchObject({ id: broken.id, status: 'uploaded', error_code: null });
      const again = await waitForStatus(t, analyst, broken.id, ['processed', 'failed']);
      expect(again).toMatchObject({ status: 'failed', error_code: 'malformed_image' });
      const audit = await t.app.inject({ method: 'GET', url: `/api/v1/audit-events?action=document.reprocess`, headers: { authorization: admin.authorization } });
      expect(audit.statusCode, audit.body).toBe(200);
      expect(JSON.stringify(audit.json())).toContain(broken.id);
    });
  });

  describe('metrics after activity', () => {
    it('exposes upload bytes, documents by status, processing duration and queue depth', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      const value = (re: RegExp) => {
        const m = re.exec(res.body);
        expect(m, re.source).not.toBeNull();
        return Number(m![1]);
      };
      const uploaded = [pdf, docx, html, txt, broken].reduce((n, d) => n + d.size_bytes, 0);
      expect(value(/^document_upload_bytes_total (\d+)/m)).toBe(uploaded);
      expect(value(/^documents_by_status\{status="processed"\} (\d+)/m)).toBe(4);
      expect(value(/^documents_by_status\{status="failed"\} (\d+)/m)).toBe(1);
      expect(value(/^document_processing_duration_seconds_count\{outcome="processed"\} (\d+)/m)).toBe(4);
      expect(value(/^document_processing_duration_seconds_count\{outcome="failed"\} (\d+)/m)).toBeGreaterThanOrEqual(1);
      expect(value(/^document_processing_failures_total\{code="malformed_image"\} (\d+)/m)).toBeGreaterThanOrEqual(1);
      expect(value(/^job_queue_depth\{queue="document.process",state="queued"\} (\d+)/m)).toBe(0);
      expect(value(/^job_queue_depth\{queue="document.process",state="active"\} (\d+)/m)).toBe(0);
    });
  });

  describe('DELETE /api/v1/documents/:id', () => {
    const del = (who: Caller, id: string) => t.app.inject({ method: 'DELETE', url: `/api/v1/documents/${id}`, headers: { authorization: who.authorization } });

    it('403 for a viewer, 404 for another tenant: the document stays', async () => {
      expect((await del(viewer, txt.id)).statusCode).toBe(403);
      expect((await del(otherAnalyst, txt.id)).statusCode).toBe(404);
      expect((await getDoc(t, analyst, txt.id)).status).toBe('processed');
    });

    it('204 removes the blob, the pages and the index entries; deleting again is 404', async () => {
      const key = `tenants/${analyst.tenantId}/loan-bookings/${booking}/documents/${pdf.id}/original`;
      expect(await t.app.services.blob.head(key)).toBeDefined();
      const before = await get(analyst, `/api/v1/loan-bookings/${booking}/search?q=governed`);
      expect(before.json<{ items: { document_id: string }[] }>().items.map((h) => h.document_id)).toContain(pdf.id);

      const res = await del(analyst, pdf.id);
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      expect(await t.app.services.blob.head(key)).toBeUndefined();
      expect(await blobKeysOf(t, analyst.tenantId, booking)).not.toContain(key);
      expect(await t.app.services.stores.documents.getPages(analyst.tenantId, pdf.id, { from: 1, limit: 50 })).toEqual([]);
      const after = await get(analyst, `/api/v1/loan-bookings/${booking}/search?q=governed`);
      expect(after.json<{ items: { document_id: string }[] }>().items.map((h) => h.document_id)).not.toContain(pdf.id);
      expect((await get(analyst, `/api/v1/documents/${pdf.id}`)).statusCode).toBe(404);
      expect((await get(analyst, `/api/v1/documents/${pdf.id}/content`)).statusCode).toBe(404);
      expect((await get(analyst, `/api/v1/documents/${pdf.id}/pages`)).statusCode).toBe(404);
      expect((await listBookingDocs(t, analyst, booking)).map((d) => d.id)).not.toContain(pdf.id);
      expect((await del(analyst, pdf.id)).statusCode).toBe(404);

      const audit = await t.app.inject({ method: 'GET', url: `/api/v1/audit-events?action=document.delete`, headers: { authorization: admin.authorization } });
      expect(JSON.stringify(audit.json())).toContain(pdf.id);
    });

    it('the same bytes can be uploaded again after a delete (a new document)', async () => {
      const [again] = await uploadOk(t, analyst, booking, [{ name: 'credit-agreement.pdf', type: 'application/pdf', data: pdfBytes }]);
      expect(again!.duplicate).toBe(false);
      expect(again!.id).not.toBe(pdf.id);
      await waitForStatus(t, analyst, again!.id);
    });
  });
});
