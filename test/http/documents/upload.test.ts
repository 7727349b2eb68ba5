import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import {
  makeElfExecutable,
  makeEncryptedPdf,
  makeExePdfPolyglot,
  makeGarbagePdf,
  makeJarLike,
  makeOleCompoundFile,
  makePdfZipPolyglot,
  makePeExecutable,
  makePng,
  makeTextPdf,
  makeTruncatedPdf,
  makeXlsxLike,
  makeZipBomb,
  makeDocx,
} from '../../helpers/fixtures.js';
import { filePartHead, multipart, newBoundary } from '../../helpers/multipart.js';
import {
  blobKeysOf,
  createBooking,
  diskTempFiles,
  expectNothingLeft,
  listBookingDocs,
  problem,
  upload,
  uploadOk,
  waitFor,
  type Caller,
  type DocView,
} from './support.js';

// Small limits so that every limit can be hit with a few kilobytes.
const MAX_FILE = 50_000;
const MAX_REQUEST = 80_000;
const MAX_FILES = 3;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** Distinct plain-text content of about `size` bytes. */
const text = (label: string, size = 200) => Buffer.from(`${label} `.repeat(Math.ceil(size / (label.length + 1))).slice(0, size));

describe('POST /api/v1/loan-bookings/:id/documents', () => {
  let t: TestApp;
  let analyst: Caller;
  let viewer: Caller;
  let otherTenant: Caller;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        UPLOAD_MAX_FILE_BYTES: String(MAX_FILE),
        UPLOAD_MAX_REQUEST_BYTES: String(MAX_REQUEST),
        UPLOAD_MAX_FILES: String(MAX_FILES),
        UPLOAD_MAX_DOCX_UNCOMPRESSED_BYTES: String(1024 * 1024),
      },
    });
    analyst = await t.auth('analyst');
    viewer = await t.auth('viewer');
    otherTenant = await t.auth('analyst', 'tenant-b');
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('201', () => {
    it('stores one file and answers with its metadata', async () => {
      const booking = await createBooking(t, analyst);
      const pdf = makeTextPdf(['CREDIT AGREEMENT between Acme and the Bank']);
      const [doc] = await uploadOk(t, analyst, booking, [{ name: 'agreement.pdf', type: 'application/pdf', data: pdf }]);
      expect(doc).toMatchObject({
        loan_booking_id: booking,
        file_name: 'agreement.pdf',
        content_type: 'application/pdf',
        kind: 'pdf',
        size_bytes: pdf.length,
        sha256: sha256(pdf),
        status: 'uploaded',
        page_count: 1,
        uploaded_by: analyst.userId,
        duplicate: false,
      });
      // The key derives from ids only; the bytes under it are the bytes sent.
      expect(await blobKeysOf(t, analyst.tenantId, booking)).toEqual([`tenants/${analyst.tenantId}/loan-bookings/${booking}/documents/${doc!.id}/original`]);
      const head = await t.app.services.blob.head(`tenants/${analyst.tenantId}/loan-bookings/${booking}/documents/${doc!.id}/original`);
      expect(head?.size).toBe(pdf.length);
      expect((await listBookingDocs(t, analyst, booking)).map((d) => d.id)).toEqual([doc!.id]);
      const b = await t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings/${booking}`, headers: { authorization: analyst.authorization } });
      expect(b.json().status).toBe('documents_received');
    });

    it('stores many files of different types in upload order', async () => {
      const booking = await createBooking(t, analyst);
      const files = [
        { name: 'a.pdf', type: 'application/pdf', data: makeTextPdf(['TERM SHEET one']) },
        { name: 'b.txt', type: 'text/plain', data: text('promissory note') },
        { name: 'c.docx', type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', data: makeDocx(['SECURITY AGREEMENT']) },
      ];
      const docs = await uploadOk(t, analyst, booking, files);
      expect(docs.map((d) => [d.file_name, d.kind, d.sha256, d.duplicate])).toEqual(files.map((f) => [f.name, f.name === 'a.pdf' ? 'pdf' : f.name === 'b.txt' ? 'text' : 'docx', sha256(f.data), false]));
      expect(new Set(docs.map((d) => d.id)).size).toBe(3);
      expect(await blobKeysOf(t, analyst.tenantId, booking)).toHaveLength(3);
    });

    it('returns the existing document for the same bytes uploaded again (duplicate: true), keeping one blob', async () => {
      const booking = await createBooking(t, analyst);
      const data = text('duplicate bytes');
      const [first] = await uploadOk(t, analyst, booking, [{ name: 'first.txt', type: 'text/plain', data }]);
      const [again] = await uploadOk(t, analyst, booking, [{ name: 'renamed.txt', type: 'text/plain', data }]);
      expect(again).toMatchObject({ id: first!.id, file_name: 'first.txt', duplicate: true });
      expect(await listBookingDocs(t, analyst, booking)).toHaveLength(1);
      expect(await blobKeysOf(t, analyst.tenantId, booking)).toHaveLength(1);
      expect(await diskTempFiles(t)).toEqual([]);
      // Another booking is another set: the same bytes are a new document there.
      const other = await createBooking(t, analyst);
      const [there] = await uploadOk(t, analyst, other, [{ name: 'first.txt', type: 'text/plain', data }]);
      expect(there!.duplicate).toBe(false);
      expect(there!.id).not.toBe(first!.id);
    });

    it('stores the same file sent twice in one request once', async () => {
      const booking = await createBooking(t, analyst);
      const data = text('twice in one request');
      const docs = await uploadOk(t, analyst, booking, [
        { name: 'one.txt', type: 'text/plain', data },
        { name: 'two.txt', type: 'text/plain', data },
      ]);
      expect(docs).toHaveLength(2);
      expect(docs[0]!.duplicate).toBe(false);
      expect(docs[1]).toMatchObject({ id: docs[0]!.id, duplicate: true });
      expect(await listBookingDocs(t, analyst, booking)).toHaveLength(1);
      expect(await blobKeysOf(t, analyst.tenantId, booking)).toHaveLength(1);
    });
  });

  describe('Idempotency-Key', () => {
    it('a retried upload with the same key replays the first answer and stores nothing more', async () => {
      const booking = await createBooking(t, analyst);
      const files = [{ name: 'retry.txt', type: 'text/plain', data: text('retried upload') }];
      const key = `upload-${booking}`;
      const first = await upload(t, analyst, booking, files, { 'idempotency-key': key });
      expect(first.statusCode).toBe(201);
      const again = await upload(t, analyst, booking, files, { 'idempotency-key': key });
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotency-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
      expect(again.json<{ items: DocView[] }>().items[0]!.duplicate).toBe(false);
      expect(await listBookingDocs(t, analyst, booking)).toHaveLength(1);
      expect(await blobKeysOf(t, analyst.tenantId, booking)).toHaveLength(1);
    });
  });

  describe('file names', () => {
    it('keeps only the last path component and strips bidi and control characters; echoes it with filename*', async () => {
      const booking = await createBooking(t, analyst);
      const cases: [string, string][] = [
        ['../../../etc/passwd.txt', 'passwd.txt'],
        ['..\\..\\windows\\system32\\evil.txt', 'evil.txt'],
        ['invoice\u202Etxt.pdf.txt', 'invoicetxt.pdf.txt'],
        ['tab\there\u0007bell\u200Bzw.txt', 'tabherebellzw.txt'],
        ['  spaced   out  .txt', 'spaced out .txt'],
        ['...hidden.txt', 'hidden.txt'],
        ['Vertrag – Zürich «final».txt', 'Vertrag – Zürich «final».txt'],
        ['quote"semi;colon%.txt', 'quotesemi;colon%.txt'],
      ];
      for (const [i, [sent, stored]] of cases.entries()) {
        const [doc] = await uploadOk(t, analyst, booking, [{ name: sent, type: 'text/plain', data: text(`file name case ${i}`) }]);
        expect(doc!.file_name, sent).toBe(stored);
        const res = await t.app.inject({ method: 'GET', url: `/api/v1/documents/${doc!.id}/content`, headers: { authorization: analyst.authorization } });
        expect(res.statusCode).toBe(200);
        const cd = res.headers['content-disposition'] as string;
        expect(cd).toMatch(/^attachment; filename="[\x20\x21\x23-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9%!._~-]+$/);
        const star = /filename\*=UTF-8''(.+)$/.exec(cd)![1]!;
        expect(decodeURIComponent(star)).toBe(stored);
      }
    });

    it('never lets a file name choose the storage key', async () => {
      const booking = await createBooking(t, analyst);
      await uploadOk(t, analyst, booking, [{ name: '../../../../tenants/tenant-b/x.txt', type: 'text/plain', data: text('key escape') }]);
      const keys = await blobKeysOf(t, analyst.tenantId, booking);
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatch(new RegExp(`^tenants/${analyst.tenantId}/loan-bookings/${booking}/documents/[0-9a-f-]{36}/original$`));
      expect((await t.app.services.blob.list('tenants/tenant-b/')).keys).toEqual([]);
    });
  });

  describe('404, 409', () => {
    it('404 for an unknown booking and for another tenant\'s booking, storing nothing', async () => {
      const unknown = '0190f5a1-0000-7000-8000-000000000000';
      const res = await upload(t, analyst, unknown, [{ name: 'a.txt', type: 'text/plain', data: text('unknown booking') }]);
      expect(res.statusCode).toBe(404);
      expect(problem(res).error_code).toBe('LOAN_BOOKING_NOT_FOUND');

      const theirs = await createBooking(t, otherTenant);
      const cross = await upload(t, analyst, theirs, [{ name: 'a.txt', type: 'text/plain', data: text('cross tenant') }]);
      expect(cross.statusCode).toBe(404);
      expect(problem(cross).error_code).toBe('LOAN_BOOKING_NOT_FOUND');
      await expectNothingLeft(t, otherTenant, theirs);
      expect((await t.app.services.blob.list(`tenants/${analyst.tenantId}/loan-bookings/${theirs}/`)).keys).toEqual([]);
    });

    it('409 for a cancelled booking and for an approved one', async () => {
      const cancelled = await createBooking(t, analyst);
      const got = await t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings/${cancelled}`, headers: { authorization: analyst.authorization } });
      const patch = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/loan-bookings/${cancelled}`,
        headers: { authorization: analyst.authorization, 'if-match': got.headers.etag as string },
        payload: { status: 'cancelled' },
      });
      expect(patch.statusCode, patch.body).toBe(200);
      const res = await upload(t, analyst, cancelled, [{ name: 'a.txt', type: 'text/plain', data: text('to a cancelled booking') }]);
      expect(res.statusCode).toBe(409);
      expect(problem(res).error_code).toBe('INVALID_STATE');
      expect(problem(res).detail).toMatch(/cancelled/);
      await expectNothingLeft(t, analyst, cancelled);

      const approved = await createBooking(t, analyst);
      expect(await t.app.services.loanBookings.transition(analyst.tenantId, approved, 'approved', ['draft'], analyst.userId)).toBeDefined();
      const res2 = await upload(t, analyst, approved, [{ name: 'a.txt', type: 'text/plain', data: text('to an approved booking') }]);
      expect(res2.statusCode).toBe(409);
      await expectNothingLeft(t, analyst, approved);
    });
  });

  describe('413 limits, each named, nothing left behind', () => {
    it('per file', async () => {
      const booking = await createBooking(t, analyst);
      const res = await upload(t, analyst, booking, [{ name: 'big.txt', type: 'text/plain', data: text('too big', MAX_FILE + 1) }]);
      expect(res.statusCode).toBe(413);
      const p = problem(res);
      expect(p.error_code).toBe('PAYLOAD_TOO_LARGE');
      expect(p.detail).toContain(`${MAX_FILE}-byte limit per file`);
      expect(p.details).toMatchObject({ limit: 'file_bytes', limit_bytes: MAX_FILE, file_name: 'big.txt' });
      await expectNothingLeft(t, analyst, booking);
    });

    it('a file of exactly the limit is accepted', async () => {
      const booking = await createBooking(t, analyst);
      const [doc] = await uploadOk(t, analyst, booking, [{ name: 'edge.txt', type: 'text/plain', data: text('exactly at the limit', MAX_FILE) }]);
      expect(doc!.size_bytes).toBe(MAX_FILE);
    });

    it('per request: the files already stored by the request are removed too', async () => {
      const booking = await createBooking(t, analyst);
      const res = await upload(t, analyst, booking, [
        { name: 'one.txt', type: 'text/plain', data: text('first of the request', 40_000) },
        { name: 'two.txt', type: 'text/plain', data: text('second of the request', 40_001) },
      ]);
      expect(res.statusCode).toBe(413);
      const p = problem(res);
      expect(p.detail).toContain(`exceed ${MAX_REQUEST} bytes in total`);
      expect(p.details).toMatchObject({ limit: 'request_bytes', limit_bytes: MAX_REQUEST });
      await expectNothingLeft(t, analyst, booking);
    });

    it('too many files', async () => {
      const booking = await createBooking(t, analyst);
      const files = Array.from({ length: MAX_FILES + 1 }, (_, i) => ({ name: `f${i}.txt`, type: 'text/plain', data: text(`file number ${i}`) }));
      const res = await upload(t, analyst, booking, files);
      expect(res.statusCode).toBe(413);
      const p = problem(res);
      expect(p.detail).toContain(`At most ${MAX_FILES} files`);
      expect(p.details).toMatchObject({ limit: 'files_per_request', max_files: MAX_FILES });
      await expectNothingLeft(t, analyst, booking);
    });
  });

  describe('415 and 422: hostile and broken files, nothing left behind', () => {
    const cases: { what: string; file: () => Promise<{ name: string; type: string; data: Buffer }> | { name: string; type: string; data: Buffer }; status: number; code: string; reason?: string }[] = [
      { what: 'ELF executable named .pdf', file: () => ({ name: 'report.pdf', type: 'application/pdf', data: makeElfExecutable() }), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      { what: 'PE executable named .pdf', file: () => ({ name: 'report.pdf', type: 'application/pdf', data: makePeExecutable() }), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      { what: 'PE/PDF polyglot', file: () => ({ name: 'report.pdf', type: 'application/pdf', data: makeExePdfPolyglot() }), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      { what: 'PNG bytes named .pdf', file: async () => ({ name: 'scan.pdf', type: 'application/pdf', data: await makePng('SCAN') }), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      { what: 'PDF bytes declared as image/png', file: () => ({ name: 'scan.png', type: 'image/png', data: makeTextPdf(['x']) }), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      { what: 'XLSX zip named .docx', file: () => ({ name: 'sheet.docx', type: 'application/zip', data: makeXlsxLike() }), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      { what: 'JAR zip named .docx', file: () => ({ name: 'app.docx', type: 'application/zip', data: makeJarLike() }), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      { what: 'shell script named .txt', file: () => ({ name: 'notes.txt', type: 'text/plain', data: Buffer.from('#!/bin/sh\nrm -rf /\n') }), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
      { what: 'encrypted PDF', file: () => ({ name: 'locked.pdf', type: 'application/pdf', data: makeEncryptedPdf() }), status: 422, code: 'UNPROCESSABLE_DOCUMENT', reason: 'encrypted_pdf' },
      { what: 'truncated PDF', file: () => ({ name: 'cut.pdf', type: 'application/pdf', data: makeTruncatedPdf() }), status: 422, code: 'UNPROCESSABLE_DOCUMENT', reason: 'malformed_pdf' },
      { what: 'garbage after a PDF header', file: () => ({ name: 'bad.pdf', type: 'application/pdf', data: makeGarbagePdf() }), status: 422, code: 'UNPROCESSABLE_DOCUMENT', reason: 'malformed_pdf' },
      { what: 'PDF/ZIP polyglot', file: () => ({ name: 'poly.pdf', type: 'application/pdf', data: makePdfZipPolyglot() }), status: 422, code: 'UNPROCESSABLE_DOCUMENT', reason: 'polyglot' },
      { what: 'zip bomb DOCX', file: () => ({ name: 'bomb.docx', type: 'application/zip', data: makeZipBomb({ size: 4 * 1024 * 1024 }) }), status: 422, code: 'UNPROCESSABLE_DOCUMENT', reason: 'zip_bomb' },
      { what: 'zip bomb DOCX lying about its size', file: () => ({ name: 'bomb.docx', type: 'application/zip', data: makeZipBomb({ size: 4 * 1024 * 1024, lieAboutSize: true }) }), status: 422, code: 'UNPROCESSABLE_DOCUMENT', reason: 'zip_bomb' },
      { what: 'password-protected DOCX (OLE container)', file: () => ({ name: 'locked.docx', type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', data: makeOleCompoundFile() }), status: 422, code: 'UNPROCESSABLE_DOCUMENT', reason: 'encrypted_docx' },
      { what: 'empty file', file: () => ({ name: 'empty.txt', type: 'text/plain', data: Buffer.alloc(0) }), status: 422, code: 'UNPROCESSABLE_DOCUMENT', reason: 'empty' },
      { what: 'text that is not UTF-8 past the first 8 KiB', file: () => ({ name: 'latin.txt', type: 'text/plain', data: Buffer.concat([text('plain ascii start', 9000), Buffer.from([0xe9, 0x20, 0xff])]) }), status: 422, code: 'UNPROCESSABLE_DOCUMENT', reason: 'invalid_encoding' },
    ];

    for (const c of cases) {
      it(`${c.status} ${c.what}`, async () => {
        const booking = await createBooking(t, analyst);
        const file = await c.file();
        const res = await upload(t, analyst, booking, [file]);
        expect(res.statusCode, res.body).toBe(c.status);
        const p = problem(res);
        expect(p.error_code).toBe(c.code);
        expect(p.detail).toContain(file.name);
        if (c.reason) expect(p.details?.reason).toBe(c.reason);
        await expectNothingLeft(t, analyst, booking);
      });
    }

    it('a bad second file fails the whole request: the good first one is not kept', async () => {
      const booking = await createBooking(t, analyst);
      const res = await upload(t, analyst, booking, [
        { name: 'good.pdf', type: 'application/pdf', data: makeTextPdf(['fine']) },
        { name: 'bad.pdf', type: 'application/pdf', data: makeEncryptedPdf() },
      ]);
      expect(res.statusCode).toBe(422);
      await expectNothingLeft(t, analyst, booking);
    });
  });

  describe('malformed requests', () => {
    it('422 for a file in a part not named "files"', async () => {
      const booking = await createBooking(t, analyst);
      const res = await upload(t, analyst, booking, [{ name: 'a.txt', type: 'text/plain', data: text('wrong part'), field: 'file' }]);
      expect(res.statusCode).toBe(422);
      expect(problem(res)).toMatchObject({ error_code: 'VALIDATION_FAILED', field_errors: { file: [expect.stringContaining('files')] } });
      await expectNothingLeft(t, analyst, booking);
    });

    it('422 when no file is sent (empty form, or only fields)', async () => {
      const booking = await createBooking(t, analyst);
      for (const mp of [multipart([]), multipart([], { note: 'no files here' })]) {
        const res = await t.app.inject({ method: 'POST', url: `/api/v1/loan-bookings/${booking}/documents`, headers: { authorization: analyst.authorization, ...mp.headers }, payload: mp.payload });
        expect(res.statusCode, res.body).toBe(422);
        expect(problem(res)).toMatchObject({ error_code: 'VALIDATION_FAILED', field_errors: { files: [expect.any(String)] } });
      }
      await expectNothingLeft(t, analyst, booking);
    });

    it('415 for a body that is not multipart', async () => {
      const booking = await createBooking(t, analyst);
      const bodies: [string, string | Buffer][] = [
        ['application/json', JSON.stringify({ files: ['a'] })],
        ['application/octet-stream', makeTextPdf(['raw'])],
        ['application/pdf', makeTextPdf(['raw'])],
        ['text/plain', 'hello'],
      ];
      for (const [type, payload] of bodies) {
        const res = await t.app.inject({ method: 'POST', url: `/api/v1/loan-bookings/${booking}/documents`, headers: { authorization: analyst.authorization, 'content-type': type }, payload });
        expect(res.statusCode, `${type}: ${res.body}`).toBe(415);
        expect(problem(res).error_code).toBe('UNSUPPORTED_MEDIA_TYPE');
      }
      await expectNothingLeft(t, analyst, booking);
    });

    it('400 for a multipart body cut short, inside a file or between parts: nothing stored', async () => {
      const booking = await createBooking(t, analyst);
      const boundary = newBoundary();
      const insideFile = Buffer.concat([filePartHead(boundary, { name: 'cut.txt', type: 'text/plain' }), text('never finished', 20_000)]);
      const betweenParts = Buffer.concat([filePartHead(boundary, { name: 'whole.txt', type: 'text/plain' }), text('complete part', 2_000), Buffer.from('\r\n')]);
      const inHead = Buffer.concat([filePartHead(boundary, { name: 'tiny.txt', type: 'text/plain' }), text('short', 100)]);
      for (const payload of [insideFile, betweenParts, inHead]) {
        const res = await t.app.inject({
          method: 'POST',
          url: `/api/v1/loan-bookings/${booking}/documents`,
          headers: { authorization: analyst.authorization, 'content-type': `multipart/form-data; boundary=${boundary}` },
          payload,
        });
        expect(res.statusCode, res.body).toBe(400);
        expect(problem(res).error_code).toBe('BAD_REQUEST');
      }
      await expectNothingLeft(t, analyst, booking);
    });
  });

  describe('roles', () => {
    it('401 without a token, 403 for a viewer; nothing stored', async () => {
      const booking = await createBooking(t, analyst);
      const mp = multipart([{ name: 'a.txt', type: 'text/plain', data: text('no token') }]);
      const anon = await t.app.inject({ method: 'POST', url: `/api/v1/loan-bookings/${booking}/documents`, headers: mp.headers, payload: mp.payload });
      expect(anon.statusCode).toBe(401);
      const res = await upload(t, viewer, booking, [{ name: 'a.txt', type: 'text/plain', data: text('viewer upload') }]);
      expect(res.statusCode).toBe(403);
      await expectNothingLeft(t, analyst, booking);
    });
  });

  describe('legacy one-call POST /api/v1/loan-bookings (multipart fields + files)', () => {
    it('creates the booking and its documents', async () => {
      const mp = multipart([{ name: 'a.txt', type: 'text/plain', data: text('legacy term sheet') }, { name: 'b.pdf', type: 'application/pdf', data: makeTextPdf(['legacy agreement']) }], {
        customer_name: 'Legacy Co',
        product_id: 'term-loans',
        external_reference: 'LEG-1',
      });
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/loan-bookings', headers: { authorization: analyst.authorization, ...mp.headers }, payload: mp.payload });
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json<{ id: string; customer_name: string; external_reference: string; status: string; documents: DocView[] }>();
      expect(body).toMatchObject({ customer_name: 'Legacy Co', external_reference: 'LEG-1', status: 'documents_received' });
      expect(res.headers.location).toBe(`/api/v1/loan-bookings/${body.id}`);
      expect(body.documents.map((d) => d.file_name)).toEqual(['a.txt', 'b.pdf']);
      expect(body.documents.every((d) => d.loan_booking_id === body.id)).toBe(true);
      expect((await listBookingDocs(t, analyst, body.id)).map((d) => d.id).sort()).toEqual(body.documents.map((d) => d.id).sort());
      expect(await blobKeysOf(t, analyst.tenantId, body.id)).toHaveLength(2);
    });

    it('422 for bad fields, 415 for a bad file, 422 for an unknown product: no booking, no blob left behind', async () => {
      const tenant = 'legacy-clean';
      const who = await t.auth('analyst', tenant);
      const attempts: { fields: Record<string, string>; file: { name: string; type: string; data: Buffer }; status: number; code: string }[] = [
        { fields: { product_id: 'term-loans' }, file: { name: 'a.txt', type: 'text/plain', data: text('missing customer') }, status: 422, code: 'VALIDATION_FAILED' },
        { fields: { customer_name: 'X', product_id: 'term-loans', colour: 'blue' }, file: { name: 'a.txt', type: 'text/plain', data: text('unknown field') }, status: 422, code: 'VALIDATION_FAILED' },
        { fields: { customer_name: 'X', product_id: 'no-such-product' }, file: { name: 'a.txt', type: 'text/plain', data: text('unknown product') }, status: 422, code: 'UNKNOWN_PRODUCT' },
        { fields: { customer_name: 'X', product_id: 'term-loans' }, file: { name: 'a.pdf', type: 'application/pdf', data: makeElfExecutable() }, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
        { fields: { customer_name: 'X', product_id: 'term-loans' }, file: { name: 'a.pdf', type: 'application/pdf', data: makeEncryptedPdf() }, status: 422, code: 'UNPROCESSABLE_DOCUMENT' },
      ];
      for (const a of attempts) {
        const mp = multipart([a.file], a.fields);
        const res = await t.app.inject({ method: 'POST', url: '/api/v1/loan-bookings', headers: { authorization: who.authorization, ...mp.headers }, payload: mp.payload });
        expect(res.statusCode, res.body).toBe(a.status);
        expect(problem(res).error_code).toBe(a.code);
      }
      const bookings = await t.app.inject({ method: 'GET', url: '/api/v1/loan-bookings', headers: { authorization: who.authorization } });
      expect(bookings.json().items).toEqual([]);
      expect((await t.app.services.blob.list(`tenants/${tenant}/`)).keys).toEqual([]);
      const docs = await t.app.inject({ method: 'GET', url: '/api/v1/documents', headers: { authorization: who.authorization } });
      expect(docs.json().items).toEqual([]);
      expect(await diskTempFiles(t)).toEqual([]);
    });
  });

  describe('client disconnect mid-upload (real HTTP)', () => {
    let base: { port: number };
    beforeAll(async () => {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      base = { port: (t.app.server.address() as AddressInfo).port };
    });

    it('after a first file was stored and a second was half sent: nothing visible, blob and temp file removed', async () => {
      const booking = await createBooking(t, analyst);
      const boundary = newBoundary();
      const first = text('first file complete', 20_000);
      const second = text('second file never finishes', 40_000);
      const req = httpRequest({
        host: '127.0.0.1',
        port: base.port,
        method: 'POST',
        path: `/api/v1/loan-bookings/${booking}/documents`,
        headers: { authorization: analyst.authorization, 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' },
      });
      const outcome = new Promise<string>((resolve) => {
        req.on('error', (err) => resolve(`error: ${err.message}`));
        req.on('response', (res) => resolve(`response: ${res.statusCode}`));
      });
      req.write(Buffer.concat([filePartHead(boundary, { name: 'first.txt', type: 'text/plain' }), first, Buffer.from('\r\n')]));
      req.write(Buffer.concat([filePartHead(boundary, { name: 'second.txt', type: 'text/plain' }), second.subarray(0, 20_000)]));
      // The first file is committed to storage and the second is being written to a temp file.
      await waitFor('first blob stored', async () => ((await blobKeysOf(t, analyst.tenantId, booking)).length === 1 ? true : undefined), 10_000, 20);
      await waitFor('second file in a temp file', async () => ((await diskTempFiles(t)).some((n) => n.endsWith('.part')) ? true : undefined), 10_000, 20);
      req.destroy();
      expect(await outcome).toMatch(/^error/);
      await waitFor(
        'the interrupted upload to be cleaned up',
        async () => ((await blobKeysOf(t, analyst.tenantId, booking)).length === 0 && (await diskTempFiles(t)).length === 0 ? true : undefined),
        10_000,
        50,
      );
      await expectNothingLeft(t, analyst, booking);
      // The server is still serving.
      const [ok] = await uploadOk(t, analyst, booking, [{ name: 'after.txt', type: 'text/plain', data: text('after the disconnect') }]);
      expect(ok!.status).toBe('uploaded');
    });
  });
});
