import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { startS3rver, S3RVER_CREDENTIALS, type RunningS3rver } from '../../helpers/s3rver.js';
import { makeEncryptedPdf, makeTextPdf } from '../../helpers/fixtures.js';
import { startWorkers, type Workers } from '../../../src/jobs.js';
import { blobKeysOf, createBooking, expectNothingLeft, listBookingDocs, problem, upload, uploadOk, waitForStatus, type Caller } from './support.js';

/**
 * The same upload, processing, download and delete flow with BLOB_STORE=s3 against s3rver: the S3
 * adapter as the app builds it from configuration (path-style endpoint, no SSE on the emulator).
 */

async function localCopies(t: TestApp): Promise<string[]> {
  try {
    return await readdir(path.join(t.config.dataDir, 'tmp'));
  } catch {
    return [];
  }
}

describe('documents on S3 (s3rver)', () => {
  let s3: RunningS3rver;
  let t: TestApp;
  let presigning: TestApp;
  let workers: Workers;
  let analyst: Caller;
  let s3Env: Record<string, string>;

  beforeAll(async () => {
    s3 = await startS3rver('cls-documents');
    // The SDK's default credential chain reads these; the service's config never holds keys.
    process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
    s3Env = {
      BLOB_STORE: 's3',
      S3_BUCKET: s3.bucket,
      S3_ENDPOINT: s3.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_SSE: 'none',
      AWS_REGION: 'us-east-1',
      UPLOAD_MAX_FILE_BYTES: '100000',
    };
    t = await createTestApp({ env: s3Env });
    expect(t.app.services.blob.kind).toBe('s3');
    workers = await startWorkers(t.app.services);
    analyst = await t.auth('analyst');
  });
  afterAll(async () => {
    await workers?.stop();
    await presigning?.close();
    await t?.close();
    await s3?.stop();
  });

  it('uploads, processes, downloads (whole and ranges), and deletes', async () => {
    const booking = await createBooking(t, analyst);
    const pdf = makeTextPdf(['CREDIT AGREEMENT stored in S3', 'This Agreement shall be governed by\nthe law of the State of New York.']);
    const [doc] = await uploadOk(t, analyst, booking, [{ name: 'agreement.pdf', type: 'application/pdf', data: pdf }]);
    expect(doc).toMatchObject({ size_bytes: pdf.length, page_count: 2, status: 'uploaded' });
    const key = `tenants/${analyst.tenantId}/loan-bookings/${booking}/documents/${doc!.id}/original`;
    expect(await blobKeysOf(t, analyst.tenantId, booking)).toEqual([key]);
    expect((await t.app.services.blob.head(key))?.size).toBe(pdf.length);
    const processed = await waitForStatus(t, analyst, doc!.id);
    expect(processed).toMatchObject({ status: 'processed', document_type: 'credit_agreement' });
    // Validation and extraction read the object through local copies, which are gone again.
    expect(await localCopies(t)).toEqual([]);
    const search = await t.app.inject({ method: 'GET', url: `/api/v1/loan-bookings/${booking}/search?q=governed`, headers: { authorization: analyst.authorization } });
    expect(search.json<{ items: { page: number }[] }>().items[0]!.page).toBe(2);

    const url = `/api/v1/documents/${doc!.id}/content`;
    const whole = await t.app.inject({ method: 'GET', url, headers: { authorization: analyst.authorization } });
    expect(whole.statusCode).toBe(200);
    expect(whole.rawPayload.equals(pdf)).toBe(true);
    expect(whole.headers).toMatchObject({ etag: `"${doc!.sha256}"`, 'x-content-type-options': 'nosniff', 'content-length': String(pdf.length) });
    expect(whole.headers['content-disposition']).toMatch(/^attachment; /);

    const ranges: [string, number, number][] = [
      ['bytes=0-7', 0, 7],
      ['bytes=-10', pdf.length - 10, pdf.length - 1],
      [`bytes=${pdf.length - 3}-`, pdf.length - 3, pdf.length - 1],
    ];
    for (const [range, start, end] of ranges) {
      const res = await t.app.inject({ method: 'GET', url, headers: { authorization: analyst.authorization, range } });
      expect(res.statusCode, range).toBe(206);
      expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${pdf.length}`);
      expect(res.rawPayload.equals(pdf.subarray(start, end + 1)), range).toBe(true);
    }
    const unsatisfiable = await t.app.inject({ method: 'GET', url, headers: { authorization: analyst.authorization, range: `bytes=${pdf.length}-` } });
    expect(unsatisfiable.statusCode).toBe(416);
    const notModified = await t.app.inject({ method: 'GET', url, headers: { authorization: analyst.authorization, 'if-none-match': `"${doc!.sha256}"` } });
    expect(notModified.statusCode).toBe(304);

    const dup = await uploadOk(t, analyst, booking, [{ name: 'again.pdf', type: 'application/pdf', data: pdf }]);
    expect(dup[0]).toMatchObject({ id: doc!.id, duplicate: true });
    expect(await blobKeysOf(t, analyst.tenantId, booking)).toEqual([key]);

    const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/documents/${doc!.id}`, headers: { authorization: analyst.authorization } });
    expect(del.statusCode).toBe(204);
    expect(await t.app.services.blob.head(key)).toBeUndefined();
    expect(await listBookingDocs(t, analyst, booking)).toEqual([]);
    expect((await t.app.inject({ method: 'GET', url, headers: { authorization: analyst.authorization } })).statusCode).toBe(404);
  });

  it('refused uploads leave no object and no local copy: 422 after deep validation, 413 mid-stream', async () => {
    const booking = await createBooking(t, analyst);
    const encrypted = await upload(t, analyst, booking, [{ name: 'locked.pdf', type: 'application/pdf', data: makeEncryptedPdf() }]);
    expect(encrypted.statusCode).toBe(422);
    expect(problem(encrypted).details?.reason).toBe('encrypted_pdf');
    const big = await upload(t, analyst, booking, [
      { name: 'ok.txt', type: 'text/plain', data: Buffer.from('a small first file that is stored first') },
      { name: 'big.txt', type: 'text/plain', data: Buffer.alloc(100_001, 0x61) },
    ]);
    expect(big.statusCode).toBe(413);
    expect(problem(big).details).toMatchObject({ limit: 'file_bytes' });
    await expectNothingLeft(t, analyst, booking);
    expect(await localCopies(t)).toEqual([]);
    expect((await t.app.services.blob.list(`tenants/${analyst.tenantId}/loan-bookings/${booking}/`)).keys).toEqual([]);
  });

  it('with presigned downloads, a whole download redirects to a short-lived S3 URL; ranges still stream', async () => {
    presigning = await createTestApp({ env: { ...s3Env, S3_PRESIGNED_DOWNLOADS: 'true' }, database: t.database });
    const who = await presigning.auth('analyst');
    const booking = await createBooking(presigning, who);
    const text = Buffer.from('Presigned download body, plain text, served by S3 directly.');
    const [doc] = await uploadOk(presigning, who, booking, [{ name: 'note.txt', type: 'text/plain', data: text }]);
    const res = await presigning.app.inject({ method: 'GET', url: `/api/v1/documents/${doc!.id}/content`, headers: { authorization: who.authorization } });
    expect(res.statusCode).toBe(302);
    const location = res.headers.location as string;
    expect(location.startsWith(`${s3.endpoint}/${s3.bucket}/`)).toBe(true);
    expect(location).toContain('X-Amz-Expires=300');
    const fetched = await fetch(location);
    expect(fetched.status).toBe(200);
    expect(Buffer.from(await fetched.arrayBuffer()).equals(text)).toBe(true);
    expect(fetched.headers.get('content-disposition')).toMatch(/^attachment; /);
    const ranged = await presigning.app.inject({ method: 'GET', url: `/api/v1/documents/${doc!.id}/content`, headers: { authorization: who.authorization, range: 'bytes=0-8' } });
    expect(ranged.statusCode).toBe(206);
    expect(ranged.body).toBe('Presigned');
  });

  it('storage down: the upload fails with 503 and no document is recorded', async () => {
    const booking = await createBooking(t, analyst);
    await s3.stop();
    const res = await upload(t, analyst, booking, [{ name: 'a.txt', type: 'text/plain', data: Buffer.from('storage is down now') }]);
    expect(res.statusCode).toBe(503);
    expect(problem(res).error_code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(res.body).not.toContain(s3.bucket);
    expect(res.body).not.toContain('127.0.0.1');
    expect(await listBookingDocs(t, analyst, booking)).toEqual([]);
    expect(await localCopies(t)).toEqual([]);
  });
});
