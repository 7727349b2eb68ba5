import { runS3Outage } from '../../test/helpers/s3-outage-scenario.js';
import { summarize, type Answer } from '../../test/helpers/timed-http.js';
import type { Drill, DrillCheck } from './types.js';

/**
 * S3 goes away under the running service and comes back: the sequence of test/process/s3-outage.test.ts
 * (shared helper), as checks and figures. Upload and download answer 503 after bounded retries,
 * nothing is left behind, the service recovers by itself.
 */

const check = (name: string, ok: boolean, detail?: string): DrillCheck => ({ name, ok, ...(detail ? { detail } : {}) });
const is503 = (a: Answer) => a.status === 503 && a.errorCode === 'DEPENDENCY_UNAVAILABLE';
const figure = (figures: Record<string, number>, name: string, value: number | undefined) => {
  if (value !== undefined && Number.isFinite(value)) figures[name] = value;
};

export const drill: Drill = {
  id: 's3-outage',
  title: 'S3 (s3rver) stopped under the running service, used, then started again on the same port and directory',
  async run(ctx) {
    const r = await runS3Outage({ workDir: ctx.workDir, log: (m) => ctx.log(m), clientTimeoutMs: 30_000 });
    const o = r.outage;
    const v = r.recovery;
    const slowest = o.answers.reduce((m, a) => Math.max(m, a.ms), 0);
    const checks: DrillCheck[] = [
      check('before the outage both documents are stored and processed', r.before.upload.status === 201 && r.before.statuses.every((s) => s === 'processed'), r.before.statuses.join(', ')),
      check('an upload answers 503 DEPENDENCY_UNAVAILABLE (one PutObject)', is503(o.smallUpload), summarize(o.smallUpload)),
      check('a multipart-sized upload answers 503 DEPENDENCY_UNAVAILABLE, no hang', is503(o.largeUpload), summarize(o.largeUpload)),
      check('503s carry Retry-After', o.smallUpload.retryAfter !== undefined && o.download.retryAfter !== undefined),
      check(
        'the blob store retried, at most 2 retries per failed request',
        o.storageRetries > 0 && o.storageRetries <= 2 * o.storageErrors,
        `${o.storageErrors} failed requests, ${o.storageRetries} retries`,
      ),
      check('failed uploads leave no document row', o.listedIds.length === 1 && o.listedIds[0] === r.before.kept.id, o.listedIds.join(', ')),
      check('failed uploads leave no local copy', o.tempFiles.length === 0, o.tempFiles.join(', ')),
      check('a download answers 503, not 500', is503(o.download) && is503(o.rangeDownload), `${summarize(o.download)}; range ${summarize(o.rangeDownload)}`),
      check('the rest of the API is served (booking read, document delete)', o.booking.status === 200 && o.deleteOther.status === 204, `${summarize(o.booking)}; delete ${summarize(o.deleteOther)}`),
      check('nothing answers 500 or hangs during the outage', o.answers.every((a) => a.status !== 0 && a.status !== 500), o.answers.filter((a) => a.status === 0 || a.status === 500).map(summarize).join('; ')),
      check(
        'readiness is 200 degraded with blob_storage down',
        o.ready.status === 200 && (o.ready.json as { status?: string } | undefined)?.status === 'degraded',
        JSON.stringify(o.ready.json),
      ),
      check('readiness says ready again after the restart', v.msUntilReady !== undefined),
      check('uploads work again after the restart', v.msUntilUpload !== undefined, summarize(v.upload)),
      check('the upload retried with its Idempotency-Key is stored', v.idempotentRetry.status === 201, summarize(v.idempotentRetry)),
      check('the earlier document is intact (same SHA-256)', v.download.status === 200 && v.download.sha256 === r.before.kept.sent, summarize(v.download)),
      check('the object of the document deleted during the outage stayed, then the sweep removed it', o.deletedObjectLeft && !v.bucketKeys.some((k) => k.includes(`/documents/${r.before.deleted.id}/`))),
      check('no object is left that no document points at', v.leftBehind.length === 0 && v.msUntilNoOrphans !== undefined, v.leftBehind.join(', ')),
      check('the service shuts down cleanly', r.exit?.code === 0, JSON.stringify(r.exit)),
    ];
    const figures: Record<string, number> = {};
    figure(figures, 'ms until the first 503 upload', o.msToFirst503);
    figure(figures, 'ms of the 503 upload (multipart size)', o.largeUpload.ms);
    figure(figures, 'ms of the 503 download', o.download.ms);
    figure(figures, 'ms of the slowest request during the outage', slowest);
    figure(figures, 'storage requests failed during the outage', o.storageErrors);
    figure(figures, 'storage retries during the outage', o.storageRetries);
    figure(figures, 'ms until readiness saw storage again', v.msUntilReady);
    figure(figures, 'ms until recovery (first 201 upload)', v.msUntilUpload);
    figure(figures, 'ms until no orphan object', v.msUntilNoOrphans);
    figure(figures, 'objects left behind', v.leftBehind.length);
    return { checks, figures };
  },
};
