import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { makeDocx, makeJpeg, makePng, makeScannedPdf, makeTextPdf, makeTiff } from '../../helpers/fixtures.js';
import { createBooking, uploadOk, waitFor, type Caller } from '../../http/documents/support.js';
import { AppError } from '../../../src/lib/errors.js';
import { newId } from '../../../src/lib/ids.js';
import { createDiskBlobStore, type DiskBlobStore } from '../../../src/lib/blob-store/disk-blob-store.js';
import { createOcrEngine, type OcrEngine } from '../../../src/lib/text-extraction/index.js';
import type { JobContext } from '../../../src/lib/job-queue/job-queue.js';
import { createProcessHandler, createSweeper, type ProcessingDeps } from '../../../src/modules/documents/processing.js';
import { startWorkers, type Workers } from '../../../src/jobs.js';

/**
 * The document.process job and the maintenance sweep on a real app (PGlite, disk blobs, pg-boss,
 * tesseract). The handler is called directly, as the queue would, so each delivery is under the
 * test's control; the last test runs the real workers to prove a transient failure is retried.
 */

/** The disk store with one switch: `failLocalPath` makes the next reads of a blob fail as if storage were down. */
function faultyDiskStore(root: string): DiskBlobStore & { failLocalPath: number } {
  const disk = createDiskBlobStore({ root });
  const store = {
    ...disk,
    failLocalPath: 0,
    localPath(key: string): string {
      if (store.failLocalPath > 0) {
        store.failLocalPath--;
        throw new AppError('DEPENDENCY_UNAVAILABLE', 'Blob storage is unavailable');
      }
      return disk.localPath(key);
    },
  };
  return store;
}

describe('document processing and maintenance', () => {
  let t: TestApp;
  let blobRoot: string;
  let blob: ReturnType<typeof faultyDiskStore>;
  let ocr: OcrEngine;
  let analyst: Caller;
  let booking: string;

  beforeAll(async () => {
    blobRoot = mkdtempSync(path.join(tmpdir(), 'cls-proc-blobs-'));
    blob = faultyDiskStore(blobRoot);
    t = await createTestApp({ build: { blob } });
    ocr = createOcrEngine();
    analyst = await t.auth('analyst');
    booking = await createBooking(t, analyst);
  });
  afterAll(async () => {
    await ocr?.close();
    await t?.close();
    rmSync(blobRoot, { recursive: true, force: true });
  });

  /** Dependencies as startWorkers builds them, with a registry of their own (metrics register once per registry). */
  function deps(overrides: Partial<ProcessingDeps> = {}): ProcessingDeps {
    const s = t.app.services;
    return {
      config: s.config,
      store: s.stores.documents,
      blob: s.blob,
      queue: s.queue,
      bookings: s.loanBookings,
      idempotency: s.stores.idempotency,
      clock: s.clock,
      metrics: new Registry(),
      log: s.log,
      ocr: () => ocr,
      knowledgeBaseConfigured: false,
      ...overrides,
    };
  }

  function job(doc: { id: string }, over: Partial<Omit<JobContext, 'data'>> = {}): JobContext<{ tenantId: string; documentId: string }> {
    return {
      id: newId(),
      name: 'document.process',
      data: { tenantId: analyst.tenantId, documentId: doc.id },
      retryCount: 0,
      isFinalAttempt: false,
      signal: new AbortController().signal,
      ...over,
    };
  }

  const record = (id: string) => t.app.services.stores.documents.find(analyst.tenantId, id);
  const pages = (id: string) => t.app.services.stores.documents.getPages(analyst.tenantId, id, { from: 1, limit: 100 });
  async function passageCount(id: string): Promise<number> {
    const r = await t.database.executeSql('select count(*)::int as n from document_passages where document_id = $1', [id]);
    return (r.rows[0] as { n: number }).n;
  }
  async function waitingJobs(id: string): Promise<number> {
    const r = await t.database.executeSql(`select count(*)::int as n from pgboss.job where name = 'document.process' and singleton_key = $1 and state in ('created', 'retry')`, [id]);
    return (r.rows[0] as { n: number }).n;
  }

  describe('extraction per kind', () => {
    it('text PDF, DOCX, HTML and plain text: pages, method and classification stored', async () => {
      const docs = await uploadOk(t, analyst, booking, [
        { name: 'agreement.pdf', type: 'application/pdf', data: makeTextPdf(['CREDIT AGREEMENT\namong Acme Corp and the Lenders party hereto', 'Page two: governing law']) },
        { name: 'amendment.docx', type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', data: makeDocx(['AMENDMENT NO. 2 TO CREDIT AGREEMENT', '\f', 'Second page of the amendment']) },
        { name: 'sheet.html', type: 'text/html', data: Buffer.from('<html><body><h1>TERM SHEET</h1><p>Indicative terms &amp; conditions</p><script>alert(1)</script></body></html>') },
        { name: 'note.txt', type: 'text/plain', data: Buffer.from('PROMISSORY NOTE\n\nFOR VALUE RECEIVED the Borrower promises to pay.\fPage two of the note.') },
      ]);
      const handler = createProcessHandler(deps());
      for (const d of docs) await handler(job(d));
      const [pdf, docx, html, txt] = await Promise.all(docs.map((d) => record(d.id)));
      expect(pdf).toMatchObject({ status: 'processed', pageCount: 2, ocrPages: 0, documentType: 'credit_agreement', attempts: 1, leaseToken: null });
      expect(docx).toMatchObject({ status: 'processed', pageCount: 2, documentType: 'amendment' });
      expect(html).toMatchObject({ status: 'processed', pageCount: 1, documentType: 'term_sheet' });
      expect(txt).toMatchObject({ status: 'processed', pageCount: 2, documentType: 'promissory_note' });
      expect((await pages(docs[0]!.id)).map((p) => [p.page, p.method])).toEqual([
        [1, 'text-layer'],
        [2, 'text-layer'],
      ]);
      expect((await pages(docs[1]!.id)).map((p) => p.method)).toEqual(['docx', 'docx']);
      const htmlText = (await pages(docs[2]!.id))[0]!.text;
      expect(htmlText).toContain('Indicative terms & conditions');
      expect(htmlText).not.toContain('alert(1)');
      expect((await pages(docs[3]!.id)).map((p) => p.text)).toEqual(['PROMISSORY NOTE\n\nFOR VALUE RECEIVED the Borrower promises to pay.', 'Page two of the note.']);
      for (const d of docs) expect(await passageCount(d.id)).toBeGreaterThan(0);
    });

    it('scanned PDF, PNG, JPEG and TIFF are read by OCR', async () => {
      const docs = await uploadOk(t, analyst, booking, [
        { name: 'scan.pdf', type: 'application/pdf', data: await makeScannedPdf(['SECURITY AGREEMENT']) },
        { name: 'photo.png', type: 'image/png', data: await makePng('PROMISSORY NOTE') },
        { name: 'photo.jpg', type: 'image/jpeg', data: await makeJpeg('TERM SHEET') },
        { name: 'fax.tiff', type: 'image/tiff', data: await makeTiff(['CREDIT AGREEMENT']) },
      ]);
      const registry = new Registry();
      const handler = createProcessHandler(deps({ metrics: registry }));
      for (const d of docs) await handler(job(d));
      const expected = [
        ['SECURITY AGREEMENT', 'security_agreement'],
        ['PROMISSORY NOTE', 'promissory_note'],
        ['TERM SHEET', 'term_sheet'],
        ['CREDIT AGREEMENT', 'credit_agreement'],
      ];
      for (const [i, d] of docs.entries()) {
        const rec = await record(d.id);
        expect(rec, d.file_name).toMatchObject({ status: 'processed', pageCount: 1, ocrPages: 1, documentType: expected[i]![1] });
        const [page] = await pages(d.id);
        expect(page!.method).toBe('ocr');
        expect(page!.text.toUpperCase()).toContain(expected[i]![0]);
      }
      const metrics = await registry.metrics();
      expect(metrics).toMatch(/^document_ocr_pages_total 4$/m);
      expect(metrics).toMatch(/^document_ocr_duration_seconds_count 4$/m);
    });
  });

  describe('failures', () => {
    it('a permanent failure (unreadable image) ends failed with an error code on the first delivery', async () => {
      const png = await makePng('X');
      const [doc] = await uploadOk(t, analyst, booking, [{ name: 'broken.png', type: 'image/png', data: Buffer.concat([png.subarray(0, 33), Buffer.alloc(1024, 0x42)]) }]);
      await createProcessHandler(deps())(job(doc!));
      expect(await record(doc!.id)).toMatchObject({ status: 'failed', errorCode: 'malformed_image', leaseToken: null });
      expect(await pages(doc!.id)).toEqual([]);
    });

    it('a blob gone missing is a permanent failure (BLOB_NOT_FOUND), not retried', async () => {
      const [doc] = await uploadOk(t, analyst, booking, [{ name: 'gone.txt', type: 'text/plain', data: Buffer.from(`gone ${newId()}`) }]);
      const rec = await record(doc!.id);
      await t.app.services.blob.delete(rec!.blobKey);
      await createProcessHandler(deps())(job(doc!));
      expect(await record(doc!.id)).toMatchObject({ status: 'failed', errorCode: 'BLOB_NOT_FOUND' });
    });

    it('a transient failure gives the document back for the retry; the final attempt fails it with the code', async () => {
      const [doc] = await uploadOk(t, analyst, booking, [{ name: 'flaky.txt', type: 'text/plain', data: Buffer.from(`flaky ${newId()}`) }]);
      const handler = createProcessHandler(deps());
      blob.failLocalPath = 1;
      await expect(handler(job(doc!))).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
      expect(await record(doc!.id)).toMatchObject({ status: 'uploaded', errorMessage: 'Processing will be retried', leaseToken: null, attempts: 1 });
      // The retry succeeds.
      await handler(job(doc!, { retryCount: 1 }));
      expect(await record(doc!.id)).toMatchObject({ status: 'processed', attempts: 2 });

      const [other] = await uploadOk(t, analyst, booking, [{ name: 'down.txt', type: 'text/plain', data: Buffer.from(`down ${newId()}`) }]);
      blob.failLocalPath = 1;
      await handler(job(other!, { retryCount: 3, isFinalAttempt: true }));
      expect(await record(other!.id)).toMatchObject({ status: 'failed', errorCode: 'DEPENDENCY_UNAVAILABLE', errorMessage: 'The document could not be processed' });
    });
  });

  describe('bounded by the lease', () => {
    it('an extraction that never returns ends failed (processing_timeout) when the lease runs out, freeing the worker', async () => {
      const [doc] = await uploadOk(t, analyst, booking, [{ name: 'stuck.png', type: 'image/png', data: await makePng('NEVER READ') }]);
      const s = t.app.services;
      const config = { ...s.config, worker: { ...s.config.worker, processingTimeoutSeconds: 2 } };
      const hungOcr: OcrEngine = { recognize: () => new Promise<string>(() => undefined), close: () => Promise.resolve() };
      const started = Date.now();
      await createProcessHandler(deps({ config, ocr: () => hungOcr }))(job(doc!));
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await record(doc!.id)).toMatchObject({ status: 'failed', errorCode: 'processing_timeout', leaseToken: null });
      expect((await record(doc!.id))!.errorMessage).toMatch(/longer than 2 s/);
    });
  });

  describe('at-least-once delivery', () => {
    it('a redelivered job for a processed document changes nothing: one set of pages and passages', async () => {
      const [doc] = await uploadOk(t, analyst, booking, [{ name: 'twice.pdf', type: 'application/pdf', data: makeTextPdf(['TERM SHEET for the Acme facility', 'Second page of the term sheet', 'Third page of the term sheet']) }]);
      const handler = createProcessHandler(deps());
      await handler(job(doc!));
      const first = await record(doc!.id);
      const passages = await passageCount(doc!.id);
      await handler(job(doc!));
      await handler(job(doc!, { retryCount: 1 }));
      const after = await record(doc!.id);
      expect(after).toMatchObject({ status: 'processed', attempts: 1, processedAt: first!.processedAt });
      expect(await pages(doc!.id)).toHaveLength(3);
      expect(await passageCount(doc!.id)).toBe(passages);
    });

    it('two workers racing on one document: exactly one claims it and one set of pages is stored', async () => {
      const [doc] = await uploadOk(t, analyst, booking, [{ name: 'race.pdf', type: 'application/pdf', data: makeTextPdf(['CREDIT AGREEMENT raced by two workers', 'Second page of the raced agreement']) }]);
      const store = t.app.services.stores.documents;
      const claims = await Promise.all(Array.from({ length: 6 }, () => store.claimForProcessing(analyst.tenantId, doc!.id, new Date(), 60_000)));
      expect(claims.filter((c) => c.claimed)).toHaveLength(1);
      // Give it back and race two full handlers.
      const winner = claims.find((c) => c.claimed) as { token: string };
      expect(await store.releaseProcessing(analyst.tenantId, doc!.id, winner.token, 'test')).toBe(true);
      const registry = new Registry();
      const handler = createProcessHandler(deps({ metrics: registry }));
      await Promise.all([handler(job(doc!)), handler(job(doc!))]);
      expect(await record(doc!.id)).toMatchObject({ status: 'processed', attempts: 2 });
      expect(await pages(doc!.id)).toHaveLength(2);
      expect(await registry.metrics()).toMatch(/^document_processing_duration_seconds_count\{outcome="processed"\} 1$/m);
    });

    it('a worker that died mid-processing (lease expired) is taken over; its late result is discarded', async () => {
      const [doc] = await uploadOk(t, analyst, booking, [{ name: 'lease.txt', type: 'text/plain', data: Buffer.from(`lease takeover ${newId()}`) }]);
      const store = t.app.services.stores.documents;
      const dead = await store.claimForProcessing(analyst.tenantId, doc!.id, new Date(), 1);
      expect(dead.claimed).toBe(true);
      await new Promise((r) => setTimeout(r, 5));
      await createProcessHandler(deps())(job(doc!));
      expect(await record(doc!.id)).toMatchObject({ status: 'processed', attempts: 2 });
      // The dead worker wakes up and reports: its lease is gone, so nothing it says is stored.
      const late = await store.completeProcessing(analyst.tenantId, doc!.id, (dead as { token: string }).token, {
        pages: [{ page: 1, text: 'stale', method: 'plain' }],
        passages: [],
        pageCount: 1,
        ocrPages: 0,
        documentType: 'other',
        documentTypeConfidence: 0,
        processedAt: new Date(),
      });
      expect(late).toBe(false);
      expect((await pages(doc!.id)).map((p) => p.text)).toEqual([expect.stringContaining('lease takeover')]);
      expect(await store.failProcessing(analyst.tenantId, doc!.id, (dead as { token: string }).token, 'x', 'x', new Date())).toBe(false);
    });
  });

  describe('maintenance sweep', () => {
    it('re-enqueues a document whose job was lost and one whose worker died, once', async () => {
      const [lost, dead] = await uploadOk(t, analyst, booking, [
        { name: 'lost.txt', type: 'text/plain', data: Buffer.from(`lost job ${newId()}`) },
        { name: 'dead.txt', type: 'text/plain', data: Buffer.from(`dead worker ${newId()}`) },
      ]);
      expect(await waitingJobs(lost!.id)).toBe(1);
      await t.database.executeSql(`delete from pgboss.job where singleton_key = $1 or singleton_key = $2`, [lost!.id, dead!.id]);
      const claim = await t.app.services.stores.documents.claimForProcessing(analyst.tenantId, dead!.id, new Date(), 1);
      expect(claim.claimed).toBe(true);
      await new Promise((r) => setTimeout(r, 5));
      const sweep = createSweeper(deps());

      // Fresh uploads are not stuck yet; the expired lease is.
      await sweep({ stuckAfterMs: 60_000 });
      expect(await waitingJobs(lost!.id)).toBe(0);
      expect(await waitingJobs(dead!.id)).toBe(1);

      const result = await sweep({ stuckAfterMs: 0 });
      expect(await waitingJobs(lost!.id)).toBe(1);
      expect(result.requeued).toBeGreaterThanOrEqual(1);
      // A job already waiting is not doubled.
      await sweep({ stuckAfterMs: 0 });
      expect(await waitingJobs(lost!.id)).toBe(1);
      expect(await waitingJobs(dead!.id)).toBe(1);

      const handler = createProcessHandler(deps());
      await handler(job(lost!));
      await handler(job(dead!));
      expect(await record(lost!.id)).toMatchObject({ status: 'processed' });
      expect(await record(dead!.id)).toMatchObject({ status: 'processed' });
    });

    it('deletes orphan blobs older than the grace period, keeps younger ones and every live document\'s blob', async () => {
      const live = await uploadOk(t, analyst, booking, [{ name: 'live.txt', type: 'text/plain', data: Buffer.from(`live ${newId()}`) }]);
      const deleted = await uploadOk(t, analyst, booking, [{ name: 'deleted.txt', type: 'text/plain', data: Buffer.from(`deleted ${newId()}`) }]);
      // A delete that died after hiding the row and before removing the blob.
      const deletedRec = await t.app.services.stores.documents.softDelete(analyst.tenantId, deleted[0]!.id, new Date());
      expect(await t.app.services.blob.head(deletedRec!.blobKey)).toBeDefined();
      // An upload that died after storing its blob and before writing its row.
      const orphanKey = `tenants/${analyst.tenantId}/loan-bookings/${booking}/documents/${newId()}/original`;
      await t.app.services.blob.put(orphanKey, Readable.from([Buffer.from('orphan')]));
      const before = (await t.app.services.blob.list('tenants/')).keys.map((k) => k.key);

      const sweep = createSweeper(deps());
      const young = await sweep({ orphanGraceMs: 60_000 });
      expect(young.orphansDeleted).toBe(0);
      expect((await t.app.services.blob.list('tenants/')).keys.map((k) => k.key)).toEqual(before);

      await new Promise((r) => setTimeout(r, 1100));
      const old = await sweep({ orphanGraceMs: 1000 });
      expect(old.orphansDeleted).toBe(2);
      const after = (await t.app.services.blob.list('tenants/')).keys.map((k) => k.key);
      expect(after).toEqual(before.filter((k) => k !== orphanKey && k !== deletedRec!.blobKey));
      const liveRec = await record(live[0]!.id);
      expect(after).toContain(liveRec!.blobKey);
      // Every live document still has its blob.
      const all = await t.app.services.stores.documents.list(analyst.tenantId, {}, { limit: 1000 });
      for (const d of all.filter((x) => x.fileName !== 'gone.txt')) expect(await t.app.services.blob.head(d.blobKey), d.fileName).toBeDefined();
      // Settle it so that no job of this file waits when the real workers start below.
      await createProcessHandler(deps())(job(live[0]!));
    });

    it('removes stale temp files (disk store .tmp and local S3 copies), keeps fresh ones', async () => {
      const diskTmp = path.join(blobRoot, '.tmp');
      const copies = path.join(t.config.dataDir, 'tmp');
      await mkdir(diskTmp, { recursive: true });
      await mkdir(copies, { recursive: true });
      const past = new Date(Date.now() - 3600_000);
      for (const dir of [diskTmp, copies]) {
        await writeFile(path.join(dir, 'stale.part'), 'x');
        await utimes(path.join(dir, 'stale.part'), past, past);
        await writeFile(path.join(dir, 'fresh.part'), 'y');
      }
      const result = await createSweeper(deps())({ orphanGraceMs: 60_000 });
      expect(result.tempFilesDeleted).toBe(2);
      expect(await readdir(diskTmp)).toEqual(['fresh.part']);
      expect(await readdir(copies)).toEqual(['fresh.part']);
    });
  });

  describe('the pg-boss queue port', () => {
    it('a singleton key keeps one waiting job; a running job does not block a new one', async () => {
      const queue = t.app.services.queue;
      const key = `test-${newId()}`;
      const data = { tenantId: 'nobody', documentId: key };
      const first = await queue.send('maintenance.sweep', data, { singletonKey: key });
      expect(first).toEqual(expect.any(String));
      expect(await queue.send('maintenance.sweep', data, { singletonKey: key })).toBeNull();
      expect((await queue.stats())['maintenance.sweep']).toMatchObject({ queued: 1, active: 0 });
      // Its worker took it (and may have died): a new send is accepted.
      await t.database.executeSql(`update pgboss.job set state = 'active', started_on = now() where id = $1`, [first]);
      const second = await queue.send('maintenance.sweep', data, { singletonKey: key });
      expect(second).toEqual(expect.any(String));
      expect(second).not.toBe(first);
      expect((await queue.stats())['maintenance.sweep']).toMatchObject({ queued: 1, active: 1 });
      // Without a key nothing is deduplicated; a delayed job waits for its time.
      const later = await queue.send('maintenance.sweep', data, { startAfterSeconds: 3600 });
      const row = await t.database.executeSql(`select start_after > now() + interval '50 minutes' as later from pgboss.job where id = $1`, [later]);
      expect((row.rows[0] as { later: boolean }).later).toBe(true);
      await t.database.executeSql(`delete from pgboss.job where name = 'maintenance.sweep'`, []);
    });
  });

  describe('through the real queue', () => {
    let workers: Workers | undefined;
    afterAll(async () => {
      await workers?.stop();
    });

    it('a transient failure is retried by the queue with backoff and the document ends processed', async () => {
      const [doc] = await uploadOk(t, analyst, booking, [{ name: 'retry.docx', type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', data: makeDocx(['TERM SHEET', `retry ${newId()}`]) }]);
      blob.failLocalPath = 1;
      workers = await startWorkers(t.app.services);
      // First delivery fails: the job waits for its retry and the document is back to uploaded.
      await waitFor(
        'the first delivery to fail',
        async () => {
          const r = await t.database.executeSql(`select state, retry_count from pgboss.job where name = 'document.process' and singleton_key = $1 and state = 'retry'`, [doc!.id]);
          return r.rows.length === 1 ? r.rows[0] : undefined;
        },
        30_000,
        100,
      );
      expect(await record(doc!.id)).toMatchObject({ status: 'uploaded', errorMessage: 'Processing will be retried' });
      const done = await waitFor('the retry to process the document', async () => {
        const r = await record(doc!.id);
        return r?.status === 'processed' || r?.status === 'failed' ? r : undefined;
      }, 40_000, 200);
      expect(done).toMatchObject({ status: 'processed', attempts: 2, documentType: 'term_sheet' });
    }, 90_000);
  });
});

