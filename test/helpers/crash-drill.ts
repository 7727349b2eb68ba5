import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { filePartHead, multipart, newBoundary, type MultipartFile } from './multipart.js';
import type { ServerProcess } from './server-process.js';
import { AGREEMENT_PAGES } from '../integration/extraction/agreement-fixture.js';
import { TOOL_NAME } from '../../src/modules/extraction/engines/bedrock/bedrock-engine.js';
import { getExtractionSchema } from '../../src/modules/extraction/schemas/index.js';
import { FAKE_CREDENTIALS, reply, type StubReply } from './bedrock-stub.js';

/**
 * What the kill -9 tests (test/process/crash) and the kill -9 drills (bench/drills/kill9.ts) share:
 * HTTP calls against a service process, a look at the disk blob store under its DATA_DIR, and
 * waiting for a condition. Free of vitest, so that the drills can run it under plain tsx: a failed
 * step throws an Error whose message says what was expected.
 */

/** The tenant of the bootstrap admin (DEFAULT_TENANT_ID's default). */
export const TENANT = 'default';

export interface ApiReply<T> {
  status: number;
  json: T;
}

export async function api<T>(server: Pick<ServerProcess, 'url'>, token: string, method: string, url: string, body?: unknown): Promise<ApiReply<T>> {
  const res = await fetch(`${server.url}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : undefined) as T };
}

export interface DocView {
  id: string;
  loan_booking_id: string;
  sha256: string;
  status: string;
  processed_at: string | null;
  page_count: number | null;
  ocr_pages: number | null;
}

export interface RunView {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  engine: string;
  engine_used: string | null;
  attempts: number;
  warnings: string[];
  error: { code: string; message: string } | null;
  timings: { queued_ms: number; load_ms: number; extract_ms: number; total_ms: number } | null;
  finished_at: string | null;
  fields?: Record<string, { value: unknown; needs_review: boolean; review_reasons: string[]; engine: string }> | null;
}

/** A loan booking of the bootstrap admin's tenant; returns its id. */
export async function createBooking(server: Pick<ServerProcess, 'url'>, token: string, customer = 'Crash Test Corp'): Promise<string> {
  const res = await api<{ id: string }>(server, token, 'POST', '/api/v1/loan-bookings', { customer_name: customer, product_id: 'term-loans' });
  if (res.status !== 201) throw new Error(`creating a loan booking answered ${res.status}: ${JSON.stringify(res.json)}`);
  return res.json.id;
}

/** One multipart upload of `files`; throws unless it is acknowledged (201). */
export async function uploadFiles(server: Pick<ServerProcess, 'url'>, token: string, booking: string, files: MultipartFile[]): Promise<DocView[]> {
  const mp = multipart(files);
  const res = await fetch(`${server.url}/api/v1/loan-bookings/${booking}/documents`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...mp.headers }, body: mp.payload });
  const body = (await res.json()) as { items: DocView[] };
  if (res.status !== 201) throw new Error(`the upload answered ${res.status}: ${JSON.stringify(body)}`);
  return body.items;
}

/** Polls `fn` until it returns something other than undefined; throws after `timeoutMs`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The first number captured by `re` in a Prometheus text exposition, 0 when absent. */
export function metric(text: string, re: RegExp): number {
  const m = re.exec(text);
  return m ? Number(m[1]) : 0;
}

export async function metricsText(server: Pick<ServerProcess, 'url'>): Promise<string> {
  return (await fetch(`${server.url}/metrics`)).text();
}

/** Polls until the document leaves uploaded/processing; returns it. */
export async function settledDocument(server: Pick<ServerProcess, 'url'>, token: string, id: string, timeoutMs: number): Promise<DocView> {
  return until(`document ${id} to be processed or failed`, async () => {
    const d = await api<DocView>(server, token, 'GET', `/api/v1/documents/${id}`);
    return d.json.status === 'processed' || d.json.status === 'failed' ? d.json : undefined;
  }, timeoutMs, 200);
}

/** Polls until the extraction run is succeeded or failed; returns it. */
export async function finishedRun(server: Pick<ServerProcess, 'url'>, token: string, booking: string, runId: string, timeoutMs: number): Promise<RunView> {
  return until(`extraction run ${runId} to finish`, async () => {
    const r = await api<RunView>(server, token, 'GET', `/api/v1/loan-bookings/${booking}/extractions/${runId}`);
    return r.json.status === 'succeeded' || r.json.status === 'failed' ? r.json : undefined;
  }, timeoutMs, 200);
}

/** Every file under `dir` (recursively), dot-files (the disk store's sidecars) left out. */
export async function filesUnder(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(full)));
    else out.push(full);
  }
  return out;
}

/** The disk blob store of a DATA_DIR, seen from outside the process. */
export function diskBlobs(dataDir: string) {
  const root = path.join(dataDir, 'blobs');
  return {
    root,
    /** Names in the store's temp folder (uploads being streamed, or left by a dead process). */
    tempFiles: async () => (await readdir(path.join(root, '.tmp')).catch(() => [] as string[])).sort(),
    /** Sizes of those temp files (0 for one that vanished meanwhile). */
    tempSizes: async () => {
      const names = (await readdir(path.join(root, '.tmp')).catch(() => [] as string[]));
      return Promise.all(names.map((f) => stat(path.join(root, '.tmp', f)).then((s) => s.size).catch(() => 0)));
    },
    /** Keys of every blob of a booking, relative to the store's root, sorted. */
    bookingBlobs: async (booking: string) => (await filesUnder(path.join(root, 'tenants', TENANT, 'loan-bookings', booking))).map((f) => path.relative(root, f)).sort(),
    /** Keys of every blob of every document, sorted. */
    allBlobs: async () => (await filesUnder(path.join(root, 'tenants'))).map((f) => path.relative(root, f)).sort(),
    /** The key an uploaded document's original is stored under. */
    originalKey: (booking: string, documentId: string) => `tenants/${TENANT}/loan-bookings/${booking}/documents/${documentId}/original`,
  };
}

/** The document id inside a blob key (tenants/<t>/loan-bookings/<b>/documents/<id>/...). */
export function documentIdOfKey(key: string): string | undefined {
  return /^tenants\/[^/]+\/loan-bookings\/[^/]+\/documents\/([^/]+)\//.exec(key)?.[1];
}

export interface StalledUpload {
  /** Stops writing and drops the connection (after the server died, or to give up). */
  abandon(): Promise<void>;
}

/**
 * A streamed upload that never ends: a small first file (complete, so the server stores it as a
 * blob) and then an endless second file, written as fast as the server takes it. For killing the
 * server in the middle of an upload.
 */
export function startStalledUpload(server: Pick<ServerProcess, 'url'>, token: string, booking: string): StalledUpload {
  const boundary = newBoundary();
  const req = httpRequest(`${server.url}/api/v1/loan-bookings/${booking}/documents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' },
  });
  req.on('error', () => undefined);
  req.write(Buffer.concat([filePartHead(boundary, { name: 'first.txt', type: 'text/plain' }), Buffer.from('A first file, complete, stored before the crash.\n'), Buffer.from('\r\n')]));
  req.write(filePartHead(boundary, { name: 'huge.txt', type: 'text/plain' }));
  const line = Buffer.from('Streamed text of a very large upload that the server will not live to finish.\n'.repeat(800));
  let streaming = true;
  const pump = (async () => {
    while (streaming && !req.destroyed) {
      if (!req.write(line)) {
        await new Promise<void>((resolve) => {
          // Whichever comes first; the other listener goes too, or they pile up on the request.
          const done = () => {
            req.off('drain', done).off('close', done);
            resolve();
          };
          req.once('drain', done).once('close', done);
        });
      }
    }
  })();
  return {
    async abandon() {
      streaming = false;
      req.destroy();
      await pump;
    },
  };
}

/** Polls /health/ready until it answers 200; returns when it did. */
export async function ready(server: Pick<ServerProcess, 'url'>, timeoutMs = 60_000): Promise<void> {
  await until('/health/ready to answer 200', async () => {
    const res = await fetch(`${server.url}/health/ready`).catch(() => undefined);
    await res?.body?.cancel();
    return res?.status === 200 ? true : undefined;
  }, timeoutMs, 25);
}

/** SHA-256 (hex) of a document's download, or undefined when the download does not answer 200. */
export async function contentSha256(server: Pick<ServerProcess, 'url'>, token: string, documentId: string): Promise<string | undefined> {
  const res = await fetch(`${server.url}/api/v1/documents/${documentId}/content`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) {
    await res.body?.cancel();
    return undefined;
  }
  return createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex');
}

export interface StorageState {
  /** Every live document of the tenant (up to 100). */
  documents: DocView[];
  /** Documents whose original is not in the blob store, or whose download is not their bytes. */
  withoutBlob: string[];
  /** Blob keys that no live document owns. */
  orphanBlobs: string[];
  /** Files left in the disk store's temp folder. */
  tempFiles: string[];
}

/** How the records and the disk blob store of a DATA_DIR agree, as the service and the disk say. */
export async function storageState(server: Pick<ServerProcess, 'url'>, token: string, dataDir: string): Promise<StorageState> {
  const blobs = diskBlobs(dataDir);
  const listed = await api<{ items: DocView[] }>(server, token, 'GET', '/api/v1/documents?limit=100');
  if (listed.status !== 200) throw new Error(`listing documents answered ${listed.status}`);
  const documents = listed.json.items;
  const all = await blobs.allBlobs();
  const withoutBlob: string[] = [];
  for (const d of documents) {
    if (!all.includes(blobs.originalKey(d.loan_booking_id, d.id))) withoutBlob.push(`${d.id} (no blob on disk)`);
    else if ((await contentSha256(server, token, d.id)) !== d.sha256) withoutBlob.push(`${d.id} (download is not its bytes)`);
  }
  const live = new Set(documents.map((d) => d.id));
  return {
    documents,
    withoutBlob,
    orphanBlobs: all.filter((k) => !live.has(documentIdOfKey(k) ?? '')),
    tempFiles: await blobs.tempFiles(),
  };
}

/** The engines' three-page credit agreement as one plain-text upload (form feeds between pages). */
export function agreementText(): Buffer {
  return Buffer.from(AGREEMENT_PAGES.join('\f'));
}

export const BEDROCK_MODEL_ID = 'anthropic.claude-3-5-sonnet-20240620-v1:0';

/** Environment of a service process whose bedrock engine talks to the local stub (loopback only). */
export function bedrockEnv(endpoint: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    BEDROCK_MODEL_ID,
    BEDROCK_ENDPOINT: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
    // The SDK must not look for credentials on the instance metadata service.
    AWS_EC2_METADATA_DISABLED: 'true',
    RATE_LIMIT_EXTRACTION_PER_MINUTE: '1000',
    ...env,
  };
}

/** A model answer for agreementText(): two values, each with a quote from its page; the other fields null. */
export function agreementAnswer(documentId: string): StubReply {
  const nulls = Object.fromEntries(getExtractionSchema('credit_agreement').fields.map((f) => [f, { value: null, confidence: 1, evidence: [] }]));
  return reply.toolUse(TOOL_NAME, {
    ...nulls,
    governing_law: { value: 'New York', confidence: 0.9, evidence: [{ document_id: documentId, page: 3, quote: 'THE LAW OF THE STATE OF NEW YORK' }] },
    maturity_date_final: { value: '2029-03-15', confidence: 0.9, evidence: [{ document_id: documentId, page: 2, quote: '"Maturity Date" means March 15, 2029.' }] },
  });
}
