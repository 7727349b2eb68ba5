import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { ListObjectsCommand, S3Client } from '@aws-sdk/client-s3';
import { multipart, type MultipartFile } from './multipart.js';
import { startS3rver, S3RVER_CREDENTIALS, S3RVER_REGION, type RunningS3rver } from './s3rver.js';
import { adminToken, startServerProcess, type ServerProcess } from './server-process.js';
import { metricValue, timed, until, type Answer } from './timed-http.js';

/**
 * The S3 outage drill, shared by test/process/s3-outage.test.ts (which asserts on the record) and
 * bench/drills/s3-outage.ts (which turns it into checks and figures): the real service process on
 * s3rver; upload, stop s3rver under the running service, use it, start s3rver again on the same port
 * and directory, use it again. Every request has a client timeout, so a hang is recorded, not waited on.
 */

export interface S3OutageRecord {
  before: {
    upload: Answer;
    /** The document kept across the outage, with the SHA-256 of the bytes sent. */
    kept: { id: string; sha256: string; sent: string };
    /** The document deleted during the outage (its object cannot be removed then). */
    deleted: { id: string };
    /** Final processing statuses of both before the outage. */
    statuses: string[];
  };
  outage: {
    /** Upload of a small file (one PutObject) with an Idempotency-Key. */
    smallUpload: Answer;
    /** Upload of a file larger than one part (multipart upload path). */
    largeUpload: Answer;
    largeUploadBytes: number;
    /** From the end of the stop to the first upload answering 503. */
    msToFirst503: number | undefined;
    download: Answer;
    rangeDownload: Answer;
    deleteOther: Answer;
    /** The deleted document's object is still in the bucket (the delete could not reach it). */
    deletedObjectLeft: boolean;
    booking: Answer;
    list: Answer;
    listedIds: string[];
    ready: Answer;
    live: Answer;
    /** blob_storage_* counters during the outage (differences). */
    storageErrors: number;
    storageRetries: number;
    /** Local copies of S3 objects left in DATA_DIR/tmp. */
    tempFiles: string[];
    answers: Answer[];
  };
  recovery: {
    /** From the start of s3rver to readiness saying blob storage is up. */
    msUntilReady: number | undefined;
    ready: Answer | undefined;
    /** From the start of s3rver to the first upload answering 201. */
    msUntilUpload: number | undefined;
    upload: Answer | undefined;
    /** The outage's small upload sent again with the same Idempotency-Key. */
    idempotentRetry: Answer;
    download: Answer;
    /** From the start of s3rver until every object in the bucket belongs to a live document. */
    msUntilNoOrphans: number | undefined;
    bucketKeys: string[];
    liveIds: string[];
    leftBehind: string[];
    listedIds: string[];
    tempFiles: string[];
  };
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** The end of the service's log, for a failure's detail. */
  logTail: string;
}

export interface S3OutageOptions {
  workDir: string;
  log?: (message: string) => void;
  /** Client timeout of each request: past it, the request counts as a hang. */
  clientTimeoutMs?: number;
}

/**
 * Six of the S3 store's 8 MiB parts: the upload takes the multipart path, and its four concurrent part
 * uploaders give up after four parts, so the service answers while the client is still sending.
 */
const LARGE_UPLOAD_BYTES = 48 * 1024 * 1024;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(full)));
    else out.push(full);
  }
  return out;
}

async function localCopies(dataDir: string): Promise<string[]> {
  return (await readdir(path.join(dataDir, 'tmp')).catch(() => [] as string[])).filter((f) => f.endsWith('.part')).sort();
}

async function bucketKeys(s3: RunningS3rver): Promise<string[]> {
  const client = new S3Client({
    region: S3RVER_REGION,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    const keys: string[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await client.send(new ListObjectsCommand({ Bucket: s3.bucket, ...(marker ? { Marker: marker } : {}) }));
      const contents = page.Contents ?? [];
      keys.push(...contents.map((c) => c.Key!));
      marker = contents[contents.length - 1]?.Key;
      if (!page.IsTruncated || !marker) return keys.sort();
    }
  } finally {
    client.destroy();
  }
}

const docIdOf = (key: string) => /^tenants\/[^/]+\/loan-bookings\/[^/]+\/documents\/([^/]+)\//.exec(key)?.[1];

// The drill runner is no vitest: the SDK's Node-version notice would land in its output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export async function runS3Outage(opts: S3OutageOptions): Promise<S3OutageRecord> {
  const log = opts.log ?? (() => undefined);
  const timeoutMs = opts.clientTimeoutMs ?? 30_000;
  const dataDir = path.join(opts.workDir, 'data');
  const s3 = await startS3rver('cls-outage');
  let server: ServerProcess | undefined;
  try {
    server = await startServerProcess({
      dataDir,
      cwd: opts.workDir,
      env: {
        BLOB_STORE: 's3',
        S3_BUCKET: s3.bucket,
        S3_ENDPOINT: s3.endpoint,
        S3_FORCE_PATH_STYLE: 'true',
        S3_SSE: 'none',
        AWS_REGION: S3RVER_REGION,
        // The SDK's default credential chain reads these; the service's configuration never holds keys.
        AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
        WORKER_MODE: 'embedded',
        // A sweep every half second, and orphans older than 5 s go: long enough for an upload on a busy
        // machine to record its document after storing its object.
        MAINTENANCE_SWEEP_INTERVAL_MS: '500',
        ORPHAN_GRACE_MS: '5000',
        HEALTH_CHECK_TIMEOUT_MS: '5000',
      },
    });
    const url = server.url;
    const token = await adminToken(url);
    const auth = { authorization: `Bearer ${token}` };
    const call = (method: string, p: string, extra: { headers?: Record<string, string>; body?: Buffer | string } = {}) =>
      timed(`${url}${p}`, { method, headers: { ...auth, ...(extra.headers ?? {}) }, ...(extra.body !== undefined ? { body: extra.body } : {}), timeoutMs });
    const upload = (booking: string, files: MultipartFile[]) => {
      const mp = multipart(files);
      return call('POST', `/api/v1/loan-bookings/${booking}/documents`, { headers: mp.headers, body: mp.payload });
    };
    const idsOf = (a: Answer) => ((a.json as { items?: { id: string }[] } | undefined)?.items ?? []).map((d) => d.id);
    const metrics = async () => {
      const text = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(timeoutMs) }).then((r) => r.text()).catch(() => '');
      return { errors: metricValue(text, 'blob_storage_requests_total', { outcome: 'error' }), retries: metricValue(text, 'blob_storage_retries_total') };
    };

    // Before: a booking with two processed documents.
    const created = await call('POST', '/api/v1/loan-bookings', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customer_name: 'Storage Outage Corp', product_id: 'term-loans' }),
    });
    if (created.status !== 201) throw new Error(`could not create a booking: ${created.status}`);
    const booking = (created.json as { id: string }).id;
    const keptBytes = Buffer.from(`TERM SHEET\n\nIndicative terms for the Storage Outage Corp facility. ${randomBytes(8).toString('hex')}\n`);
    const otherBytes = Buffer.from(`NOTE\n\nA note that will be deleted while storage is down. ${randomBytes(8).toString('hex')}\n`);
    const first = await upload(booking, [
      { name: 'term-sheet.txt', type: 'text/plain', data: keptBytes },
      { name: 'note.txt', type: 'text/plain', data: otherBytes },
    ]);
    if (first.status !== 201) throw new Error(`the upload before the outage failed: ${first.status} ${JSON.stringify(first.json)}`);
    const [keptDoc, otherDoc] = (first.json as { items: { id: string; sha256: string }[] }).items as [{ id: string; sha256: string }, { id: string; sha256: string }];
    const statuses = await until(async () => {
      const all = await Promise.all([keptDoc.id, otherDoc.id].map(async (id) => ((await call('GET', `/api/v1/documents/${id}`)).json as { status?: string } | undefined)?.status ?? '?'));
      return all.every((s) => s === 'processed' || s === 'failed') ? all : undefined;
    }, 90_000, 200);
    log(`before: 2 documents uploaded (${statuses?.join(', ') ?? 'not processed in time'})`);

    // Outage.
    const before = await metrics();
    await s3.kill();
    const stoppedAt = performance.now();
    log('s3rver stopped');
    const idemKey = `outage-${randomBytes(8).toString('hex')}`;
    const smallBytes = Buffer.from(`AMENDMENT\n\nSent while storage is down. ${randomBytes(8).toString('hex')}\n`);
    const smallFiles: MultipartFile[] = [{ name: 'amendment.txt', type: 'text/plain', data: smallBytes }];
    const smallBody = multipart(smallFiles);
    const sendSmall = () =>
      call('POST', `/api/v1/loan-bookings/${booking}/documents`, { headers: { ...smallBody.headers, 'idempotency-key': idemKey }, body: smallBody.payload });
    const smallUpload = await sendSmall();
    const msToFirst503 = smallUpload.status === 503 ? Math.round(performance.now() - stoppedAt) : undefined;
    const line = 'A large upload sent while storage is down, streamed past the first multipart part.\n';
    const large = Buffer.from(line.repeat(Math.ceil(LARGE_UPLOAD_BYTES / line.length)));
    const largeUpload = await upload(booking, [{ name: 'large.txt', type: 'text/plain', data: large }]);
    const download = await call('GET', `/api/v1/documents/${keptDoc.id}/content`);
    const rangeDownload = await call('GET', `/api/v1/documents/${keptDoc.id}/content`, { headers: { range: 'bytes=0-9' } });
    const deleteOther = await call('DELETE', `/api/v1/documents/${otherDoc.id}`);
    const deletedObjectLeft = (await walk(s3.directory)).some((f) => f.includes(`${path.sep}documents${path.sep}${otherDoc.id}${path.sep}`));
    const bookingAnswer = await call('GET', `/api/v1/loan-bookings/${booking}`);
    const list = await call('GET', `/api/v1/loan-bookings/${booking}/documents`);
    const ready = await timed(`${url}/health/ready`, { timeoutMs });
    const live = await timed(`${url}/health/live`, { timeoutMs });
    const during = await metrics();
    const outageTemp = await localCopies(dataDir);
    const answers = [smallUpload, largeUpload, download, rangeDownload, deleteOther, bookingAnswer, list, ready, live];
    log(`outage: uploads ${smallUpload.status}/${largeUpload.status}, download ${download.status}, ready ${ready.status}`);

    // Recovery.
    await s3.start();
    const startedAt = performance.now();
    log('s3rver started again');
    let readyAfter: Answer | undefined;
    const msUntilReady = await until(async () => {
      const r = await timed(`${url}/health/ready`, { timeoutMs });
      const storage = (r.json as { checks?: Record<string, { status: string }> } | undefined)?.checks?.blob_storage?.status;
      if (r.status === 200 && storage === 'up') {
        readyAfter = r;
        return Math.round(performance.now() - startedAt);
      }
      return undefined;
    }, 60_000, 100);
    let uploadAfter: Answer | undefined;
    const msUntilUpload = await until(async () => {
      const a = await upload(booking, [{ name: 'after.txt', type: 'text/plain', data: Buffer.from(`AFTER\n\nStored after the outage. ${randomBytes(8).toString('hex')}\n`) }]);
      uploadAfter = a;
      return a.status === 201 ? Math.round(performance.now() - startedAt) : undefined;
    }, 60_000, 250);
    const idempotentRetry = await sendSmall();
    const downloadAfter = await call('GET', `/api/v1/documents/${keptDoc.id}/content`);

    let keys: string[] = [];
    let liveIds: string[] = [];
    let leftBehind: string[] = [];
    const msUntilNoOrphans = await until(async () => {
      keys = await bucketKeys(s3);
      liveIds = idsOf(await call('GET', '/api/v1/documents?limit=100'));
      leftBehind = keys.filter((k) => !liveIds.includes(docIdOf(k) ?? ''));
      return leftBehind.length === 0 ? Math.round(performance.now() - startedAt) : undefined;
    }, 60_000, 250);
    const listAfter = await call('GET', `/api/v1/loan-bookings/${booking}/documents`);
    const recoveryTemp = await localCopies(dataDir);
    log(`recovery: ready after ${msUntilReady ?? '-'} ms, upload after ${msUntilUpload ?? '-'} ms, no orphans after ${msUntilNoOrphans ?? '-'} ms`);

    await server.stop();
    const exit = await server.exited;
    return {
      before: { upload: first, kept: { id: keptDoc.id, sha256: keptDoc.sha256, sent: sha256(keptBytes) }, deleted: { id: otherDoc.id }, statuses: statuses ?? [] },
      outage: {
        smallUpload,
        largeUpload,
        largeUploadBytes: large.length,
        msToFirst503,
        download,
        rangeDownload,
        deleteOther,
        deletedObjectLeft,
        booking: bookingAnswer,
        list,
        listedIds: idsOf(list),
        ready,
        live,
        storageErrors: during.errors - before.errors,
        storageRetries: during.retries - before.retries,
        tempFiles: outageTemp,
        answers,
      },
      recovery: {
        msUntilReady,
        ready: readyAfter,
        msUntilUpload,
        upload: uploadAfter,
        idempotentRetry,
        download: downloadAfter,
        msUntilNoOrphans,
        bucketKeys: keys,
        liveIds,
        leftBehind,
        listedIds: idsOf(listAfter),
        tempFiles: recoveryTemp,
      },
      exit,
      logTail: (server.stdout() + server.stderr()).slice(-4000),
    };
  } finally {
    await server?.kill9();
    await s3.stop();
  }
}
