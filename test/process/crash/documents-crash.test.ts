import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adminToken, killAllServerProcesses, startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { makeScannedPdf } from '../../helpers/fixtures.js';
import { TENANT, api, diskBlobs, metric, startStalledUpload, until, uploadFiles, type DocView as Doc } from '../../helpers/crash-drill.js';

/**
 * Crash drills on the real process with the embedded PGlite and disk storage: kill -9 in the middle
 * of a streamed upload and in the middle of processing, restart on the same DATA_DIR, and check that
 * nothing half-written is visible, the sweep removes what the dead process left, acknowledged
 * documents survive and are processed once, and a dead worker's document is taken over.
 */

const workDir = mkdtempSync(path.join(tmpdir(), 'cls-crash-'));
const dataDir = path.join(workDir, 'data');
const blobs = diskBlobs(dataDir);
const tempFiles = blobs.tempFiles;
const bookingBlobs = blobs.bookingBlobs;

afterAll(() => {
  killAllServerProcesses();
  rmSync(workDir, { recursive: true, force: true });
});

describe('kill -9 drills (real process, PGlite, disk)', () => {
  let booking: string;
  let acked: Doc;
  let restarted: ServerProcess;
  let token: string;

  it('mid-upload: after a restart nothing half-written is visible, the sweep removes the orphan blob and the temp file, the acknowledged document is processed once', async () => {
    // The first life: an API without workers, so the acknowledged upload is still waiting when it dies.
    const first = await startServerProcess({ dataDir, cwd: workDir, env: { WORKER_MODE: 'off' } });
    token = await adminToken(first.url);
    const created = await api<{ id: string }>(first, token, 'POST', '/api/v1/loan-bookings', { customer_name: 'Crash Test Corp', product_id: 'term-loans' });
    expect(created.status).toBe(201);
    booking = created.json.id;
    [acked] = (await uploadFiles(first, token, booking, [
      { name: 'term-sheet.txt', type: 'text/plain', data: Buffer.from('TERM SHEET\n\nSummary of indicative terms for the Crash Test Corp facility.') },
    ])) as [Doc];
    expect(acked.status).toBe('uploaded');

    // A large upload, streamed: a small first file (stored as a blob) and a big second one that never ends.
    const upload = startStalledUpload(first, token, booking);
    // Wait until the first file is a blob and the second is several MiB into a temp file.
    await until('the first blob and a growing temp file', async () => {
      if ((await bookingBlobs(booking)).length < 2) return undefined;
      const sizes = await blobs.tempSizes();
      return sizes.length > 0 && Math.max(...sizes) > 4 * 1024 * 1024 ? true : undefined;
    }, 60_000, 50);
    await first.kill9();
    await upload.abandon();

    // What the dead process left: the acknowledged blob, the first file's blob (no row) and the partial temp file.
    const leftBlobs = await bookingBlobs(booking);
    expect(leftBlobs).toHaveLength(2);
    expect(leftBlobs).toContain(`tenants/${TENANT}/loan-bookings/${booking}/documents/${acked.id}/original`);
    expect((await tempFiles()).length).toBeGreaterThan(0);

    // The second life: same DATA_DIR, workers on, a fast sweep with a short grace period, and short
    // leases so that the next drill's takeover comes quickly.
    restarted = await startServerProcess({
      dataDir,
      cwd: workDir,
      env: { WORKER_MODE: 'embedded', MAINTENANCE_SWEEP_INTERVAL_MS: '300', ORPHAN_GRACE_MS: '1000', DOCUMENT_PROCESSING_TIMEOUT_SECONDS: '8' },
    });
    token = await adminToken(restarted.url);
    // The embedded database came back with everything committed before the kill, and nothing else.
    const listed = await api<{ items: Doc[] }>(restarted, token, 'GET', `/api/v1/loan-bookings/${booking}/documents`);
    expect(listed.status).toBe(200);
    expect(listed.json.items.map((d) => d.id)).toEqual([acked.id]);
    const all = await api<{ items: Doc[] }>(restarted, token, 'GET', '/api/v1/documents?limit=100');
    expect(all.json.items.map((d) => d.id)).toEqual([acked.id]);

    const processed = await until('the acknowledged document to be processed', async () => {
      const d = await api<Doc>(restarted, token, 'GET', `/api/v1/documents/${acked.id}`);
      return d.json.status === 'processed' || d.json.status === 'failed' ? d.json : undefined;
    }, 60_000, 200);
    expect(processed, JSON.stringify(processed)).toMatchObject({ status: 'processed', page_count: 1 });

    await until('the sweep to remove the orphan blob and the temp file', async () =>
      (await bookingBlobs(booking)).length === 1 && (await tempFiles()).length === 0 ? true : undefined, 30_000, 200);
    expect(await bookingBlobs(booking)).toEqual([`tenants/${TENANT}/loan-bookings/${booking}/documents/${acked.id}/original`]);
    expect(await tempFiles()).toEqual([]);

    // Processed exactly once: one successful run, one set of pages, however many sweeps went by.
    await new Promise((r) => setTimeout(r, 1000));
    const metrics = await (await fetch(`${restarted.url}/metrics`)).text();
    expect(metric(metrics, /^document_processing_duration_seconds_count\{outcome="processed"\} (\d+)/m)).toBe(1);
    expect(metric(metrics, /^document_processing_duration_seconds_count\{outcome="superseded"\} (\d+)/m)).toBe(0);
    const pages = await api<{ items: { page: number; text: string }[] }>(restarted, token, 'GET', `/api/v1/documents/${acked.id}/pages`);
    expect(pages.json.items.map((p) => p.page)).toEqual([1]);
    expect(pages.json.items[0]!.text).toContain('TERM SHEET');
  }, 300_000);

  it('mid-processing: after a restart the document is taken over once the dead worker\'s lease expires, and ends processed', async () => {
    expect(restarted, 'runs after the mid-upload drill').toBeDefined();
    // Enough OCR pages that the kill lands while the worker is busy with them.
    const scanned = await makeScannedPdf(['SECURITY AGREEMENT page one', 'Grant of security interest page two', 'Collateral description page three']);
    const [doc] = await uploadFiles(restarted, token, booking, [{ name: 'scan.pdf', type: 'application/pdf', data: scanned }]);
    await until('the worker to start on the document', async () => {
      const d = await api<Doc>(restarted, token, 'GET', `/api/v1/documents/${doc!.id}`);
      if (d.json.status === 'processed' || d.json.status === 'failed') throw new Error(`processing finished before the kill (${d.json.status})`);
      return d.json.status === 'processing' ? true : undefined;
    }, 60_000, 25);
    await restarted.kill9();

    // The dead worker's lease (8 s, from the second life) decides when the takeover may happen; this
    // life's own lease is long, so that OCR on a busy machine is not cut short by it.
    const third = await startServerProcess({
      dataDir,
      cwd: workDir,
      env: { WORKER_MODE: 'embedded', MAINTENANCE_SWEEP_INTERVAL_MS: '300', ORPHAN_GRACE_MS: '1000', DOCUMENT_PROCESSING_TIMEOUT_SECONDS: '300' },
    });
    try {
      token = await adminToken(third.url);
      const done = await until('the document to be taken over and processed', async () => {
        const d = await api<Doc>(third, token, 'GET', `/api/v1/documents/${doc!.id}`);
        return d.json.status === 'processed' || d.json.status === 'failed' ? d.json : undefined;
      }, 90_000, 200);
      expect(done, JSON.stringify(done)).toMatchObject({ status: 'processed', page_count: 3, ocr_pages: 3 });
      const pages = await api<{ items: { page: number; text: string; method: string }[] }>(third, token, 'GET', `/api/v1/documents/${doc!.id}/pages`);
      expect(pages.json.items.map((p) => [p.page, p.method])).toEqual([
        [1, 'ocr'],
        [2, 'ocr'],
        [3, 'ocr'],
      ]);
      expect(pages.json.items[0]!.text.toUpperCase()).toContain('SECURITY AGREEMENT');
      // The earlier documents are untouched and nothing is left over.
      const listed = await api<{ items: Doc[] }>(third, token, 'GET', `/api/v1/loan-bookings/${booking}/documents`);
      expect(listed.json.items.map((d) => [d.id, d.status])).toEqual([
        [doc!.id, 'processed'],
        [acked.id, 'processed'],
      ]);
      expect(await tempFiles()).toEqual([]);
      await third.stop();
      expect((await third.exited).code).toBe(0);
    } finally {
      await third.kill9();
    }
  }, 300_000);
});
