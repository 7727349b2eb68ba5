import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllServerProcesses } from '../helpers/server-process.js';
import { runS3Outage, type S3OutageRecord } from '../helpers/s3-outage-scenario.js';
import { summarize, type Answer } from '../helpers/timed-http.js';

/**
 * S3 goes down under the running service (the real process, s3rver stopped and started again on the
 * same port and directory): bounded retries, then 503 DEPENDENCY_UNAVAILABLE for uploads and
 * downloads, no document and no object left behind, the rest of the API served, readiness degraded;
 * once s3rver is back the service recovers by itself. The sequence is in the helper, shared with the
 * drill (bench/drills/s3-outage.ts); here every step is asserted.
 */

const workDir = mkdtempSync(path.join(tmpdir(), 'cls-s3-outage-'));
// Past this a request counts as hung: far above the SDK's bounded retries against a refused port.
const CLIENT_TIMEOUT_MS = 30_000;

let r: S3OutageRecord;

beforeAll(async () => {
  r = await runS3Outage({ workDir, clientTimeoutMs: CLIENT_TIMEOUT_MS });
}, 400_000);

afterAll(() => {
  killAllServerProcesses();
  rmSync(workDir, { recursive: true, force: true });
});

function expectOutage503(a: Answer): void {
  expect(a.status, summarize(a)).toBe(503);
  expect(a.errorCode).toBe('DEPENDENCY_UNAVAILABLE');
  expect(a.retryAfter).toBe('5');
  // A 5xx names no bucket, key or address.
  expect(JSON.stringify(a.json)).not.toMatch(/cls-outage|127\.0\.0\.1|tenants\//);
}

describe('S3 outage under the running service', () => {
  it('before the outage: both documents are stored and processed', () => {
    expect(r.before.upload.status, summarize(r.before.upload)).toBe(201);
    expect(r.before.statuses).toEqual(['processed', 'processed']);
    expect(r.before.kept.sha256).toBe(r.before.kept.sent);
  });

  it('uploads answer 503 DEPENDENCY_UNAVAILABLE with Retry-After after the bounded retries, the multipart path included, none hanging', () => {
    expectOutage503(r.outage.smallUpload);
    expectOutage503(r.outage.largeUpload);
    expect(r.outage.msToFirst503).toBeDefined();
    // The store retried (3 attempts per request at most), and /metrics shows it.
    expect(r.outage.storageErrors).toBeGreaterThan(0);
    expect(r.outage.storageRetries).toBeGreaterThan(0);
    expect(r.outage.storageRetries).toBeLessThanOrEqual(2 * r.outage.storageErrors);
  });

  it('a failed upload leaves no document row and no local copy', () => {
    expect(r.outage.list.status, summarize(r.outage.list)).toBe(200);
    // Only the kept document: none from the failed uploads (and the other one was deleted).
    expect(r.outage.listedIds).toEqual([r.before.kept.id]);
    expect(r.outage.tempFiles).toEqual([]);
  });

  it('downloads answer 503, not 500; the rest of the API is served; nothing answers 500 or hangs', () => {
    expectOutage503(r.outage.download);
    expectOutage503(r.outage.rangeDownload);
    expect(r.outage.booking.status, summarize(r.outage.booking)).toBe(200);
    // The row goes at once; its object cannot, and stays for the sweep.
    expect(r.outage.deleteOther.status, summarize(r.outage.deleteOther)).toBe(204);
    expect(r.outage.deletedObjectLeft).toBe(true);
    for (const a of r.outage.answers) {
      expect(a.status, summarize(a)).not.toBe(0);
      expect(a.status, summarize(a)).not.toBe(500);
    }
  });

  it('readiness answers 200 degraded, naming blob storage down and the database up; liveness 200', () => {
    expect(r.outage.ready.status, summarize(r.outage.ready)).toBe(200);
    const body = r.outage.ready.json as { status: string; checks: Record<string, { status: string }> };
    expect(body.status).toBe('degraded');
    expect(body.checks.blob_storage).toMatchObject({ status: 'down' });
    expect(body.checks.database).toMatchObject({ status: 'up' });
    expect(body.checks.queue).toMatchObject({ status: 'up' });
    expect(r.outage.live.status).toBe(200);
  });

  it('once s3rver is back: ready again, uploads work, the idempotent retry stores its document, the earlier document is intact', () => {
    expect(r.recovery.msUntilReady, 'readiness never reported blob storage up').toBeDefined();
    expect((r.recovery.ready?.json as { status: string }).status).toBe('ready');
    expect(r.recovery.msUntilUpload, summarize(r.recovery.upload)).toBeDefined();
    expect(r.recovery.upload?.status).toBe(201);
    // The 503 was not stored under the key: the retry is a fresh attempt, and it succeeds.
    expect(r.recovery.idempotentRetry.status, summarize(r.recovery.idempotentRetry)).toBe(201);
    expect(r.recovery.download.status, summarize(r.recovery.download)).toBe(200);
    expect(r.recovery.download.sha256).toBe(r.before.kept.sent);
    expect(r.recovery.download.headers.etag).toBe(`"${r.before.kept.sha256}"`);
    const after = (r.recovery.upload?.json as { items: { id: string }[] }).items[0]!.id;
    const retried = (r.recovery.idempotentRetry.json as { items: { id: string }[] }).items[0]!.id;
    expect([...r.recovery.listedIds].sort()).toEqual([r.before.kept.id, after, retried].sort());
    expect(r.recovery.tempFiles).toEqual([]);
  });

  it('after the sweep no object is left that no document points at (the object of the document deleted during the outage included)', () => {
    expect(r.recovery.msUntilNoOrphans, `left behind: ${r.recovery.leftBehind.join(', ')}`).toBeDefined();
    expect(r.recovery.leftBehind).toEqual([]);
    expect(r.recovery.bucketKeys.some((k) => k.includes(`/documents/${r.before.deleted.id}/`))).toBe(false);
    // One object per live document, and the kept one among them.
    expect(r.recovery.bucketKeys).toHaveLength(r.recovery.liveIds.length);
    expect(r.recovery.bucketKeys.some((k) => k.includes(`/documents/${r.before.kept.id}/`))).toBe(true);
  });

  it('the service shuts down cleanly after the outage', () => {
    expect(r.exit, r.logTail).toEqual({ code: 0, signal: null });
  });
});
